"""Combining rule hits and model probabilities into one decision (pure, table-tested)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from triage.errors import ConfigError
from triage.labels import LABELS, Label
from triage.model import NO_PROCEDURE, HeadOutput
from triage.rules import RuleHit

_EPS = 1e-6


@dataclass(frozen=True, slots=True)
class DecisionConfig:
    """Thresholds of the decision, from decision.yaml."""

    crime_tip_threshold: float = 0.40
    review_below: float = 0.65
    rule_evidence_cap: float = 2.0
    urgent_threshold: float = 0.4
    urgent_rule_boost: float = 1.0
    procedure_id_threshold: float = 0.3
    version: str = "default"

    @classmethod
    def load(cls, path: Path | None = None) -> DecisionConfig:
        """Load and check decision.yaml (default: the bundled one)."""
        source = path or resources.files("triage") / "data" / "decision.yaml"
        try:
            data = yaml.safe_load(source.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{source}: cannot read decision config: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: expected a mapping of thresholds")
        values: dict[str, float | str] = {"version": str(data.pop("version", "unversioned"))}
        for key, value in data.items():
            if key not in cls.__dataclass_fields__ or key == "version":
                raise ConfigError(f"{source}: unknown setting {key!r}")
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ConfigError(f"{source}: {key!r} must be a non-negative number")
            values[key] = float(value)
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Decision:
    """The decided label and its extras, with the numbers behind them."""

    label: Label
    confidence: float
    scores: dict[str, float]
    urgent: bool
    procedure_id: str | None
    needs_review: bool
    safety_bias: bool


def decide(model: HeadOutput, hits: list[RuleHit], config: DecisionConfig) -> Decision:
    """Combine model probabilities and rule hits (each rule counted once) into a decision."""
    fired = {hit.rule_id: hit for hit in hits}.values()
    evidence = dict.fromkeys(LABELS, 0.0)
    for hit in fired:
        evidence[hit.label] += hit.weight
    if evidence["crime_tip"] > 0:
        # Safety first (LABELING.md rule 1): a reported incident is not outvoted by the
        # paperwork it mentions ("bị trộm ví có căn cước, giờ làm lại thế nào").
        evidence["procedure"] = 0.0
    logits = {label: math.log(model.label[label] + _EPS) + min(evidence[label], config.rule_evidence_cap)
              for label in LABELS}
    scores = _softmax(logits)
    best: Label = max(LABELS, key=scores.__getitem__)
    label: Label = "crime_tip" if scores["crime_tip"] >= config.crime_tip_threshold else best
    confidence = scores[label]
    safety_bias = label != best
    urgent = False
    if label == "crime_tip":
        boost = config.urgent_rule_boost * sum(1 for hit in fired if hit.urgent)
        urgent = _logit(model.urgent) + boost >= _logit(config.urgent_threshold)
    procedure_id = None
    if label == "procedure":
        procedure_id = _procedure_id(model.procedure, fired, config)
    return Decision(label=label, confidence=confidence, scores=scores, urgent=urgent,
                    procedure_id=procedure_id,
                    needs_review=safety_bias or confidence < config.review_below,
                    safety_bias=safety_bias)


def _procedure_id(probabilities: dict[str, float], hits, config: DecisionConfig) -> str | None:
    logits = {pid: math.log(p + _EPS) for pid, p in probabilities.items()}
    for hit in hits:
        if hit.procedure_id in logits:
            logits[hit.procedure_id] += hit.weight
    combined = _softmax(logits)
    best = max(combined, key=combined.__getitem__)
    if best == NO_PROCEDURE or combined[best] < config.procedure_id_threshold:
        return None
    return best


def _softmax(logits: dict[str, float]) -> dict[str, float]:
    top = max(logits.values())
    exp = {key: math.exp(value - top) for key, value in logits.items()}
    total = sum(exp.values())
    return {key: value / total for key, value in exp.items()}


def _logit(p: float) -> float:
    p = min(max(p, _EPS), 1 - _EPS)
    return math.log(p / (1 - p))
