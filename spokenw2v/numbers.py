"""How spokenw2v prints a number: one formatter for every table, log line and report."""

from __future__ import annotations

import math
from typing import Optional, Union

Number = Union[int, float, str, None]


def is_missing(value: Number) -> bool:
    """True for what a table shows as a placeholder: None, an empty cell, or NaN."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def fixed(value: Number, digits: int = 3, missing: str = "-", sign: bool = False,
          thousands: bool = False, width: int = 0) -> str:
    """``value`` with ``digits`` decimals (``0.123``), or ``missing`` where there is no number
    (None, an empty cell or NaN). ``sign`` writes ``+`` before a positive value, ``thousands``
    groups digits (``12,345``), ``width`` right-aligns the text (the placeholder too)."""
    if is_missing(value):
        return f"{missing:>{width}}"
    spec = f"{'+' if sign else ''}{width or ''}{',' if thousands else ''}.{digits}f"
    return format(float(value), spec)
