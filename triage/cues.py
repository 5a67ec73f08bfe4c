"""Cue families: phrases that tell the sender's intent and the incident's time, not its topic.

`CueSet.find` returns which families (involvement, distance, opinion, general_question,
time_past, habitual, time_now, danger_goes_on) a message contains; the decision uses them to temper the
keyword rules and the urgent head (LABELING.md rule 9 and "Time decides").
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from triage.errors import ConfigError
from triage.phrases import PhraseIndex
from triage.text import NormalizedText, TextNormalizer
from triage.yaml_files import read_yaml

Family = Literal["involvement", "distance", "opinion", "general_question", "time_past", "habitual",
                 "time_now", "danger_goes_on"]
FAMILIES: tuple[Family, ...] = ("involvement", "distance", "opinion", "general_question", "time_past",
                                "habitual", "time_now", "danger_goes_on")
_KEYS = {"description", "phrases", "examples"}


@dataclass(frozen=True, slots=True)
class Cues:
    """The cue families found in one message, with the first phrase matched for each."""

    found: dict[str, str]

    def __contains__(self, family: str) -> bool:
        return family in self.found

    @property
    def talk_only(self) -> bool:
        """Talk about crime or procedures in general: distance, opinion or a general question, and no
        sign that the sender or their place is involved (LABELING.md rule 9)."""
        return "involvement" not in self.found and any(
            family in self.found for family in ("distance", "opinion", "general_question"))

    @property
    def over(self) -> bool:
        """The incident is over, or recurs without being said to happen now, and nothing says the
        danger goes on ("Time decides")."""
        return (("time_past" in self.found or "habitual" in self.found) and "time_now" not in self.found
                and "danger_goes_on" not in self.found)


NO_CUES = Cues({})


class CueSet:
    """The validated cue families of cues.yaml, indexed for matching on syllable boundaries."""

    def __init__(self, phrases: dict[str, tuple[str, ...]], descriptions: dict[str, str], version: str,
                 normalizer: TextNormalizer) -> None:
        self.descriptions = descriptions
        self.version = version
        self._index: PhraseIndex[str] = PhraseIndex(strict_accents=True)
        for family, family_phrases in phrases.items():
            for phrase in family_phrases:
                norm = normalizer.normalize(phrase)
                if not norm.syllables:
                    raise ConfigError(f"cue family {family!r}: phrase {phrase!r} has no words")
                self._index.add(family, norm)

    @classmethod
    def load(cls, path: Path | None = None, normalizer: TextNormalizer | None = None) -> CueSet:
        """Load and check a cues YAML file (default: the bundled one)."""
        source = path or resources.files("triage") / "data" / "cues.yaml"
        normalizer = normalizer or TextNormalizer()
        data = read_yaml(source, "cues file")
        if not isinstance(data, dict) or not isinstance(data.get("families"), dict) or not data.get("version"):
            raise ConfigError(f"{source}: expected a mapping with 'version' and a 'families' mapping")
        families = data["families"]
        unknown = set(families) - set(FAMILIES)
        missing = set(FAMILIES) - set(families)
        if unknown or missing:
            raise ConfigError(f"{source}: cue families must be exactly {list(FAMILIES)} "
                              f"(unknown: {sorted(unknown)}, missing: {sorted(missing)})")
        parsed = {family: _parse_family(families[family], f"{source}: cue family {family!r}")
                  for family in FAMILIES}
        cues = cls({f: p["phrases"] for f, p in parsed.items()},
                   {f: p["description"] for f, p in parsed.items()}, str(data["version"]), normalizer)
        for family, spec in parsed.items():
            for example in spec["examples"]:
                if family not in cues.find(normalizer.normalize(example)):
                    raise ConfigError(f"{source}: cue family {family!r} does not fire on its example "
                                      f"{example!r}; fix the phrases or the example")
        return cues

    def find(self, message: NormalizedText) -> Cues:
        """The families present in the message (the first matched phrase of each)."""
        found: dict[str, str] = {}
        for match in self._index.find(message):
            found.setdefault(match.key, match.matched)
        return Cues(found) if found else NO_CUES


def _parse_family(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a mapping")
    unknown = set(raw) - _KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}; allowed: {sorted(_KEYS)}")
    phrases = raw.get("phrases")
    if not isinstance(phrases, list) or not phrases or not all(isinstance(p, str) and p.strip() for p in phrases):
        raise ConfigError(f"{where}: 'phrases' must be a non-empty list of non-empty strings")
    examples = raw.get("examples") or []
    if not isinstance(examples, list) or not all(isinstance(e, str) and e.strip() for e in examples):
        raise ConfigError(f"{where}: 'examples' must be a list of messages")
    description = raw.get("description")
    if not isinstance(description, str) or not description.strip():
        raise ConfigError(f"{where}: 'description' (Vietnamese, shown to officers) is missing")
    return {"phrases": tuple(phrases), "examples": tuple(examples), "description": description.strip()}
