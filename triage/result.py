"""The result of classifying one message: the contract the HTTP API returns as JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from triage.entities import Entity
from triage.labels import Label
from triage.routing import Route


@dataclass(frozen=True)
class TriageResult:
    """Label, confidence, extras, reasons, entities and routing of one message."""

    label: Label
    confidence: float
    scores: dict[str, float]
    urgent: bool
    procedure_id: str | None
    needs_review: bool
    reasons: tuple[dict[str, Any], ...]
    entities: tuple[Entity, ...]
    route: Route
    model_version: str
    rules_version: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the API response body, without message_id)."""
        return {
            "label": self.label,
            "confidence": round(self.confidence, 4),
            "scores": {label: round(score, 4) for label, score in self.scores.items()},
            "urgent": self.urgent,
            "procedure_id": self.procedure_id,
            "needs_review": self.needs_review,
            "reasons": [dict(reason) for reason in self.reasons],
            "entities": [entity.to_dict() for entity in self.entities],
            "route": self.route.to_dict(),
            "model_version": self.model_version,
            "rules_version": self.rules_version,
        }
