"""Model features of a normalized message, as strings (one list per message).

Word uni/bigrams over underthesea word tokens carry the accented meaning ("căn_cước",
"bị trộm"); syllable uni/bigrams and character 4-grams over the accent-free form make
unaccented, teencode and misspelled messages land on the same features.
"""

from __future__ import annotations

import functools

from triage.text import NormalizedText

FEATURES_VERSION = "words12-plain12-char4-v1"


def featurize(message: NormalizedText) -> list[str]:
    """The feature strings of one message (repeats kept: they are counted)."""
    features: list[str] = []
    append = features.append
    previous = "<s>"
    for word in message.words:
        # [:1], not [0]: a token of combining marks alone is empty once its accents are stripped.
        if not word[:1].isalnum():
            previous = "<p>"
            continue
        append("w:" + word)
        append("b:" + previous + " " + word)
        previous = word
    previous = "<s>"
    for syllable in message.plain:
        if not syllable[:1].isalnum():
            previous = "<p>"
            continue
        features.extend(_syllable_features(syllable))
        append("q:" + previous + " " + syllable)
        previous = syllable
    return features


@functools.lru_cache(maxsize=100_000)
def _syllable_features(syllable: str) -> tuple[str, ...]:
    # Pure and bounded: messages reuse a small vocabulary, so its n-grams are built once.
    padded = "_" + syllable + "_"
    return ("p:" + syllable, *("c:" + padded[i:i + 4] for i in range(len(padded) - 3)))


def identity(features: list[str]) -> list[str]:
    """Analyzer for scikit-learn vectorizers fed with `featurize` output (picklable)."""
    return features
