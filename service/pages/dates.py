"""Days as officers write them: dd/mm/yyyy (d/m/yyyy too); ISO yyyy-mm-dd still accepted for old links."""

from __future__ import annotations

import re
from datetime import date

DAY_PATTERN = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def parse_day(raw: str) -> date | None:
    """The day written as dd/mm/yyyy or yyyy-mm-dd, or None if it is not a real day in either form."""
    raw = raw.strip()
    found = DAY_PATTERN.fullmatch(raw)
    try:
        if found:
            day, month, year = (int(part) for part in found.groups())
            return date(year, month, day)
        return date.fromisoformat(raw) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw) else None
    except ValueError:
        return None
