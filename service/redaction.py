"""The one redaction policy: what a role may see of citizens' text.

Officers and admins see messages as sent. Every other role (analysts, and any role added later)
sees them redacted, in every channel: pages, API, notes, reasons, entities and
`export-corrections`. Redaction replaces, after folding the text (NFKD compatibility forms, so
fullwidth digits count; diacritics dropped, so "số tài khoản" and "so tai khoan" are one
keyword):

- any run of 9 or more digits joined by spaces, dots, dashes or brackets (phones, ID numbers,
  bank accounts, however grouped), except a date ("30.11.2026") or a sum of money
  ("1.500.000.000 đồng") standing on its own;
- licence plates in every common form (92E1.123.46, 92E1-12346, 43A-123.45, 29 A1 123.45);
- a run of 6 or more digits after a bank-account keyword (stk, số tài khoản, tk, account);
- the query string and fragment of a URL (what follows "?" or "#").

Masking works on spans of the text as stored, so the review screen's highlighting (spans into
the same text) stays aligned: see `service.highlight`.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

FULL_TEXT_ROLES = frozenset({"officer", "admin"})

PLACEHOLDERS = {
    "phone": "[SĐT]", "id_number": "[SỐ GIẤY TỜ]", "account": "[SỐ TÀI KHOẢN]", "number": "[DÃY SỐ]",
    "plate": "[BIỂN SỐ]", "query": "[THAM SỐ]",
}
# Entity kinds of `triage.entities` whose text and value are hidden as a whole.
MASKED_ENTITIES = frozenset({"phone", "plate", "id_number"})

MIN_RUN_DIGITS = 9
MIN_ACCOUNT_DIGITS = 6

_SEP = r"[\s.\-\u2010-\u2015()\[\]]"
# Digits with up to three separators between them; may start with + or an opening bracket.
_RUN = re.compile(rf"[+(\[]?\d(?:{_SEP}{{0,3}}\d)*")
# A bare domain starts after no other name character, so "a.a.a.a…" is scanned once, not from every dot.
_URL_QUERY = re.compile(r"(?:https?://|www\.|(?<![\w.\-/])[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/)[^\s?#]*+[?#](\S+)",
                        re.IGNORECASE)
# After a space the series is upper case or ends in a digit ("29 A1", "92 e1"), so "20 m 3000" is no plate.
_PLATE = re.compile(r"(?<![\w.])\d{2}(?:[-.]?[A-Za-z]{1,2}|[ ](?:[A-Z]{1,2}|[a-z]{1,2}(?=\d)))\d{0,2}[ .-]?"
                    r"\d{3}[.\- ]?\d{1,2}(?![\w])")
_DATE = re.compile(r"(?<![\d.\-])(?:0?[1-9]|[12]\d|3[01])([.\-])(?:0?[1-9]|1[0-2])\1(?:19|20)\d\d(?![\d]|[.\-]\d)")
_MONEY = re.compile(r"(?<![\d.,])\d{1,3}(?:[.,]\d{3})+\s?(?:dong|vnd|d|k|tr|trieu|ty|ti)(?!\w)", re.IGNORECASE)
_ACCOUNT = re.compile(rf"\b(?:stk|so\s*tk|tk|(?:so\s*)?tai\s*khoan|account(?:\s*(?:no|number))?)\b\W{{0,3}}"
                      rf"(?:la\s+)?(\d(?:{_SEP}{{0,3}}\d)*)", re.IGNORECASE)
_BLANK = "\x00"


def sees_full_text(role: str | None) -> bool:
    """Whether this role sees citizens' text unredacted."""
    return role in FULL_TEXT_ROLES


def sensitive_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every part of `text` the policy masks, in order and not overlapping."""
    folded, origin = _fold(text)
    found: list[tuple[int, int, str]] = []

    def take(start: int, end: int, kind: str) -> None:
        nonlocal folded
        found.append((origin[start], origin[end - 1] + 1, kind))
        folded = folded[:start] + _BLANK * (end - start) + folded[end:]

    for match in _URL_QUERY.finditer(folded):
        take(*match.span(1), "query")
    for match in _PLATE.finditer(folded):
        take(*match.span(), "plate")
    for match in _ACCOUNT.finditer(folded):
        if _digit_count(match.group(1)) >= MIN_ACCOUNT_DIGITS and not _is_money(folded, match.span(1)):
            take(*match.span(1), "account")
    kept = folded
    for pattern in (_DATE, _MONEY):  # a date or a sum on its own is not a number to hide
        for match in pattern.finditer(kept):
            folded = folded[:match.start()] + _BLANK * (match.end() - match.start()) + folded[match.end():]
    for match in _RUN.finditer(folded):
        digits = re.sub(r"\D", "", match.group(0))
        if len(digits) >= MIN_RUN_DIGITS:
            found.append((origin[match.start()], origin[match.end() - 1] + 1, _run_kind(digits)))
    return sorted(found)


def mask(text: str) -> str:
    """`text` with every sensitive span replaced by its placeholder."""
    pieces: list[str] = []
    position = 0
    for start, end, kind in sensitive_spans(text):
        pieces.append(text[position:start])
        pieces.append(PLACEHOLDERS[kind])
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def redact(text: str | None, role: str | None) -> str | None:
    """Free text (a message, a note, a reply) as `role` may see it."""
    if text is None or sees_full_text(role):
        return text
    return mask(text)


def redact_result(result: dict[str, Any], role: str | None) -> dict[str, Any]:
    """A stored classification result as `role` may see it: rule matches, entities and reply redacted."""
    if sees_full_text(role):
        return result
    reasons = [{**r, "matched": mask(r["matched"])} if isinstance(r.get("matched"), str) else r
               for r in result.get("reasons", [])]
    entities = [_redacted_entity(e) for e in result.get("entities", [])]
    route = result.get("route")
    if isinstance(route, dict) and isinstance(route.get("reply"), str):
        route = {**route, "reply": mask(route["reply"])}
    return {**result, "reasons": reasons, "entities": entities, "route": route}


def redact_correction(correction: dict[str, Any], role: str | None) -> dict[str, Any]:
    """A stored correction as `role` may see it (officers' notes quote numbers too)."""
    return {**correction, "note": redact(correction.get("note"), role)}


def _redacted_entity(entity: dict[str, Any]) -> dict[str, Any]:
    if entity.get("kind") in MASKED_ENTITIES:
        placeholder = PLACEHOLDERS[entity["kind"]]
        return {**entity, "text": placeholder, "value": placeholder}
    return {**entity, **{key: mask(entity[key]) for key in ("text", "value") if isinstance(entity.get(key), str)}}


def _fold(text: str) -> tuple[str, list[int]]:
    """The text in compatibility form without diacritics, and for each of its characters the index
    of the character of `text` it comes from."""
    if text.isascii():
        return text, list(range(len(text)))
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        for part in unicodedata.normalize("NFKD", char.replace("đ", "d").replace("Đ", "D")):
            if not unicodedata.combining(part):
                chars.append(part)
                origin.append(index)
    return "".join(chars), origin


def _digit_count(text: str) -> int:
    return sum(char.isdigit() for char in text)


def _is_money(folded: str, span: tuple[int, int]) -> bool:
    match = _MONEY.match(folded, span[0])
    return match is not None and match.start() == span[0]


def _run_kind(digits: str) -> str:
    if digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if len(digits) == 10 and digits[0] == "0":
        return "phone"
    if len(digits) in (9, 12):
        return "id_number"
    return "number"
