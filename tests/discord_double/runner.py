"""Run a real discord.py client on its own event loop in a background thread, so a synchronous
test can drive the double and inspect the bot side by side."""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from typing import Any, Awaitable, Callable, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class BotThread:
    """Start with .start(); .call(coro_fn) runs a coroutine on the bot's loop; .stop() closes it.

    client_factory is called on the bot's thread (so anything it creates binds to that loop)."""

    def __init__(self, client_factory: Callable[[], Any], token: str) -> None:
        self._factory = client_factory
        self._token = token
        self.client: Any = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._ready = threading.Event()
        self._done = threading.Event()

    def start(self, wait_ready: bool = True, timeout: float = 30.0) -> "BotThread":
        self._thread = threading.Thread(target=self._run, name="discord-bot", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout):
            raise TimeoutError("bot thread did not start")
        if wait_ready:
            self.wait_ready(timeout)
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self.loop = loop
        try:
            loop.run_until_complete(self._main())
        except BaseException as exc:  # kept for the test to see
            self.error = exc
            log.debug("bot thread ended with %r", exc)
        finally:
            try:
                pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
                for t in pending:
                    t.cancel()
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()
                self._started.set()
                self._done.set()

    async def _main(self) -> None:
        self.client = self._factory()
        self._started.set()
        async with self.client:
            await self.client.login(self._token)

            async def mark_ready() -> None:
                await self.client.wait_until_ready()
                self._ready.set()
            waiter = asyncio.create_task(mark_ready())
            try:
                await self.client.connect(reconnect=True)
            finally:
                waiter.cancel()

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Block until on_ready fired (READY + GUILD_CREATE handled)."""
        while not self._ready.wait(0.05):
            if self._done.is_set():
                raise RuntimeError(f"bot stopped before it was ready: {self.error!r}") from self.error
            timeout -= 0.05
            if timeout <= 0:
                raise TimeoutError("bot was not ready in time")

    def call(self, fn: Callable[[], Awaitable[T]] | Awaitable[T], timeout: float = 30.0) -> T:
        """Run a coroutine, or a zero-argument function returning one, on the bot's loop. A function
        is called on that loop, so it may touch loop objects (asyncio.Event.set, client caches)."""
        assert self.loop is not None

        async def runner() -> T:
            return await (fn() if callable(fn) else fn)  # type: ignore[misc]

        fut: concurrent.futures.Future = asyncio.run_coroutine_threadsafe(runner(), self.loop)
        return fut.result(timeout)

    def stop(self, timeout: float = 15.0) -> None:
        if self.loop is not None and not self._done.is_set() and self.client is not None:
            try:
                asyncio.run_coroutine_threadsafe(self.client.close(), self.loop).result(timeout)
            except Exception:  # loop already gone or close raced with shutdown
                log.debug("client.close() failed", exc_info=True)
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise RuntimeError("bot thread did not stop")
