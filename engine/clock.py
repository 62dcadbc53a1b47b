"""Times as people read them in a film: minutes, seconds and tenths ("1:04.8")."""
from __future__ import annotations


def minutes_seconds(t: float) -> str:
    """``t`` seconds as m:ss.s, rounded to the tenth first (59.96 s is 1:00.0, not 0:60.0)."""
    tenths = int(round(t * 10))
    return f"{tenths // 600}:{tenths % 600 / 10:04.1f}"
