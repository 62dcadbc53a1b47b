"""The double's own tests use its public fixtures, exactly as bot tests do, and check that every
test leaves no thread or socket behind."""
from __future__ import annotations

import gc
import os
import threading
import time

import pytest

from tests.discord_double.fixtures import discord_double, discord_env, run_bot  # noqa: F401


def _sockets() -> int:
    n = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            n += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
        except OSError:
            continue
    return n


@pytest.fixture(autouse=True)
def _no_leaks():
    """Torn down after the double and the bot: their threads and sockets must be gone."""
    threads, sockets = set(threading.enumerate()), _sockets()
    yield
    deadline = time.monotonic() + 5
    while True:
        gc.collect()
        extra = [t.name for t in set(threading.enumerate()) - threads if t.is_alive()]
        leaked = _sockets() - sockets
        if (not extra and leaked <= 0) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not extra, f"threads left running: {extra}"
    assert leaked <= 0, f"{leaked} socket(s) left open"
