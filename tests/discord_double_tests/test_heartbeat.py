"""A zombie connection (no HEARTBEAT_ACK) and a plain dropped socket both end in a RESUME.
Also shows how a test module changes the double's config."""
from __future__ import annotations

import discord
import pytest

from tests.discord_double import DiscordDouble, DoubleConfig


@pytest.fixture
def discord_double_config() -> DoubleConfig:
    return DoubleConfig(heartbeat_ms=150)


def test_missing_heartbeat_acks_and_a_dropped_socket_resume(discord_double: DiscordDouble, run_bot) -> None:
    w = discord_double.default
    seen: list = []

    def factory() -> discord.Client:
        intents = discord.Intents.default()
        intents.message_content = True
        client = discord.Client(intents=intents, guild_ready_timeout=0.1, heartbeat_timeout=0.6)

        @client.event
        async def on_message(message: discord.Message) -> None:
            seen.append(message.content)

        return client

    run_bot(factory)
    discord_double.wait_for(lambda: discord_double.gateway_stats().heartbeats >= 3)
    discord_double.set_heartbeat_acks(False)
    discord_double.wait_for(lambda: discord_double.gateway_stats().resumes == 1, what="a resume after zombie")
    discord_double.set_heartbeat_acks(True)

    discord_double.drop_connection()
    discord_double.wait_for(lambda: discord_double.gateway_stats().resumes == 2 and discord_double.connected,
                            what="a resume after a drop")
    discord_double.user_sends_message(w.general_id, w.member_id, "still here")
    discord_double.wait_for(lambda: seen == ["still here"])
    assert discord_double.gateway_stats().identifies == 1
