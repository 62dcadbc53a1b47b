"""When challenges start: crontab or "Friday 18:00" schedules in an IANA time zone (Discord-free, pure).

Day-of-week numbers mean what they mean in crontab (0 and 7 are Sunday), not APScheduler 3's
Monday-based numbers, so ``0 18 * * 5`` is Friday like ``0 18 * * FRI``.
"""
from __future__ import annotations

import difflib
import functools
import logging
import re
import zoneinfo
from datetime import datetime, timedelta, timezone, tzinfo

from apscheduler.triggers.cron import CronTrigger

from storage.challenges import enabled_schedules

log = logging.getLogger(__name__)

CATCH_UP_FRACTION = 0.5  # a scheduled start missed while down is made up while this share of it is left
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_WEEKLY = re.compile(r"^(?:every\s+)?(?P<day>[a-z]+)\s+(?:at\s+)?(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>am|pm)?$")


def cron_trigger(expr: str | None, tz: tzinfo | str | None = None) -> CronTrigger:
    """A CronTrigger for a standard crontab expression; ValueError saying what is wrong."""
    fields = (expr or "").split()
    if len(fields) != 5:
        raise ValueError(f"{expr!r} is not a crontab expression: it needs 5 fields "
                         "(minute hour day-of-month month day-of-week), e.g. \"0 18 * * FRI\"")
    try:
        fields[4] = _day_of_week(fields[4].lower())
        return CronTrigger.from_crontab(" ".join(fields), timezone=tz)
    except ValueError as e:
        raise ValueError(f"{expr!r} is not a valid crontab expression: {e}") from None


def parse_when(text: str | None) -> str:
    """A crontab expression from "0 18 * * FRI" or "Friday 18:00" / "fri 6pm"; ValueError otherwise."""
    raw = " ".join((text or "").split())
    m = _WEEKLY.match(raw.lower())
    if m and len(raw.split()) < 5:
        day = m["day"][:3]
        if day not in _DAYS:
            raise ValueError(f"{text!r}: {m['day']!r} is not a day of the week")
        hour, minute = int(m["h"]), int(m["m"] or 0)
        if m["ampm"]:
            if not 1 <= hour <= 12:
                raise ValueError(f"{text!r}: with am/pm the hour is 1-12")
            hour = hour % 12 + (12 if m["ampm"] == "pm" else 0)
        if hour > 23 or minute > 59:
            raise ValueError(f"{text!r}: {hour}:{minute:02d} is not a time of day")
        raw = f"{minute} {hour} * * {day.upper()}"
    cron_trigger(raw)  # raises with the reason
    return raw


def _day_of_week(field: str) -> str:
    """crontab's day-of-week field as APScheduler day names (``1-5`` → ``mon,tue,wed,thu,fri``)."""
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        rng, _, step_s = part.partition("/")
        step = _number(step_s, "step") if step_s else 1
        if step < 1:
            raise ValueError(f"day-of-week step must be at least 1, not {step}")
        if rng == "*":
            lo, hi = 0, 6
        elif "-" in rng:
            a, b = rng.split("-", 1)
            lo, hi = _day(a), _day(b)
            if hi == 0 and lo > 0:  # "5-0" or "mon-sun": up to Sunday
                hi = 7
        else:
            lo = hi = _day(rng)
        if lo > hi:
            raise ValueError(f"day-of-week range {rng!r} runs backwards")
        days.update(d % 7 for d in range(lo, hi + 1, step))
    return ",".join(_DAYS[d] for d in sorted(days))


def _day(text: str) -> int:
    if text in _DAYS:
        return _DAYS.index(text)
    n = _number(text, "day of week")
    if not 0 <= n <= 7:
        raise ValueError(f"day of week must be 0-7 or a name like FRI, not {text!r}")
    return n


def _number(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{what} {text!r} is not a number or a day name") from None


def schedule_problem(settings) -> str | None:
    """Why the host-wide schedule (BENJAMIN_CHALLENGE_CRON) cannot run (one line), or None when it can or is off."""
    if not settings.challenge_cron:
        return None
    try:
        cron_trigger(settings.challenge_cron)
    except ValueError as e:
        return f"BENJAMIN_CHALLENGE_CRON: {e}"
    if not settings.challenge_channel:
        return "BENJAMIN_CHALLENGE_CRON is set but BENJAMIN_CHALLENGE_CHANNEL (the channel id to post in) is not"
    return None


# ---- time zones -------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def timezone_names() -> tuple[str, ...]:
    return tuple(sorted(n for n in zoneinfo.available_timezones() if "/" in n or n == "UTC"))


def get_timezone(name: str | None) -> zoneinfo.ZoneInfo:
    """An IANA time zone by name (case-insensitive); ValueError with close names when unknown."""
    text = (name or "").strip()
    exact = {n.lower(): n for n in timezone_names()}
    key = exact.get(text.lower())
    if key is None:
        near = timezone_choices(text, limit=3) or difflib.get_close_matches(text, timezone_names(), n=3, cutoff=0.7)
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        raise ValueError(f"{name!r} is not a time zone name like Europe/London or America/New_York{hint}")
    return zoneinfo.ZoneInfo(key)


def timezone_choices(partial: str, limit: int = 25) -> list[str]:
    """Names for autocomplete: those starting with ``partial`` (or its city part) first, then containing it."""
    p = (partial or "").strip().lower().replace(" ", "_")
    names = timezone_names()
    if not p:
        return ["UTC", "Europe/London", "Europe/Paris", "America/New_York", "America/Los_Angeles",
                "Asia/Tokyo", "Australia/Sydney"][:limit]
    first = [n for n in names if n.lower().startswith(p) or n.lower().split("/")[-1].startswith(p)]
    rest = [n for n in names if p in n.lower() and n not in first]
    return (first + rest)[:limit]


def local_timezone_name() -> str:
    """The bot machine's own zone (the env schedule's), as an IANA name."""
    from tzlocal import get_localzone_name

    try:
        return get_localzone_name() or "UTC"
    except Exception:  # an unusual /etc/localtime: crontab times are then UTC
        return "UTC"


# ---- slots ------------------------------------------------------------------------------------------

def latest_slot(trigger: CronTrigger, now: datetime, window_s: float) -> datetime | None:
    """The latest scheduled time in (now - window_s, now], or None: the start a firing at ``now`` is for."""
    t = trigger.get_next_fire_time(None, now - timedelta(seconds=window_s))
    last = None
    while t is not None and t <= now:
        last = t
        t = trigger.get_next_fire_time(t, t + timedelta(microseconds=1))
    return last


def next_slot(trigger: CronTrigger, now: datetime) -> datetime | None:
    return trigger.get_next_fire_time(None, now + timedelta(microseconds=1))


# ---- the servers' schedules (storage) -------------------------------------------------------------

def due_slots(db, now: float, catch_up_fraction: float = CATCH_UP_FRACTION) -> list[tuple[dict, float]]:
    """(schedule, slot) for every enabled schedule whose latest start is due and not yet claimed."""
    out = []
    when = datetime.fromtimestamp(now, timezone.utc)
    for sched in enabled_schedules(db):
        try:
            trigger = cron_trigger(sched["cron"], sched["timezone"])
        except ValueError as e:  # stored before a rule changed: say so, skip it
            log.error("challenge schedule %s of server %s is not usable: %s", sched["id"], sched["guild_id"], e)
            continue
        slot = latest_slot(trigger, when, sched["hours"] * 3600 * catch_up_fraction)
        if slot is not None and (sched["last_slot_ts"] is None or sched["last_slot_ts"] < slot.timestamp()):
            out.append((sched, slot.timestamp()))
    return out


def next_start(sched: dict, now: float) -> float | None:
    nxt = next_slot(cron_trigger(sched["cron"], sched["timezone"]), datetime.fromtimestamp(now, timezone.utc))
    return nxt.timestamp() if nxt else None
