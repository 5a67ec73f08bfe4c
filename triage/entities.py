"""Entities in a message: hamlets of the commune, phone numbers, motorbike plates, ID numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from triage.phrases import PhraseIndex
from triage.text import NormalizedText

EntityKind = Literal["hamlet", "phone", "plate", "id_number"]

# Vietnamese mobile/landline numbers: 0 or +84/84, then 9-10 digits, allowing . - and spaces.
_PHONE = re.compile(r"(?<![\w.])(?:\+?84|0)(?:[ .-]?\d){8,10}(?![\w])")
# Motorbike/car plates: 92E1-123.45, 43-A1 12345, 92H1 12345, 51F-123.45.
_PLATE = re.compile(r"(?<![\w])\d{2}[ -]?[A-Za-z][A-Za-z0-9]?[ -]?\d{3}\.?\d{1,2}(?![\w])")
# CCCD (12 digits) and old CMND (9 digits).
_ID_NUMBER = re.compile(r"(?<![\w.+])(?:\d{12}|\d{9})(?![\w])")
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True, slots=True)
class Entity:
    """One entity: its kind, the text as written, its span, and a normalized value."""

    kind: EntityKind
    text: str
    span: tuple[int, int]
    value: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "span": list(self.span), "value": self.value}


def find_entities(message: NormalizedText, hamlets: PhraseIndex[str]) -> list[Entity]:
    """All entities in text order; `hamlets` maps hamlet names/aliases to hamlet ids."""
    found = [Entity("hamlet", m.matched, m.span, m.key) for m in hamlets.find(message)]
    if _DIGIT.search(message.text):  # every number pattern needs a digit, and most messages have none
        found += _numbers(message.text)
    found.sort(key=lambda entity: entity.span)
    return found


def _numbers(text: str) -> list[Entity]:
    """Plates, phone numbers and ID numbers; a span taken by one is not matched again by the next."""
    found: list[Entity] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in (("plate", _PLATE), ("phone", _PHONE), ("id_number", _ID_NUMBER)):
        for match in pattern.finditer(text):
            span = match.span()
            if any(span[0] < end and start < span[1] for start, end in taken):
                continue
            value = re.sub(r"[^0-9A-Za-z]", "", match.group(0)).upper()
            if kind == "phone" and not _is_phone(value):
                continue
            taken.append(span)
            found.append(Entity(kind, match.group(0), span, value))
    return found


def _is_phone(digits: str) -> bool:
    if digits.startswith("84"):
        digits = "0" + digits[2:]
    return len(digits) == 10 and digits[0] == "0" and digits[1] in "235789"

