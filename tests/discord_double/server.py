"""DiscordDouble: a fake Discord (REST + gateway + CDN) on 127.0.0.1, run on its own event loop in a
background thread. Every public method is thread-safe and synchronous; reads return snapshots."""
from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import threading
import time
from typing import Any, Callable, Iterator, TypeVar

from aiohttp import web

from . import interactions_rest, rest
from .actions import UserActions
from .building import DefaultWorld, WorldBuilding
from .core import Core, DoubleConfig
from .gateway import Gateway, GatewayStats
from .http_util import ApiError, RateLimitRule, make_middleware
from .mentions import Pings, compute_pings
from .ratelimits import Buckets
from .state import AppCommand, Clock, Interaction, Message, RequestRecord, User, World

log = logging.getLogger(__name__)
T = TypeVar("T")


class DiscordDouble(WorldBuilding, UserActions):
    def __init__(self, config: DoubleConfig | None = None) -> None:
        self.config = config or DoubleConfig()
        self.clock = Clock()
        self._world = World(self.clock)
        self._rules: list[RateLimitRule] = []
        self.internal_errors: list[str] = []  # tracebacks of the double's own failures
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._gateway = Gateway(self._world, self.config.token, lambda: self.gateway_url, self.config.heartbeat_ms,
                                errors=self.internal_errors)
        self._core = Core(self._world, self._gateway, self.config)
        w = self._world
        w.bot_user_id = w.ids.next()
        w.application_id = w.bot_user_id  # like modern Discord apps: bot user id == application id
        w.users[w.bot_user_id] = User(w.bot_user_id, "Benjamin", bot=True)
        self.default: DefaultWorld | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "DiscordDouble":
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._serve())
            except BaseException as exc:  # surfaced to start()'s caller
                errors.append(exc)
                loop.close()
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._thread = threading.Thread(target=run, name="discord-double", daemon=True)
        self._thread.start()
        ready.wait(30)
        if errors:
            raise errors[0]
        return self

    async def _serve(self) -> None:
        c = self.config
        buckets = Buckets(c.message_rate, c.reaction_rate, c.webhook_rate)
        middleware = make_middleware(self._world, c.token, self._rules, self.internal_errors, buckets)
        app = web.Application(client_max_size=512 * 1024 * 1024, middlewares=[middleware])
        rest.add_routes(app, self._core)
        interactions_rest.add_routes(app, self._core)
        app.router.add_get("/", self._gateway.handle)
        app.router.add_get("/resume", self._gateway.handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, 0)
        await site.start()
        self._core.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return

        async def shutdown() -> None:
            await self._gateway.close_all()
            if self._runner is not None:
                await self._runner.cleanup()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop = self._thread = None

    def __enter__(self) -> "DiscordDouble":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run fn (sync or async) on the double's loop and return its result."""
        assert self._loop is not None, "DiscordDouble is not started"
        if self._thread is threading.current_thread():
            raise RuntimeError("DiscordDouble's sync API cannot be called from its own loop")

        async def wrapper() -> Any:
            out = fn(*args, **kwargs)
            if asyncio.iscoroutine(out):
                out = await out
            return out

        return asyncio.run_coroutine_threadsafe(wrapper(), self._loop).result(30)

    def _snap(self, fn: Callable[[], T]) -> T:
        return self._call(lambda: copy.deepcopy(fn()))

    # ------------------------------------------------------------------ addresses
    @property
    def port(self) -> int:
        return self._core.port

    @property
    def http_base(self) -> str:
        return self._core.http_base

    @property
    def api_base(self) -> str:
        """Set DISCORD_API_BASE / discord.http.Route.BASE to this."""
        return self.http_base + "/api/v10"

    @property
    def gateway_url(self) -> str:
        return self.http_base.replace("http", "ws", 1) + "/"

    @property
    def token(self) -> str:
        return self.config.token

    @property
    def bot_id(self) -> int:
        return self._world.bot_user_id  # type: ignore[return-value]

    @property
    def application_id(self) -> int:
        return self._world.application_id  # type: ignore[return-value]

    @contextlib.contextmanager
    def point_discord_py_here(self) -> Iterator[None]:
        """Patch discord.py's REST base (which the webhook adapter shares), default gateway and CDN
        base to this double; restores them on exit."""
        import discord.asset
        import discord.gateway
        import discord.http
        import yarl

        saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY, discord.asset.Asset.BASE)
        discord.http.Route.BASE = self.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        discord.asset.Asset.BASE = self.http_base
        try:
            yield
        finally:
            (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
             discord.asset.Asset.BASE) = saved

    # ------------------------------------------------------------------ inspection (snapshots)
    def messages(self, channel_id: int, *, include_deleted: bool = False, include_ephemeral: bool = True
                 ) -> list[Message]:
        """Messages in a channel, oldest first."""
        def pick() -> list[Message]:
            w = self._world
            out = [w.messages[i] for i in w.channel_messages.get(channel_id, [])]
            return [m for m in out if (include_deleted or not m.deleted) and (include_ephemeral or not m.ephemeral)]
        return self._snap(pick)

    def bot_messages(self, channel_id: int, **kw: Any) -> list[Message]:
        return [m for m in self.messages(channel_id, **kw) if m.author_id == self.bot_id]

    def message(self, message_id: int) -> Message:
        return self._snap(lambda: self._world.messages[int(message_id)])

    def user(self, user_id: int) -> User:
        return self._snap(lambda: self._world.users[user_id])

    def interaction(self, interaction_id: int) -> Interaction:
        return self._snap(lambda: self._world.interactions[int(interaction_id)])

    def commands(self, guild_id: int | None = None) -> dict[str, dict]:
        """Registered commands by name (global when guild_id is None), as the bot defined them."""
        def pick() -> dict[str, dict]:
            return {c.name: c.definition for c in self._world.commands.values() if c.guild_id == guild_id}
        return self._snap(pick)

    def all_commands(self) -> list[AppCommand]:
        return self._snap(lambda: list(self._world.commands.values()))

    def requests(self, pattern: str = "*") -> list[RequestRecord]:
        """REST requests seen, e.g. requests('POST /channels/*/messages'); pattern as for rate_limit_next."""
        rule = RateLimitRule(pattern, 0, False, 0)
        return self._snap(lambda: [r for r in self._world.requests if rule.matches(r.method, r.path)])

    def pings(self, message: Message | int, *, respect_permissions: bool = False) -> Pings:
        """Who the message would notify. By default assumes its author may mention @everyone, so
        the answer depends only on the content and the allowed_mentions the bot sent."""
        mid = message.id if isinstance(message, Message) else int(message)
        return self._call(lambda: compute_pings(self._world, self._world.messages[mid],
                                                respect_permissions=respect_permissions))

    def pings_everyone(self, message: Message | int) -> bool:
        """Would this message notify @everyone or @here?"""
        return self.pings(message).everyone

    def wait_for_bot_messages(self, channel_id: int, predicate: Callable[[Message], bool] = lambda m: True,
                              n: int = 1, timeout: float = 30.0) -> list[Message]:
        """Wait until the bot has posted at least n messages matching predicate in the channel."""
        def check() -> list[Message] | None:
            found = [m for m in self.bot_messages(channel_id) if predicate(m)]
            return found if len(found) >= n else None
        return self.wait_for(check, timeout, what=f"{n} bot message(s) in channel {channel_id}")

    def wait_for(self, predicate: Callable[[], T], timeout: float = 30.0, interval: float = 0.02,
                 what: str = "condition") -> T:
        """Poll predicate until it returns something truthy; return that. Raises TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
            time.sleep(interval)

    # ------------------------------------------------------------------ faults: gateway, clock, 429
    def drop_connection(self, code: int | None = None) -> None:
        """Kill the bot's gateway socket (no close frame, or close with `code`); it should RESUME."""
        self._call(self._gateway.drop, code)

    def send_reconnect(self) -> None:
        """Send op 7 RECONNECT; the client closes and resumes."""
        self._call(self._gateway.send_reconnect)

    def invalidate_session(self, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION; with resumable=False the client must IDENTIFY again."""
        self._call(self._gateway.invalidate, resumable)

    @contextlib.contextmanager
    def gateway_down(self) -> Iterator[None]:
        """Drop the socket and hold reconnects until the block ends; events dispatched inside are
        queued on the session and replayed when the client RESUMEs."""
        self._call(self._gateway.hold)
        self._call(self._gateway.drop, None)
        try:
            yield
        finally:
            self._call(self._gateway.release)

    @property
    def connected(self) -> bool:
        return self._call(lambda: self._gateway.connected)

    def gateway_stats(self) -> GatewayStats:
        return self._snap(lambda: self._gateway.stats)

    def set_heartbeat_acks(self, enabled: bool) -> None:
        """Stop ACKing heartbeats (a zombie connection); discord.py then reconnects itself."""
        self._call(setattr, self._gateway, "ack_heartbeats", enabled)

    def advance_clock(self, seconds: float) -> None:
        """Move the double's clock (token expiry, timestamps) forward."""
        self.clock.advance(seconds)

    def now(self) -> float:
        return self.clock.now()

    def rate_limit_next(self, route_pattern: str, retry_after: float = 0.2, global_: bool = False,
                        count: int = 1) -> None:
        """The next `count` requests matching e.g. 'POST /channels/*/messages' get a 429."""
        self._call(self._rules.append, RateLimitRule(route_pattern, retry_after, global_, count))

    def fail_next(self, route_pattern: str, status: int = 500, code: int = 0, message: str | None = None,
                  count: int = 1) -> None:
        """The next `count` matching requests fail with this status (500/502: discord.py retries them
        after 1 s; others surface as HTTPException in the bot)."""
        fault = ApiError(status, code, message or f"{status}: injected by the test")
        self._call(self._rules.append, RateLimitRule(route_pattern, 0, False, count, fault))
