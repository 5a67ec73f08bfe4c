"""Charts as inline SVG built on the server (no JavaScript library, nothing fetched at run time).

Colours are SVG presentation attributes, not style attributes, so the page's CSP needs no
'unsafe-inline'. Every text piece goes through markupsafe.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from markupsafe import Markup

LABEL_COLOURS = {"crime_tip": "#c0392b", "procedure": "#2471a3", "chat": "#7f8c8d", "urgent": "#922b21"}


def stacked_bars(days: Sequence[date], per_day: dict[date, dict[str, int]], labels: Sequence[str],
                 names: dict[str, str], *, title: str, width: int = 360, height: int = 220) -> Markup:
    """Messages per label per day as stacked columns, with a legend and a y axis (drawn 360 wide so that
    its text stays readable on a phone)."""
    left, bottom, top = 28, 30, 26
    plot_h = height - bottom - top
    biggest = max([sum(per_day[d].values()) for d in days] + [1])
    step = (width - left - 10) / max(len(days), 1)
    bar = max(step * 0.7, 1)
    parts = [Markup('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" '
                    'aria-label="{t}" class="chart">').format(w=width, h=height, t=title),
             Markup("<title>{}</title>").format(title)]
    for fraction in (0, 0.5, 1):
        y = top + plot_h * (1 - fraction)
        parts.append(Markup('<line x1="{l}" x2="{r}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                            '<text x="{tx}" y="{ty:.1f}" font-size="11" text-anchor="end">{v}</text>')
                     .format(l=left, r=width - 10, y=y, tx=left - 4, ty=y + 4, v=round(biggest * fraction)))
    for i, day in enumerate(days):
        x = left + i * step + (step - bar) / 2
        y = top + plot_h
        for label in labels:
            count = per_day[day].get(label, 0)
            if not count:
                continue
            h = plot_h * count / biggest
            y -= h
            parts.append(Markup('<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{c}">'
                                '<title>{d}: {n} {name}</title></rect>')
                         .format(x=x, y=y, w=bar, h=h, c=LABEL_COLOURS.get(label, "#555"),
                                 d=day.strftime("%d/%m"), n=count, name=names.get(label, label)))
        if i % max(1, -(-len(days) // 7)) == 0:
            parts.append(Markup('<text x="{x:.1f}" y="{y}" font-size="11" text-anchor="middle">{d}</text>')
                         .format(x=x + bar / 2, y=height - bottom + 14, d=day.strftime("%d/%m")))
    for i, label in enumerate(labels):
        x = 4 + i * 118
        parts.append(Markup('<rect x="{x}" y="6" width="12" height="12" fill="{c}"/>'
                            '<text x="{tx}" y="16" font-size="12">{name}</text>')
                     .format(x=x, c=LABEL_COLOURS.get(label, "#555"), tx=x + 16, name=names.get(label, label)))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def share_bar(value: float | None, *, title: str, detail: str, colour: str = "#2471a3",
              width: int = 320) -> Markup:
    """One share (0..1) as a horizontal bar with its percentage; "—" when there is no data."""
    shown = "—" if value is None else f"{value * 100:.1f}%"
    filled = 0 if value is None else max(0.0, min(1.0, value)) * (width - 2)
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} 56" role="img" aria-label="{t}: {s}" '
        'class="chart share"><title>{t}</title>'
        '<text x="0" y="14" font-size="13">{t}</text>'
        '<rect x="1" y="22" width="{inner}" height="16" fill="#eee" stroke="#bbb"/>'
        '<rect x="1" y="22" width="{f:.1f}" height="16" fill="{c}"/>'
        '<text x="{w}" y="14" font-size="13" text-anchor="end" font-weight="bold">{s}</text>'
        '<text x="0" y="52" font-size="11" fill="#555">{d}</text></svg>'
    ).format(w=width, t=title, s=shown, inner=width - 2, f=filled, c=colour, d=detail)

