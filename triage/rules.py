"""Keyword rules: a YAML file of named phrase rules, matched on syllable boundaries.

A rule fires when one of its phrases appears as a run of whole syllables in the message
(accent-aware, see `PhraseIndex`), or when its optional regex matches the message. Applying rules
(`RuleSet.apply`) is separate from combining them with the model (`triage.decision`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from triage.errors import ConfigError
from triage.labels import LABELS, Label
from triage.phrases import PhraseIndex
from triage.procedures import PROCEDURE_IDS
from triage.text import NormalizedText, TextNormalizer
from triage.yaml_files import read_yaml

_RULE_KEYS = {"id", "label", "phrases", "regex", "weight", "urgent", "category", "procedure_id",
              "rationale", "example", "description", "trusted_domains"}
_DOMAIN = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+")
_SCHEME = re.compile(r"^(?:https?://)?(?:www\.)?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Rule:
    """One named rule: the label it votes for, how strongly, and what it matches."""

    id: str
    label: Label
    phrases: tuple[str, ...]
    weight: float
    urgent: bool = False
    category: str | None = None
    procedure_id: str | None = None
    regex: re.Pattern[str] | None = None
    rationale: str = ""
    example: str = ""
    description: str = ""  # what the rule looks for, in Vietnamese, for the officers' screen
    trusted_domains: tuple[str, ...] = ()  # a regex match that is a link to one of these is ignored

    def trusts(self, matched: str) -> bool:
        """Whether `matched` is a link to one of the rule's trusted domains (or their subdomains)."""
        if not self.trusted_domains:
            return False
        host = re.split(r"[/?#:\s]", _SCHEME.sub("", matched), maxsplit=1)[0].lower().rstrip(".")
        return any(host == domain or host.endswith("." + domain) for domain in self.trusted_domains)

    def describe(self) -> str:
        """The rule in words, for officers reading the reasons."""
        what = f"nhãn {self.label}" + (f" ({self.category})" if self.category else "")
        if self.procedure_id:
            what += f", thủ tục {self.procedure_id}"
        if self.urgent:
            what += ", khẩn cấp"
        return f"{self.id}: {what}"


@dataclass(frozen=True, slots=True)
class RuleHit:
    """A rule that fired, with the matched text and its span in the normalized message."""

    rule_id: str
    label: Label
    matched: str
    span: tuple[int, int]
    weight: float
    urgent: bool
    category: str | None
    procedure_id: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"rule_id": self.rule_id, "label": self.label, "matched": self.matched,
                "span": list(self.span), "weight": self.weight, "urgent": self.urgent,
                "category": self.category, "procedure_id": self.procedure_id}


class RuleSet:
    """A validated set of rules with a syllable index for fast matching."""

    def __init__(self, rules: list[Rule], version: str, normalizer: TextNormalizer) -> None:
        self.rules = rules
        self.version = version
        self._phrases: PhraseIndex[Rule] = PhraseIndex(strict_accents=True)
        for rule in rules:
            for phrase in rule.phrases:
                norm = normalizer.normalize(phrase)
                if not norm.syllables:
                    raise ConfigError(f"rule {rule.id!r}: phrase {phrase!r} has no words")
                self._phrases.add(rule, norm)
        self._regex_rules = [rule for rule in rules if rule.regex is not None]

    @classmethod
    def load(cls, path: Path | None = None, normalizer: TextNormalizer | None = None) -> RuleSet:
        """Load and validate a rules YAML file (default: the bundled one)."""
        source = path or resources.files("triage") / "data" / "rules.yaml"
        normalizer = normalizer or TextNormalizer()
        data = read_yaml(source, "rules file")
        if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
            raise ConfigError(f"{source}: expected a mapping with 'version' and a 'rules' list")
        version = str(data.get("version") or "")
        if not version:
            raise ConfigError(f"{source}: 'version' is missing")
        rules: list[Rule] = []
        seen: set[str] = set()
        for position, raw in enumerate(data["rules"], start=1):
            rule = _parse_rule(raw, position, source)
            if rule.id in seen:
                raise ConfigError(f"{source}: rule {rule.id!r} is defined twice; ids must be unique")
            seen.add(rule.id)
            rules.append(rule)
        ruleset = cls(rules, version, normalizer)
        for rule in rules:
            if rule.example and rule.id not in {h.rule_id for h in ruleset.apply(normalizer.normalize(rule.example))}:
                raise ConfigError(f"{source}: rule {rule.id!r} does not fire on its own example "
                                  f"{rule.example!r}; fix the phrases or the example")
        return ruleset

    def apply(self, message: NormalizedText) -> list[RuleHit]:
        """Every rule hit in the message, in text order (one hit per phrase occurrence)."""
        hits = [_hit(m.key, m.matched, m.span) for m in self._phrases.find(message)]
        for rule in self._regex_rules:
            for match in rule.regex.finditer(message.text):
                if not rule.trusts(match.group(0)):
                    hits.append(_hit(rule, match.group(0), match.span()))
        hits.sort(key=lambda hit: hit.span)
        return hits


def _hit(rule: Rule, matched: str, span: tuple[int, int]) -> RuleHit:
    return RuleHit(rule.id, rule.label, matched, span, rule.weight, rule.urgent, rule.category,
                   rule.procedure_id)


def _parse_rule(raw: Any, position: int, source: Any) -> Rule:
    where = f"{source}: rule #{position}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a mapping")
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not rule_id:
        raise ConfigError(f"{where} has no 'id'")
    where = f"{source}: rule {rule_id!r}"
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}; allowed: {sorted(_RULE_KEYS)}")
    label = raw.get("label")
    if label not in LABELS:
        raise ConfigError(f"{where}: label {label!r} must be one of {list(LABELS)}")
    phrases = raw.get("phrases") or []
    if not isinstance(phrases, list) or not all(isinstance(p, str) and p.strip() for p in phrases):
        raise ConfigError(f"{where}: 'phrases' must be a list of non-empty strings")
    pattern = raw.get("regex")
    regex = None
    if pattern is not None:
        try:
            regex = re.compile(pattern, re.IGNORECASE)
        except (re.error, TypeError) as exc:
            raise ConfigError(f"{where}: invalid regex {pattern!r}: {exc}") from exc
    if not phrases and regex is None:
        raise ConfigError(f"{where}: needs 'phrases' or 'regex'")
    weight = raw.get("weight", 1.0)
    if not isinstance(weight, (int, float)) or isinstance(weight, bool) or not 0 <= weight <= 10:
        raise ConfigError(f"{where}: 'weight' must be a number between 0 and 10")
    urgent = raw.get("urgent", False)
    if not isinstance(urgent, bool):
        raise ConfigError(f"{where}: 'urgent' must be true or false")
    procedure_id = raw.get("procedure_id")
    if procedure_id is not None and procedure_id not in PROCEDURE_IDS:
        raise ConfigError(f"{where}: unknown procedure_id {procedure_id!r}; see PROCEDURES.md")
    if procedure_id is not None and label != "procedure":
        raise ConfigError(f"{where}: procedure_id is only allowed on label 'procedure'")
    if urgent and label != "crime_tip":
        raise ConfigError(f"{where}: urgent is only allowed on label 'crime_tip'")
    description = raw.get("description", "")
    if not isinstance(description, str) or ("description" in raw and not description.strip()):
        raise ConfigError(f"{where}: 'description' must be a non-empty Vietnamese sentence for officers")
    trusted = raw.get("trusted_domains") or []
    if not isinstance(trusted, list) or not all(isinstance(d, str) and _DOMAIN.fullmatch(d) for d in trusted):
        raise ConfigError(f"{where}: 'trusted_domains' must be a list of lower-case domain names "
                          "such as vietcombank.com.vn")
    if trusted and regex is None:
        raise ConfigError(f"{where}: 'trusted_domains' only applies to a rule with a 'regex'")
    return Rule(id=rule_id, label=label, phrases=tuple(phrases), weight=float(weight), urgent=urgent,
                category=raw.get("category"), procedure_id=procedure_id, regex=regex,
                rationale=str(raw.get("rationale", "")), example=str(raw.get("example", "")),
                description=description.strip(), trusted_domains=tuple(trusted))
