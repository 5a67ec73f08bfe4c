"""Model features of a normalized message, as strings (one list per message).

Word uni/bigrams over underthesea word tokens carry the accented meaning ("căn_cước",
"bị trộm"); syllable uni/bigrams and character 4-grams over the accent-free form make
unaccented, teencode and misspelled messages land on the same features.
"""

from __future__ import annotations

from triage.text import NormalizedText

FEATURES_VERSION = "words12-plain12-char4-v1"


def featurize(message: NormalizedText) -> list[str]:
    """The feature strings of one message (repeats kept: they are counted)."""
    features: list[str] = []
    append = features.append
    previous = "<s>"
    for word in message.words:
        if not word[0].isalnum():
            previous = "<p>"
            continue
        append("w:" + word)
        append("b:" + previous + " " + word)
        previous = word
    previous = "<s>"
    for syllable in message.plain:
        if not syllable[0].isalnum():
            previous = "<p>"
            continue
        append("p:" + syllable)
        append("q:" + previous + " " + syllable)
        previous = syllable
        padded = "_" + syllable + "_"
        for start in range(len(padded) - 3):
            append("c:" + padded[start:start + 4])
    return features


def identity(features: list[str]) -> list[str]:
    """Analyzer for scikit-learn vectorizers fed with `featurize` output (picklable)."""
    return features
