"""Shared helpers for the challenge tests: a fake clock, and a bot + worker that run on it."""
from __future__ import annotations

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

from storage.challenges import get_challenge
from tests.bot.test_discord_flow import bot_msgs, is_ballot, is_take, wait_msgs

LONDON = ZoneInfo("Europe/London")
FRIDAY_1759 = datetime(2026, 11, 27, 17, 59, tzinfo=LONDON).timestamp()  # a minute before Friday 18:00 in London
FRIDAY_6PM = datetime(2026, 11, 27, 18, 0, tzinfo=LONDON).timestamp()

__all__ = ["FakeClock", "bot_msgs", "is_ballot", "is_take", "wait_msgs", "FRIDAY_1759", "FRIDAY_6PM", "LONDON",
           "start_stack", "cog", "wake", "challenge", "is_mp4", "posts", "schedule", "vote"]


class FakeClock:
    """The bot's idea of now; tests move it on (a 48-hour challenge in seconds)."""

    def __init__(self, t: float) -> None:
        self.t = float(t)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.t

    def set(self, t: float) -> None:
        with self._lock:
            assert t >= self.t, "time runs forwards"
            self.t = float(t)


def start_stack(make_stack, clock, handlers=None, film_overrides=None, **env):
    st = make_stack(handlers=handlers, film_overrides=film_overrides, start=False, **env)
    st.clock = clock
    st.start_worker()
    st.start_bot()
    return st


def cog(st):
    return st.bot.client.get_cog("Challenge")


def wake(st, at: float | None = None, clock: FakeClock | None = None) -> None:
    """Move the clock to ``at`` and run what is due, as the scheduler's alarm does."""
    if at is not None:
        (clock or st.clock).set(at)
    st.bot.call(cog(st).wake())


def challenge(st, cid: int = 1) -> dict:
    return get_challenge(st.db, cid)


def is_mp4(m) -> bool:
    return any(a.filename.endswith(".mp4") for a in m.attachments)


def posts(d, channel_id, marker: str) -> list:
    return bot_msgs(d, channel_id, lambda m: marker in m.content)


def schedule(d, user, channel_id, when="Friday 18:00", tz="Europe/London", **opts):
    options = {"when": when, "timezone": tz, **opts}
    return d.invoke_slash("challenge", subcommand="schedule", user=user, channel_id=channel_id,
                          options=options).wait_original()


def vote(d, st, channel_id, take_msg, user, index, brief_id) -> None:
    from bot.text import number_emoji

    before = len(st.rows("select * from votes where brief_id = ? and user_id = ?", [brief_id, user]))
    d.user_reacts(channel_id, take_msg.id, user, number_emoji(index))
    if not before:
        d.wait_for(lambda: st.rows("select * from votes where brief_id = ? and user_id = ?", [brief_id, user]),
                   what=f"the vote of {user}")
