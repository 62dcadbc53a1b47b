"""Fixtures for the bot's integration tests against tests/discord_double."""
from __future__ import annotations

import pytest

from tests.bot.harness import FakeJobs, Stack, settings_for
from tests.discord_double.fixtures import discord_double, run_bot  # noqa: F401


@pytest.fixture
def fake_jobs() -> FakeJobs:
    return FakeJobs()


@pytest.fixture
def make_stack(discord_double, run_bot, tmp_path, fake_jobs):  # noqa: F811
    """make_stack(**env) -> a Stack with the bot and a worker (stand-in handlers) started."""
    stacks: list[Stack] = []

    def make(handlers=None, film_overrides=None, start=True, **env) -> Stack:
        settings = settings_for(discord_double, tmp_path / "home", **env)
        stack = Stack(discord_double, run_bot, settings, handlers or fake_jobs.handlers(), film_overrides)
        stacks.append(stack)
        if start:
            stack.start_worker()
            stack.start_bot()
        return stack

    yield make
    for s in stacks:
        s.stop_worker()
