"""Opt-in real rate-limit buckets: honest X-RateLimit headers let discord.py pace itself, so a burst
of edits arrives complete, in order, without a single 429."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import discord
import pytest

from tests.discord_double import DiscordDouble, DoubleConfig


@pytest.fixture
def discord_double_config(request: pytest.FixtureRequest) -> DoubleConfig:
    """Short windows keep the pacing test quick; the 429 test needs a window that cannot lapse."""
    slow = "429" in request.node.name
    return DoubleConfig(message_rate=(3, 60.0) if slow else (3, 0.4))


def test_a_burst_of_edits_is_paced_by_the_bucket_headers(discord_double: DiscordDouble, run_bot) -> None:
    w = discord_double.default
    bot = run_bot(lambda: discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.1))

    async def burst() -> int:
        msg = await bot.client.get_channel(w.general_id).send("0%")
        for pct in range(10, 101, 10):
            await msg.edit(content=f"{pct}%")
        return msg.id

    mid = bot.call(burst)
    edits = discord_double.message(mid).edits
    assert [e.content for e in edits] == [f"{p}%" for p in range(10, 101, 10)]
    patches = discord_double.requests("PATCH /channels/*/messages/*")
    assert {r.status for r in patches} == {200}  # discord.py waited instead of being refused


def test_ignoring_the_bucket_gets_a_429(discord_double: DiscordDouble) -> None:
    w = discord_double.default
    url = f"{discord_double.api_base}/channels/{w.general_id}/messages"
    headers = {"Authorization": f"Bot {discord_double.token}", "Content-Type": "application/json"}
    codes = []
    for i in range(4):
        req = urllib.request.Request(url, json.dumps({"content": str(i)}).encode(), headers, method="POST")
        try:
            with urllib.request.urlopen(req) as resp:
                codes.append((resp.status, resp.headers["X-RateLimit-Remaining"]))
        except urllib.error.HTTPError as exc:
            body = json.loads(exc.read())
            codes.append((exc.code, body["retry_after"] > 0))
    assert codes == [(200, "2"), (200, "1"), (200, "0"), (429, True)]
