"""Combining rule hits and model probabilities into one decision (pure, table-tested)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from triage.cues import NO_CUES, Cues
from triage.errors import ConfigError
from triage.labels import LABELS, Label
from triage.model import NO_PROCEDURE, HeadOutput
from triage.rules import RuleHit
from triage.yaml_files import read_yaml

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
    model_unsure_below: float = 0.0
    talk_rule_factor: float = 1.0
    over_urgent_penalty: float = 0.0
    ongoing_urgent_boost: float = 0.0
    version: str = "default"

    @classmethod
    def load(cls, path: Path | None = None) -> DecisionConfig:
        """Load and check decision.yaml (default: the bundled one)."""
        source = path or resources.files("triage") / "data" / "decision.yaml"
        data = read_yaml(source, "decision config")
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
    talk_only: bool = False
    over: bool = False


def decide(model: HeadOutput, hits: list[RuleHit], config: DecisionConfig, cues: Cues = NO_CUES) -> Decision:
    """Combine model probabilities, rule hits (each rule counted once) and intent/time cues into a
    decision."""
    fired = {hit.rule_id: hit for hit in hits}.values()
    evidence = dict.fromkeys(LABELS, 0.0)
    for hit in fired:
        evidence[hit.label] += hit.weight
    talk_only = cues.talk_only
    if talk_only:
        # Rule 9: crime or procedure words in talk about them in general are weaker evidence.
        evidence["crime_tip"] *= config.talk_rule_factor
        evidence["procedure"] *= config.talk_rule_factor
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
    over = cues.over
    if label == "crime_tip":
        # Time decides: urgent words ("cầm dao", "bị thương") in an incident that is over do not page
        # the duty officer, unless something says the danger goes on; danger that goes on and an
        # incident said to happen now add to the urgent head.
        if over:
            boost = -config.over_urgent_penalty
        else:
            boost = config.urgent_rule_boost * sum(1 for hit in fired if hit.urgent)
            if "danger_goes_on" in cues or "time_now" in cues:
                boost += config.ongoing_urgent_boost
        urgent = _logit(model.urgent) + boost >= _logit(config.urgent_threshold)
    procedure_id = None
    if label == "procedure":
        procedure_id = _procedure_id(model.procedure, fired, config)
    return Decision(label=label, confidence=confidence, scores=scores, urgent=urgent,
                    procedure_id=procedure_id,
                    needs_review=_needs_review(label, confidence, safety_bias, talk_only, model, config),
                    safety_bias=safety_bias, talk_only=talk_only, over=over)


def _needs_review(label: Label, confidence: float, safety_bias: bool, talk_only: bool, model: HeadOutput,
                  config: DecisionConfig) -> bool:
    """An officer should check the label: it is uncertain, the safety bias or the rules overrode an
    unsure model, or a message that only talks about crime or procedures was not labeled chat."""
    return (safety_bias or confidence < config.review_below
            or max(model.label.values()) < config.model_unsure_below
            or (talk_only and label != "chat"))


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
