"""Dates the user types on the command line (`--since 2025-09-01`, `--since 7d`)."""

from __future__ import annotations

import datetime as dt
import re

from .errors import UsageError

_RELATIVE = re.compile(r"(\d{1,5})([dwmy])")
_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


def parse_user_date(text: str, today: dt.date | None = None) -> dt.date:
    """YYYY-MM-DD, YYYY-MM (first day), `today`, `yesterday`, or N days/weeks/months/years ago."""
    today = today or dt.date.today()
    value = text.strip().lower()
    if value == "today":
        return today
    if value == "yesterday":
        return today - dt.timedelta(days=1)
    relative = _RELATIVE.fullmatch(value)
    if relative:
        return today - dt.timedelta(days=int(relative[1]) * _DAYS[relative[2]])
    try:
        if re.fullmatch(r"\d{4}-\d{2}", value):
            return dt.date.fromisoformat(value + "-01")
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return dt.date.fromisoformat(value)
    except ValueError:
        pass
    raise UsageError(
        f"{text!r} is not a date: use YYYY-MM-DD, YYYY-MM, today, yesterday or e.g. 7d, 2w, 3m"
    )
