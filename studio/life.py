"""A brief's life, and the only place that changes a brief's status.

    writing ──► voting ──► producing ──► done ──► posted
       │                       ▲            (made; `bot.py make` ends here, Discord posts it)
       └──── (make) ───────────┘
    any open status ──► failed | cancelled

``writing``: takes are being written. ``voting``: takes posted, the vote is open. ``producing``: the chosen
take is being made into a film. ``done``: the film exists. ``posted``: it is in the channel. A film that is
re-rendered smaller goes from done/posted back to producing. Everything else is refused (logged, False).
"""
from __future__ import annotations

import logging

from storage.briefs import get_brief, set_brief_status

log = logging.getLogger(__name__)

OPEN = ("writing", "voting", "producing")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "writing": ("voting", "producing", "failed", "cancelled"),
    "voting": ("producing", "failed", "cancelled"),
    "producing": ("done", "posted", "failed", "cancelled"),  # posted: its film is in the channel
    "done": ("posted", "producing"),  # producing again: a smaller re-render of the same take
    "posted": ("producing",),
    "failed": (),
    "cancelled": (),
}


def allowed(current: str | None, new: str) -> bool:
    return new in TRANSITIONS.get(current or "", ())


def move(db, brief_id: int | None, new: str) -> bool:
    """Move brief ``brief_id`` to status ``new`` when its life allows it; False (and a log line) otherwise.

    Staying where it is counts as allowed (True): a resumed job may ask twice."""
    if brief_id is None:
        return False
    row = get_brief(db, brief_id)
    if row is None:
        log.info("brief %s is gone; not moving it to %s", brief_id, new)
        return False
    if row["status"] == new:
        return True
    if not allowed(row["status"], new):
        log.info("brief %s stays %s (%s -> %s is not a step in a brief's life)", brief_id, row["status"],
                 row["status"], new)
        return False
    set_brief_status(db, brief_id, new)
    return True


def status(db, brief_id: int) -> str | None:
    row = get_brief(db, brief_id)
    return row["status"] if row else None
