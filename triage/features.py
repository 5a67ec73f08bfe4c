"""Model features of a normalized message, as strings (one list per message).

Word uni/bigrams over underthesea word tokens carry the accented meaning ("căn_cước",
"bị trộm"); syllable uni/bigrams and character 4-grams over the accent-free form make
unaccented, teencode and misspelled messages land on the same features.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from triage.text import NormalizedText

FEATURES_VERSION = "words12-plain12-char4-v1"


def featurize(message: NormalizedText) -> list[str]:
    """The feature strings of one message (repeats kept: they are counted)."""
    features: list[str] = []
    append = features.append
    previous = "<s>"
    for word in message.words:
        if not _is_word(word):
            previous = "<p>"
            continue
        append("w:" + word)
        append("b:" + previous + " " + word)
        previous = word
    previous = "<s>"
    for syllable in message.plain:
        if not _is_word(syllable):
            previous = "<p>"
            continue
        features.extend(_syllable_features(syllable))
        append("q:" + previous + " " + syllable)
        previous = syllable
    return features


class FeatureIndexer:
    """`featurize` followed by a vocabulary lookup, in one pass and mostly from caches.

    Most features belong to one syllable (its accent-free form and character 4-grams) or one word,
    and a commune's vocabulary is small, so their vocabulary indices are looked up once per
    syllable or word; only bigrams are looked up per message. Gives the same multiset of indices
    as looking up `featurize(message)` (checked by a test).
    """

    def __init__(self, vocabulary: dict[str, int]) -> None:
        self.vocabulary = vocabulary
        self._syllable = functools.lru_cache(maxsize=100_000)(self._syllable_indices)
        self._word = functools.lru_cache(maxsize=100_000)(self._word_indices)

    def indices(self, message: NormalizedText) -> list[int]:
        """Vocabulary indices of the message's features (repeats kept); unknown features dropped."""
        found: list[int] = []
        self._collect(found, message.words, self._word, "b:")
        self._collect(found, message.plain, self._syllable, "q:")
        return found

    def _collect(self, found: list[int], tokens: tuple[str, ...], own: Callable[[str], tuple[int, ...] | None],
                 bigram: str) -> None:
        """Each token's own indices and its bigram with the previous token (as `featurize`); `own` is None
        for punctuation, which has no features and breaks bigrams."""
        get, extend, append = self.vocabulary.get, found.extend, found.append
        previous = "<s>"
        for token in tokens:
            indices = own(token)
            if indices is None:
                previous = "<p>"
                continue
            extend(indices)
            index = get(f"{bigram}{previous} {token}")
            if index is not None:
                append(index)
            previous = token

    def _syllable_indices(self, syllable: str) -> tuple[int, ...] | None:
        return self._lookup(_syllable_features(syllable)) if _is_word(syllable) else None

    def _word_indices(self, word: str) -> tuple[int, ...] | None:
        return self._lookup(("w:" + word,)) if _is_word(word) else None

    def _lookup(self, features: tuple[str, ...]) -> tuple[int, ...]:
        return tuple(index for index in map(self.vocabulary.get, features) if index is not None)


def _is_word(token: str) -> bool:
    """Whether a token is a word or syllable (features and bigrams), not punctuation (a break)."""
    # [:1], not [0]: a token of combining marks alone is empty once its accents are stripped.
    return token[:1].isalnum()


@functools.lru_cache(maxsize=100_000)
def _syllable_features(syllable: str) -> tuple[str, ...]:
    # Pure and bounded: messages reuse a small vocabulary, so its n-grams are built once.
    padded = "_" + syllable + "_"
    return ("p:" + syllable, *("c:" + padded[i:i + 4] for i in range(len(padded) - 3)))


def identity(features: list[str]) -> list[str]:
    """Analyzer for scikit-learn vectorizers fed with `featurize` output (picklable)."""
    return features
