"""Text pipeline: Unicode and tone-mark normalization, teencode expansion, accent-free form, tokens.

One pass over a message produces a `NormalizedText`: the syllables with their spans in the
message, their lower-case accented and accent-free forms, and the underthesea word tokens. Rules,
entities and the model all read from it, so no stage normalizes or tokenizes twice.

Tokenization is underthesea's `word_tokenize`, run as its two stages (regex syllable tokenizer,
then the CRF word segmenter) so that the syllable spans come out of the same regex pass. The regex
reads each whitespace-separated run of a message, cached: after the CRF it was the costliest step, and
a commune's messages repeat their words.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from underthesea import word_tokenize
from underthesea.pipeline.text_normalize import token_normalize
from underthesea.pipeline.text_normalize.character_normalize import character_normalize
from underthesea.pipeline.word_tokenize import regex_tokenize

from triage.errors import ConfigError
from triage.yaml_files import read_yaml

DEFAULT_MAX_CHARS = 5000

_ACCENT_FREE = str.maketrans({"đ": "d", "Đ": "D"})
_RUN = re.compile(r"\S+")
# The tokenizer regex's abbreviation "Th.S" ('.' being any character but a newline) is its one token
# that can hold whitespace, so a message where it can is tokenized whole.
_SPACED_TOKEN = re.compile(r"Th[^\S\n][Ss]")
# Syllables, their accent-free forms and their spans.
_Pieces = tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[int, int], ...]]


def strip_accents(text: str) -> str:
    """Remove Vietnamese diacritics (đ→d): 'Đăng ký' -> 'Dang ky'."""
    decomposed = unicodedata.normalize("NFD", text.translate(_ACCENT_FREE))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def load_teencode(path: Path | None = None) -> dict[str, tuple[str, ...]]:
    """Load the teencode/dialect expansion table (token -> standard syllables)."""
    source = path or resources.files("triage") / "data" / "teencode.yaml"
    data = read_yaml(source, "teencode table")
    expansions = data.get("expansions") if isinstance(data, dict) else None
    if not isinstance(expansions, dict) or not expansions:
        raise ConfigError(f"{source}: expected a non-empty 'expansions' mapping of token: words")
    table: dict[str, tuple[str, ...]] = {}
    for key, value in expansions.items():
        if not isinstance(key, str) or not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{source}: entry {key!r} must map a token to non-empty words")
        if key != key.lower() or " " in key:
            raise ConfigError(f"{source}: key {key!r} must be one lower-case token")
        table[unicodedata.normalize("NFC", key)] = tuple(unicodedata.normalize("NFC", value).split())
    return table


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """A message after normalization.

    `text` is the NFC form of the message (cut at the length cap); every span indexes into it.
    `syllables[i]` (lower case, tone marks normalized, teencode expanded) and `plain[i]` (its
    accent-free form) come from the characters `text[spans[i][0]:spans[i][1]]`; an expanded
    token yields several syllables sharing one span. `words` are underthesea word tokens
    (syllables joined by '_'), punctuation included.
    """

    text: str
    syllables: tuple[str, ...]
    plain: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]
    words: tuple[str, ...]
    truncated: bool

    @property
    def accent_free(self) -> str:
        """The accent-free, lower-case, expanded message as one string."""
        return " ".join(self.plain)


class TextNormalizer:
    """Normalizes and tokenizes messages with a fixed teencode table and length cap."""

    def __init__(self, teencode: dict[str, tuple[str, ...]] | None = None,
                 max_chars: int = DEFAULT_MAX_CHARS) -> None:
        if max_chars < 1:
            raise ConfigError("max_chars must be at least 1")
        self.teencode = load_teencode() if teencode is None else teencode
        self.max_chars = max_chars
        # Per-run work is cached: a commune's vocabulary is small, messages repeat it.
        self._cached_pieces = functools.lru_cache(maxsize=200_000)(self._pieces)
        self._segmenter = _crf_segmenter()

    def _pieces(self, text: str, suffix: str = "") -> _Pieces:
        """Syllables, accent-free syllables and spans of `text` as the regex tokenizer reads it when
        `suffix` (whitespace: no token of its own) follows it."""
        syllables: list[str] = []
        plain: list[str] = []
        spans: list[tuple[int, int]] = []
        for match in regex_tokenize.patterns.finditer(text + suffix):
            lowered = token_normalize(match.group(0).lower(), use_character_normalize=False)
            accented = self.teencode.get(lowered, (lowered,))
            syllables.extend(accented)
            plain.extend(strip_accents(a) for a in accented)
            spans.extend([match.span()] * len(accented))
        return tuple(syllables), tuple(plain), tuple(spans)

    def normalize(self, text: str) -> NormalizedText:
        """Normalize one message: NFC, tone marks, case, teencode, accent-free form, words."""
        text = unicodedata.normalize("NFC", text)
        truncated = len(text) > self.max_chars
        if truncated:
            text = text[: self.max_chars]
        text = character_normalize(text)
        if _SPACED_TOKEN.search(text):
            syllables, plain, spans = self._pieces(text)
        else:
            syllables, plain, spans = self._pieces_by_run(text)
        words = tuple(self._segmenter(syllables)) if syllables else ()
        return NormalizedText(text, syllables, plain, spans, words, truncated)

    def _pieces_by_run(self, text: str) -> _Pieces:
        """`_pieces(text)`, put together from the cached pieces of each whitespace-separated run.

        The tokens are the same because no token of the regex starts on whitespace or holds any (but
        "Th.S": see `_SPACED_TOKEN`), and its lookarounds see at most one character past a run, which
        is whitespace or the text's start or end. So a run is read followed by " ", except the last
        one, read followed by the text's real ending when that is "" or "\\n" (where "$" matches).
        """
        syllables: list[str] = []
        plain: list[str] = []
        runs: list[tuple[int, tuple[tuple[int, int], ...]]] = []
        last = len(text.rstrip())  # str.isspace and the regex's \s agree on every character
        ending = text[last:] if text[last:] in ("", "\n") else " "
        for run in _RUN.finditer(text):
            start, end = run.span()
            accented, bare, relative = self._cached_pieces(run.group(), " " if end < last else ending)
            syllables.extend(accented)
            plain.extend(bare)
            runs.append((start, relative))
        # One comprehension for the whole message, not one per run: each is a function call.
        spans = tuple([(start + a, start + b) for start, relative in runs for a, b in relative])
        return tuple(syllables), tuple(plain), spans


def _crf_segmenter():
    """Return underthesea's CRF word segmenter as `syllables -> words` (loads it once)."""
    word_tokenize("khởi động")  # loads and caches the CRF model inside underthesea
    from underthesea.pipeline.word_tokenize import word_tokenize_model as model  # noqa: PLC0415

    def segment(syllables: tuple[str, ...]) -> list[str]:
        tags = model.predict([[s] for s in syllables])
        words: list[str] = []
        for tag, syllable in zip(tags, syllables):
            if tag == "I-W" and words:
                words[-1] = words[-1] + "_" + syllable
            else:
                words.append(syllable)
        return words

    return segment


def memory_key(message: NormalizedText) -> str:
    """Key of a message for the officers' correction memory: its accent-free words, punctuation dropped.

    Spacing, case, composed/decomposed accents, tone-mark placement and teencode do not change it.
    """
    return " ".join(syllable for syllable in message.plain if any(ch.isalnum() for ch in syllable))
