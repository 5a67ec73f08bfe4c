"""A message as safe HTML with the rule phrases that fired highlighted, masked for analysts.

Message text is untrusted: every piece is escaped on its own and only our <mark> tags are added.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from markupsafe import Markup, escape

from triage.entities import mask_sensitive


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


def highlight(text: str, reasons: Iterable[dict[str, Any]], *, mask: bool = False) -> Markup:
    """The text as HTML with <mark> around matched rule phrases; phones, plates and IDs masked if `mask`.

    When masking, a highlight whose edge would cut through a masked number is dropped, so no
    piece of a number escapes the mask.
    """
    spans = merged(rule_spans(reasons), len(text))
    transform: Callable[[str], str] = mask_sensitive if mask else str
    if mask:
        whole = mask_sensitive(text)
        spans = [s for s in spans if _cut_is_safe(text, s[0], whole) and _cut_is_safe(text, s[1], whole)]
    pieces: list[str] = []
    position = 0
    for start, end, rules in spans:
        pieces.append(escape(transform(text[position:start])))
        pieces.append(Markup('<mark title="{}">{}</mark>').format(", ".join(rules), transform(text[start:end])))
        position = end
    pieces.append(escape(transform(text[position:])))
    return Markup("").join(pieces)


def _cut_is_safe(text: str, at: int, masked_whole: str) -> bool:
    return mask_sensitive(text[:at]) + mask_sensitive(text[at:]) == masked_whole
