"""The label set and routing vocabularies of LABELING.md, as types."""

from typing import Literal

Label = Literal["crime_tip", "procedure", "chat"]
LABELS: tuple[Label, ...] = ("crime_tip", "procedure", "chat")

Action = Literal["handoff", "auto_reply"]
Queue = Literal["crime_tips", "procedures", "chat", "review"]
Priority = Literal["urgent", "high", "normal", "low"]
