"""A message as safe HTML with the rule phrases that fired highlighted, redacted for roles that need it.

Message text is untrusted: every piece is escaped on its own and only our <mark> tags are added.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

from service.redaction import PLACEHOLDERS, sensitive_spans


def rule_spans(reasons: Iterable[dict[str, Any]]) -> list[tuple[int, int, str]]:
    """(start, end, rule_id) of each rule hit that carries a span."""
    spans = []
    for reason in reasons:
        span = reason.get("span")
        if reason.get("kind") == "rule" and isinstance(span, (list, tuple)) and len(span) == 2:
            spans.append((int(span[0]), int(span[1]), str(reason.get("rule_id", ""))))
    return spans


def merged(spans: Sequence[tuple[int, int, str]], length: int) -> list[tuple[int, int, list[str]]]:
    """Overlapping or touching spans joined (rules often match overlapping phrases), clipped to the text."""
    result: list[tuple[int, int, list[str]]] = []
    for start, end, rule in sorted(spans):
        start, end = max(0, start), min(length, end)
        if start >= end:
            continue
        if result and start <= result[-1][1]:
            last = result[-1]
            result[-1] = (last[0], max(last[1], end), last[2] + ([rule] if rule not in last[2] else []))
        else:
            result.append((start, end, [rule]))
    return result


def highlight(text: str, reasons: Iterable[dict[str, Any]], *, redacted: bool = False,
              rule_names: Mapping[str, str] | None = None) -> Markup:
    """The text as HTML with <mark> around matched rule phrases (titled with the rules' names, else their
    ids); sensitive spans replaced if `redacted`.

    Masks and highlights use spans of the same text. A highlight that covers part of a masked span
    is widened to the whole of it, so the placeholder sits inside the mark and no piece of a
    number escapes.
    """
    masked = sensitive_spans(text) if redacted else []
    spans = merged([_widened(span, masked) for span in rule_spans(reasons)], len(text))
    pieces: list[str] = []
    position = 0
    for start, end, rules in spans:
        pieces.append(_shown(text, position, start, masked))
        title = "; ".join((rule_names or {}).get(rule, rule) for rule in rules)
        pieces.append(Markup('<mark title="{}">{}</mark>').format(title, _shown(text, start, end, masked)))
        position = end
    pieces.append(_shown(text, position, len(text), masked))
    return Markup("").join(pieces)


def _widened(span: tuple[int, int, str], masked: Sequence[tuple[int, int, str]]) -> tuple[int, int, str]:
    start, end, rule = span
    for mask_start, mask_end, _kind in masked:
        if mask_start < end and start < mask_end:
            start, end = min(start, mask_start), max(end, mask_end)
    return start, end, rule


def _shown(text: str, start: int, end: int, masked: Sequence[tuple[int, int, str]]) -> Markup:
    """text[start:end] escaped, each masked span inside it replaced by its placeholder."""
    pieces: list[str] = []
    position = start
    for mask_start, mask_end, kind in masked:
        if start <= mask_start and mask_end <= end:
            pieces.append(escape(text[position:mask_start]))
            pieces.append(escape(PLACEHOLDERS[kind]))
            position = mask_end
    pieces.append(escape(text[position:end]))
    return Markup("").join(pieces)
