"""Optional real rate-limit buckets (off unless DoubleConfig sets them): per-channel message
create/edit/delete, per-channel reactions, per-token interaction webhooks, answered with honest
X-RateLimit-* headers so discord.py can pace itself, and a 429 when a request exceeds the bucket."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass

_MESSAGES = re.compile(r"^/channels/(\d+)/messages(?:/\d+)?$")
_REACTIONS = re.compile(r"^/channels/(\d+)/messages/\d+/reactions/")
_WEBHOOK = re.compile(r"^/webhooks/\d+/([^/]+)")

Rate = tuple[int, float]  # (requests, per seconds)


@dataclass
class _Window:
    limit: int
    per: float
    start: float = 0.0
    used: int = 0


@dataclass(frozen=True)
class Taken:
    """The outcome of one request against its bucket."""

    bucket: str
    limit: int
    remaining: int
    reset_after: float
    retry_after: float | None  # None: allowed; else the 429's retry_after

    def headers(self, now: float) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset-After": f"{self.reset_after:.3f}", "X-RateLimit-Reset": f"{now + self.reset_after:.3f}",
            "X-RateLimit-Bucket": self.bucket, "Via": "1.1 google",
        }


class Buckets:
    def __init__(self, messages: Rate | None, reactions: Rate | None, webhooks: Rate | None) -> None:
        self._rates = {"messages": messages, "reactions": reactions, "webhooks": webhooks}
        self._windows: dict[tuple[str, str, str], _Window] = {}

    def _route(self, method: str, rel: str) -> tuple[str, str] | None:
        if method == "GET":
            return None
        if m := _REACTIONS.match(rel):
            return "reactions", m.group(1)
        if m := _MESSAGES.match(rel):
            return "messages", m.group(1)
        if m := _WEBHOOK.match(rel):
            return "webhooks", m.group(1)
        return None

    def take(self, method: str, rel: str) -> Taken | None:
        route = self._route(method, rel)
        rate = self._rates.get(route[0]) if route else None
        if route is None or rate is None:
            return None
        key = (route[0], method if route[0] == "messages" else "*", route[1])
        win = self._windows.setdefault(key, _Window(*rate))
        now = time.monotonic()
        if now - win.start >= win.per:
            win.start, win.used = now, 0
        reset_after = max(0.0, win.start + win.per - now)
        name = f"{key[0]}-{key[1].lower()}"
        if win.used >= win.limit:
            return Taken(name, win.limit, 0, reset_after, reset_after)
        win.used += 1
        return Taken(name, win.limit, win.limit - win.used, reset_after, None)
