"""Officers' corrections as training rows (what `triage export-corrections` writes)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from service.communes import Scope, scope_condition
from service.db import Database
from service.redaction import redact
from service.schema import corrections, messages
from service.worklist import effective_condition

COLUMNS = ["text", "label", "urgent", "procedure_id", "source", "corrected_by_role", "corrected_at",
           "predicted_label"]


def corrections_frame(db: Database, communes: Scope = None) -> pd.DataFrame:
    """The latest standing correction of each corrected message of these communes (None: all) joined with the
    message, text redacted as analysts see it (`service.redaction`), oldest correction first."""
    query = (select(messages.c.id, messages.c.text, messages.c.label.label("predicted_label"),
                    corrections.c.label, corrections.c.urgent, corrections.c.procedure_id,
                    corrections.c.created_by_role, corrections.c.created_at, corrections.c.id.label("cid"))
             .join(messages, messages.c.id == corrections.c.message_id)
             # Undone labels and the undos themselves are no officer's decision: standing ones only.
             .where(scope_condition(messages.c.commune, communes), effective_condition()).order_by(corrections.c.id))
    with db.transaction() as conn:
        rows = pd.DataFrame(conn.execute(query).mappings().all())
    if rows.empty:
        return pd.DataFrame(columns=COLUMNS)
    latest = rows.drop_duplicates("id", keep="last")
    stamps = pd.to_datetime(latest["created_at"], utc=True)
    return pd.DataFrame({
        "text": [redact(text, "analyst") for text in latest["text"]],
        "label": latest["label"],
        "urgent": [int(bool(u) and label == "crime_tip") for u, label in zip(latest["urgent"], latest["label"])],
        "procedure_id": latest["procedure_id"].fillna("").where(latest["label"] == "procedure", ""),
        "source": "correction:" + latest["id"],
        "corrected_by_role": latest["created_by_role"],
        "corrected_at": stamps.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "predicted_label": latest["predicted_label"],
    })[COLUMNS].reset_index(drop=True)
