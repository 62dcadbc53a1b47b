"""Stop on SIGINT or SIGTERM, whatever dispositions the process inherited.

A shell's background job inherits SIGINT ignored, and Python then installs no KeyboardInterrupt handler;
supervisors (systemd, Docker, scripts) send SIGTERM. Both commands that run for long (`bot.py run`,
`bot.py worker`) install their own handlers: the first signal asks for a clean stop (the running job is
given back, resumable), a second one ends the process at once.
"""
from __future__ import annotations

import asyncio
import logging
import signal
from typing import Callable

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _at_once() -> None:
    """From now on a stop signal ends the process immediately (the kernel's default action)."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_DFL)


def install(on_stop: Callable[[], None]) -> None:
    """Call ``on_stop`` on the first SIGINT/SIGTERM (from the main thread); a second one kills at once."""
    def handler(signum, _frame):
        log.info("%s: stopping cleanly (send it again to stop at once)", signal.Signals(signum).name)
        _at_once()
        on_stop()

    for sig in STOP_SIGNALS:
        signal.signal(sig, handler)


def install_on_loop(loop: asyncio.AbstractEventLoop, on_stop: Callable[[], None]) -> None:
    """The same for an asyncio loop: ``on_stop`` runs on the loop (it may schedule coroutines)."""
    def handler(signum: int) -> None:
        log.info("%s: stopping cleanly (send it again to stop at once)", signal.Signals(signum).name)
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)
        _at_once()
        on_stop()

    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, handler, sig)
