"""The `Triage` engine: one object holding config and model, classifying one message at a time."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triage.cues import Cues, CueSet
from triage.decision import Decision, DecisionConfig, decide
from triage.entities import find_entities
from triage.errors import ModelError
from triage.labels import Label
from triage.model import HeadOutput, LinearScorer, load_model
from triage.procedures import ProcedureCatalog
from triage.result import TriageResult
from triage.routing import CommuneDirectory, route
from triage.rules import RuleHit, RuleSet
from triage.text import DEFAULT_MAX_CHARS, NormalizedText, TextNormalizer, memory_key

ACTIVE_FILE = "ACTIVE"
# A version is one folder name inside the models root: no separators, no leading dot, no "..".
VERSION_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def check_version(version: str) -> str:
    """`version` if it can name a folder inside the models root; else ModelError saying what is allowed."""
    if not VERSION_PATTERN.fullmatch(version) or ".." in version:
        raise ModelError(f"model version {version!r} is not allowed: use 1 to 100 letters, digits, '.', '_' "
                         "or '-', starting with a letter or digit, without '..'")
    return version


def version_folder(models_dir: Path, version: str) -> Path:
    """The folder of `version` under `models_dir`; ModelError if it would lie outside it (a bad name or
    a link leading out)."""
    folder = Path(models_dir) / check_version(version)
    if folder.exists() and not folder.resolve().is_relative_to(Path(models_dir).resolve()):
        raise ModelError(f"{folder} leads outside {models_dir}; model versions must be folders inside it")
    return folder


def default_models_dir() -> Path:
    """The models root: $TRIAGE_MODELS_DIR, else `models/` beside the `triage` package."""
    env = os.environ.get("TRIAGE_MODELS_DIR")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "models"


def resolve_model_dir(path: Path | None = None) -> Path:
    """A model folder: `path` itself if it holds a model, else the one named in its ACTIVE file."""
    root = Path(path) if path else default_models_dir()
    if (root / "metadata.json").exists():
        return root
    pointer = root / ACTIVE_FILE
    if not pointer.exists():
        raise ModelError(f"{root}: no model here and no {ACTIVE_FILE} pointer; "
                         "train one with `triage train` or pass a model folder.")
    version = pointer.read_text(encoding="utf-8").strip()
    folder = version_folder(root, version)
    if not folder.is_dir():
        raise ModelError(f"{pointer} names {version!r}, but {folder} does not exist")
    return folder


@dataclass(frozen=True)
class KnownLabel:
    """An officer's label for a message, applied instead of the engine's decision.

    `details` (who corrected it, when, which correction) is shown in the result's reasons. With
    `may_lower` false, a label that would turn a crime tip into another label, or an urgent tip
    into a non-urgent one, is not applied: the decision stands, flagged for review, with an
    `officer_correction_not_applied` reason quoting the officer's label.
    """

    label: Label
    urgent: bool | None = None
    procedure_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    may_lower: bool = True


@dataclass(frozen=True)
class Analysis:
    """Everything computed for one message before routing (used by evaluation and baselines)."""

    model: HeadOutput
    hits: list[RuleHit]
    cues: Cues
    decision: Decision


class Triage:
    """Classifies messages: normalize, match rules, score the model, decide, find entities, route."""

    def __init__(self, normalizer: TextNormalizer, rules: RuleSet, scorer: LinearScorer,
                 metadata: dict[str, Any], decision_config: DecisionConfig,
                 communes: CommuneDirectory, catalog: ProcedureCatalog, cues: CueSet) -> None:
        self.normalizer = normalizer
        self.rules = rules
        self.cues = cues
        self.scorer = scorer
        self.metadata = metadata
        self.decision_config = decision_config
        self.communes = communes
        self.catalog = catalog

    @property
    def model_version(self) -> str:
        return str(self.metadata.get("version", "unknown"))

    @classmethod
    def load(cls, model_dir: Path | str | None = None, *, rules_path: Path | None = None,
             communes_dir: Path | None = None, default_commune: str = "dai_hong",
             max_chars: int = DEFAULT_MAX_CHARS) -> Triage:
        """Load config files and the active (or given) model; warms the tokenizer up once."""
        normalizer = TextNormalizer(max_chars=max_chars)
        scorer, metadata = load_model(resolve_model_dir(Path(model_dir) if model_dir else None))
        return cls(normalizer, RuleSet.load(rules_path, normalizer), scorer, metadata,
                   DecisionConfig.load(), CommuneDirectory.load(communes_dir, default_commune, normalizer),
                   ProcedureCatalog.load(), CueSet.load(normalizer=normalizer))

    def with_model(self, model_dir: Path, *, rules_path: Path | None = None) -> Triage:
        """A copy of this engine using another model folder and, if given, the rules re-read from
        `rules_path` (other config stays shared); raises ModelError or ConfigError, changing nothing."""
        scorer, metadata = load_model(model_dir)
        rules = RuleSet.load(rules_path, self.normalizer) if rules_path else self.rules
        return Triage(self.normalizer, rules, scorer, metadata, self.decision_config,
                      self.communes, self.catalog, self.cues)

    def analyze(self, text: str, timings: dict[str, float] | None = None) -> tuple[NormalizedText, Analysis]:
        """Normalize, apply rules and model, and decide (no entities, no routing)."""
        clock = time.perf_counter
        t0 = clock()
        message = self.normalizer.normalize(text)
        t1 = clock()
        hits = self.rules.apply(message)
        cues = self.cues.find(message)
        t2 = clock()
        model = self.scorer.predict_message(message)
        t3 = clock()
        decision = decide(model, hits, self.decision_config, cues)
        if timings is not None:
            _add(timings, ("normalize+tokenize", t1 - t0), ("rules+cues", t2 - t1), ("features+model", t3 - t2),
                 ("decide", clock() - t3))
        return message, Analysis(model, hits, cues, decision)

    def classify(self, text: str, commune: str | None = None,
                 timings: dict[str, float] | None = None, *,
                 known_label: Callable[[str], KnownLabel | None] | None = None) -> TriageResult:
        """Classify one message and route it for `commune` (default commune when None).

        When `timings` is given, the seconds spent in each stage are added to it (benchmarks).
        `known_label(memory_key)` may return an officer's label for this very message (the
        correction memory): it replaces the decision, with confidence 1.0 and no review needed
        (unless it may not lower the decision and would: see `KnownLabel`).
        """
        community = self.communes.get(commune)
        message, analysis = self.analyze(text, timings)
        start = time.perf_counter()
        decision = analysis.decision
        reasons = _reasons(analysis, message.truncated)
        label, confidence, urgent = decision.label, decision.confidence, decision.urgent
        procedure_id, needs_review = decision.procedure_id, decision.needs_review
        known = known_label(memory_key(message)) if known_label else None
        if known is not None and not known.may_lower and _lowers(known, decision):
            needs_review = True
            earlier = known.label + (" (không khẩn cấp)" if known.urgent is False else "")
            reasons = ({"kind": "officer_correction_not_applied", "label": known.label, "urgent": known.urgent,
                        **known.details,
                        "message": f"Cán bộ từng gán nhãn “{earlier}” cho tin nhắn giống hệt; nhãn đó hạ mức tin "
                                   "báo tội phạm nên không được tự động áp dụng: giữ quyết định của hệ thống, "
                                   "cần cán bộ xem lại."}, *reasons)
        elif known is not None:
            label, urgent, procedure_id = _apply_known(known, decision)
            confidence, needs_review = 1.0, False
            reasons = ({"kind": "officer_correction", "label": known.label, **known.details,
                        "message": "Cán bộ đã sửa nhãn của tin nhắn này; dùng nhãn của cán bộ."}, *reasons)
        entities = find_entities(message, community.hamlet_index)
        hamlet_ids = [entity.value for entity in entities if entity.kind == "hamlet"]
        routed = route(label, urgent, procedure_id, needs_review, hamlet_ids, community, self.catalog)
        result = TriageResult(
            label=label, confidence=confidence, scores=decision.scores, urgent=urgent,
            procedure_id=procedure_id, needs_review=needs_review, reasons=reasons,
            entities=tuple(entities), route=routed, model_version=self.model_version,
            rules_version=self.rules.version)
        if timings is not None:
            _add(timings, ("entities+route+result", time.perf_counter() - start))
        return result


def _apply_known(known: KnownLabel, decision: Decision) -> tuple[Label, bool, str | None]:
    """Label, urgent and procedure id under an officer's label (unset extras come from the model
    when it agreed on the label)."""
    same = known.label == decision.label
    urgent = known.urgent if known.urgent is not None else (same and decision.urgent)
    procedure_id = known.procedure_id or (decision.procedure_id if same else None)
    return (known.label, bool(urgent) and known.label == "crime_tip",
            procedure_id if known.label == "procedure" else None)


def _lowers(known: KnownLabel, decision: Decision) -> bool:
    """Whether applying `known` would make a crime tip another label or an urgent tip non-urgent."""
    label, urgent, _ = _apply_known(known, decision)
    return decision.label == "crime_tip" and (label != "crime_tip" or (decision.urgent and not urgent))


def _add(timings: dict[str, float], *stages: tuple[str, float]) -> None:
    for stage, seconds in stages:
        timings[stage] = timings.get(stage, 0.0) + seconds


def _reasons(analysis: Analysis, truncated: bool) -> tuple[dict[str, Any], ...]:
    reasons: list[dict[str, Any]] = [{"kind": "rule", **hit.to_dict()} for hit in analysis.hits]
    model = analysis.model
    reasons.append({"kind": "model", "scores": {k: round(v, 4) for k, v in model.label.items()},
                    "urgent_probability": round(model.urgent, 4)})
    decision, cues = analysis.decision, analysis.cues
    if decision.talk_only:
        talk = {f: cues.found[f] for f in ("distance", "opinion", "general_question") if f in cues}
        reasons.append({"kind": "intent", "cues": talk,
                        "message": f"Tin nói chuyện chung ({', '.join(talk.values())}), không kể việc của "
                                   "người gửi: từ khóa tội phạm, thủ tục được tính nhẹ hơn."})
    if decision.label == "crime_tip" and (decision.over or "danger_goes_on" in cues):
        time_cues = {f: cues.found[f] for f in ("time_past", "habitual", "danger_goes_on") if f in cues}
        if not decision.over:
            message = f"Nguy hiểm vẫn còn ({time_cues['danger_goes_on']})."
        else:
            when = (f"Sự việc đã qua ({time_cues['time_past']})" if "time_past" in time_cues
                    else f"Sự việc lặp lại nhiều lần ({time_cues['habitual']}), không nói là đang xảy ra")
            verdict = ("nhưng nội dung vẫn cho thấy nguy hiểm: vẫn tính là khẩn cấp" if decision.urgent
                       else "không thấy nguy hiểm còn tiếp diễn: không tính là khẩn cấp")
            message = f"{when}, {verdict}."
        reasons.append({"kind": "time", "cues": time_cues, "message": message})
    if decision.safety_bias:
        reasons.append({"kind": "safety_bias",
                        "message": "Chọn tin báo tội phạm vì điểm đủ ngưỡng an toàn; cần cán bộ xem lại."})
    if truncated:
        reasons.append({"kind": "truncated", "message": "Tin nhắn quá dài, chỉ phân tích phần đầu."})
    return tuple(reasons)
