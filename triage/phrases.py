"""Finding phrases in a normalized message on syllable boundaries."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from triage.text import NormalizedText

Key = TypeVar("Key")


@dataclass(frozen=True, slots=True)
class PhraseMatch(Generic[Key]):
    """A phrase found in a message: its key, its text and its span in `NormalizedText.text`."""

    key: Key
    matched: str
    span: tuple[int, int]


class PhraseIndex(Generic[Key]):
    """Phrases indexed by their first accent-free syllable.

    With `strict_accents`, a syllable typed with diacritics must equal the phrase's syllable
    ("bán" never matches "bạn"), and only a syllable typed without diacritics matches by its
    accent-free form. Without it, matching ignores diacritics entirely (place names).
    """

    def __init__(self, strict_accents: bool = True) -> None:
        self.strict_accents = strict_accents
        # One-syllable phrases by their syllable, longer ones by their first two: most syllables of a
        # message start no phrase, and a common first syllable ("nhà", "đang") starts many.
        self._single: dict[str, list[tuple[Key, tuple[str, ...], tuple[str, ...]]]] = {}
        self._pairs: dict[tuple[str, str], list[tuple[Key, tuple[str, ...], tuple[str, ...]]]] = {}

    def add(self, key: Key, phrase: NormalizedText) -> None:
        """Index one normalized phrase under `key`."""
        plain = phrase.plain
        if not plain:
            raise ValueError("empty phrase")
        entry = (key, phrase.syllables, plain)
        if len(plain) == 1:
            self._single.setdefault(plain[0], []).append(entry)
        else:
            self._pairs.setdefault((plain[0], plain[1]), []).append(entry)

    def find(self, message: NormalizedText) -> Iterator[PhraseMatch[Key]]:
        """Every occurrence of every phrase, in text order (shorter phrases first at one position)."""
        syllables, plain, spans = message.syllables, message.plain, message.spans
        count = len(syllables)
        strict = self.strict_accents
        single, pairs = self._single, self._pairs
        for i in range(count):
            candidates = single.get(plain[i], ())
            if i + 1 < count:
                following = pairs.get((plain[i], plain[i + 1]))
                if following:
                    candidates = [*candidates, *following]
            for key, accented, bare in candidates:
                end = i + len(bare)
                if end > count:
                    continue
                for k in range(len(bare)):
                    typed, typed_plain = syllables[i + k], plain[i + k]
                    if typed_plain != bare[k] or (strict and typed != typed_plain and typed != accented[k]):
                        break
                else:
                    start, stop = spans[i][0], spans[end - 1][1]
                    yield PhraseMatch(key, message.text[start:stop], (start, stop))
