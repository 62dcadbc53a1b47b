"""pytest fixtures for tests that run a real discord.py bot against the double.

Use from a conftest.py or test module:
    from tests.discord_double.fixtures import discord_double, discord_env, run_bot  # noqa: F401
Define a fixture named discord_double_config returning a DoubleConfig to change the double.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest

from .runner import BotThread
from .core import DoubleConfig
from .server import DiscordDouble


@pytest.fixture
def discord_double(request: pytest.FixtureRequest) -> Iterator[DiscordDouble]:
    """A started double with the default world (double.default) and discord.py pointed at it.
    Define a `discord_double_config` fixture returning a DoubleConfig to change its behaviour.
    Fails the test if the double itself crashed while serving it."""
    try:
        config = request.getfixturevalue("discord_double_config")
    except pytest.FixtureLookupError:
        config = DoubleConfig()
    double = DiscordDouble(config).start()
    try:
        double.setup_default_world()
        with double.point_discord_py_here():
            yield double
    finally:
        double.stop()
    if double.internal_errors:
        pytest.fail("the Discord double crashed (its bug, not the bot's):\n" + "\n".join(double.internal_errors))


@pytest.fixture
def discord_env(monkeypatch: pytest.MonkeyPatch, discord_double: DiscordDouble) -> DiscordDouble:
    """Also sets DISCORD_TOKEN and DISCORD_API_BASE so bot.settings reads the double's values."""
    monkeypatch.setenv("DISCORD_TOKEN", discord_double.token)
    monkeypatch.setenv("DISCORD_API_BASE", discord_double.api_base)
    return discord_double


@pytest.fixture
def run_bot(discord_double: DiscordDouble) -> Iterator[Callable[..., BotThread]]:
    """run_bot(factory) starts factory() (a discord.Client / commands.Bot) on its own thread, logs in
    with the double's token and waits for on_ready. Every bot started is closed at teardown."""
    started: list[BotThread] = []

    def start(factory: Callable[[], Any], *, wait_ready: bool = True, timeout: float = 30.0) -> BotThread:
        bot = BotThread(factory, discord_double.token)
        started.append(bot)
        return bot.start(wait_ready=wait_ready, timeout=timeout)

    yield start
    for bot in reversed(started):
        bot.stop()
