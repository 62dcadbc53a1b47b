"""The gateway websocket: HELLO -> IDENTIFY -> READY/GUILD_CREATE, heartbeats, RESUME with replay,
RECONNECT (op 7), INVALID_SESSION (op 9), zlib-stream compression and intent filtering."""
from __future__ import annotations

import asyncio
import json
import logging
import secrets
import traceback
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable

from aiohttp import WSMsgType, web

from . import payloads
from .state import World

log = logging.getLogger(__name__)

# Opcodes
DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, RESUME, RECONNECT, REQUEST_MEMBERS = 0, 1, 2, 3, 6, 7, 8
INVALID_SESSION, HELLO, HEARTBEAT_ACK = 9, 10, 11

# Intents
GUILDS, GUILD_MEMBERS = 1 << 0, 1 << 1
GUILD_MESSAGES, GUILD_MESSAGE_REACTIONS = 1 << 9, 1 << 10
DIRECT_MESSAGES, DIRECT_MESSAGE_REACTIONS = 1 << 12, 1 << 13
MESSAGE_CONTENT = 1 << 15
PRIVILEGED = GUILD_MEMBERS | (1 << 8) | MESSAGE_CONTENT

_EVENT_INTENTS = {  # event -> (intent in a guild, intent in a DM)
    "GUILD_CREATE": (GUILDS, GUILDS), "GUILD_UPDATE": (GUILDS, GUILDS), "GUILD_DELETE": (GUILDS, GUILDS),
    "CHANNEL_CREATE": (GUILDS, GUILDS), "CHANNEL_UPDATE": (GUILDS, GUILDS), "CHANNEL_DELETE": (GUILDS, GUILDS),
    "GUILD_MEMBER_ADD": (GUILD_MEMBERS, GUILD_MEMBERS), "GUILD_MEMBER_UPDATE": (GUILD_MEMBERS, GUILD_MEMBERS),
    "GUILD_MEMBER_REMOVE": (GUILD_MEMBERS, GUILD_MEMBERS),
    "MESSAGE_CREATE": (GUILD_MESSAGES, DIRECT_MESSAGES), "MESSAGE_UPDATE": (GUILD_MESSAGES, DIRECT_MESSAGES),
    "MESSAGE_DELETE": (GUILD_MESSAGES, DIRECT_MESSAGES),
    "MESSAGE_REACTION_ADD": (GUILD_MESSAGE_REACTIONS, DIRECT_MESSAGE_REACTIONS),
    "MESSAGE_REACTION_REMOVE": (GUILD_MESSAGE_REACTIONS, DIRECT_MESSAGE_REACTIONS),
}


@dataclass
class Event:
    seq: int
    t: str
    d: dict
    on_sent: Callable[[], None] | None = None  # e.g. starts an interaction's 3 s callback window


@dataclass(eq=False)
class Connection:
    ws: web.WebSocketResponse
    request: web.Request
    url: str
    zlib: Any = None  # compressobj when the client asked for compress=zlib-stream
    session: "Session | None" = None


@dataclass(eq=False)
class Session:
    id: str
    intents: int
    seq: int = 0
    log: list[Event] = field(default_factory=list)
    conn: Connection | None = None
    valid: bool = True
    replaying: bool = False  # RESUME in progress: new events wait their turn, keeping seq order


@dataclass
class GatewayStats:
    """What the gateway saw; tests assert on these (e.g. one RESUME, no second IDENTIFY)."""

    connections: int = 0
    identifies: int = 0
    resumes: int = 0
    failed_resumes: int = 0
    heartbeats: int = 0
    urls: list[str] = field(default_factory=list)
    sent: list[tuple[str, int]] = field(default_factory=list)  # (event, seq) actually written to a socket


class Gateway:
    def __init__(self, world: World, token: str, base_ws: Callable[[], str], heartbeat_ms: int = 41250,
                 errors: list[str] | None = None) -> None:
        self.world = world
        self.errors = errors if errors is not None else []
        self.token = token
        self._base_ws = base_ws
        self.heartbeat_ms = heartbeat_ms
        self.sessions: dict[str, Session] = {}
        self.current: Session | None = None
        self.stats = GatewayStats()
        self.ack_heartbeats = True
        self._open = asyncio.Event()
        self._open.set()
        self._conns: set[Connection] = set()

    # ------------------------------------------------------------------ socket
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoclose=True)
        await ws.prepare(request)
        conn = Connection(ws, request, str(request.rel_url))
        if request.query.get("compress") == "zlib-stream":
            conn.zlib = zlib.compressobj()
        self.stats.connections += 1
        self.stats.urls.append(conn.url)
        self._conns.add(conn)
        try:
            await self._open.wait()  # gateway_down() holds new connections here
            await self._send(conn, {"op": HELLO, "d": {"heartbeat_interval": self.heartbeat_ms}, "s": None, "t": None})
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_payload(conn, json.loads(msg.data))
                elif msg.type is WSMsgType.BINARY:  # ETF is not spoken here
                    await ws.close(code=4002, message=b"Error while decoding payload.")
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        except Exception:  # a bug in the double
            log.exception("discord double gateway failed")
            self.errors.append("gateway\n" + traceback.format_exc())
            await ws.close(code=4000)
        finally:
            self._conns.discard(conn)
            if conn.session is not None and conn.session.conn is conn:
                conn.session.conn = None
        return ws

    async def _send(self, conn: Connection, payload: dict) -> bool:
        """Write one payload; False when the socket is closing or gone (the event stays queued)."""
        text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        if conn.ws.closed:
            return False
        try:
            if conn.zlib is not None:
                await conn.ws.send_bytes(conn.zlib.compress(text.encode()) + conn.zlib.flush(zlib.Z_SYNC_FLUSH))
            else:
                await conn.ws.send_str(text)
        except (ConnectionError, RuntimeError):  # closing transport: the client will RESUME
            if conn.session is not None and conn.session.conn is conn:
                conn.session.conn = None
            return False
        return True

    async def _on_payload(self, conn: Connection, p: dict) -> None:
        op, d = p.get("op"), p.get("d")
        if op == HEARTBEAT:
            self.stats.heartbeats += 1
            if self.ack_heartbeats:
                await self._send(conn, {"op": HEARTBEAT_ACK, "d": None, "s": None, "t": None})
        elif op == IDENTIFY:
            await self._identify(conn, d or {})
        elif op == RESUME:
            await self._resume(conn, d or {})
        elif op == REQUEST_MEMBERS:
            await self._members_chunk(conn, d or {})
        elif op in (PRESENCE, 4):
            return
        else:
            await conn.ws.close(code=4001, message=b"Unknown opcode.")

    async def _identify(self, conn: Connection, d: dict) -> None:
        if conn.session is not None:
            await conn.ws.close(code=4005, message=b"Already authenticated.")
            return
        if d.get("token") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        if "intents" not in d:
            await conn.ws.close(code=4013, message=b"Invalid intent(s).")
            return
        self.stats.identifies += 1
        session = Session(id=secrets.token_hex(16), intents=int(d["intents"]))
        if self.current is not None:
            self.current.valid = False
        self.sessions[session.id] = self.current = session
        session.conn, conn.session = conn, session
        bot = self.world.users[self.world.bot_user_id]
        guilds = [g for g in self.world.guilds.values() if bot.id in g.members]
        ready = {
            "v": 10,
            "user": {**payloads.user(bot), "verified": True, "mfa_enabled": False, "email": None},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self._base_ws() + "resume",
            "application": {"id": str(self.world.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "geo_ordered_rtc_regions": ["rotterdam"],
            "_trace": ['["discord-double",{}]'],
        }
        if "shard" in d:
            ready["shard"] = d["shard"]
        await self.dispatch("READY", ready)
        for g in guilds:
            full = payloads.guild(self.world, g, full=True, all_members=bool(session.intents & GUILD_MEMBERS))
            await self.dispatch("GUILD_CREATE", full)

    async def _resume(self, conn: Connection, d: dict) -> None:
        session = self.sessions.get(d.get("session_id", ""))
        if session is None or not session.valid or d.get("token") != self.token:
            self.stats.failed_resumes += 1
            await self._send(conn, {"op": INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        self.stats.resumes += 1
        old = session.conn
        session.conn, conn.session = conn, session
        if old is not None and old is not conn:
            await old.ws.close(code=4000)
        last = int(d.get("seq") or 0)
        i = next((k for k, e in enumerate(session.log) if e.seq > last), len(session.log))
        session.replaying = True
        try:
            while i < len(session.log):  # events dispatched meanwhile are appended and sent in order
                await self._write_event(session, session.log[i])
                i += 1
        finally:
            session.replaying = False
        await self.dispatch("RESUMED", {"_trace": ['["discord-double",{}]']})

    async def _members_chunk(self, conn: Connection, d: dict) -> None:
        g = self.world.guilds.get(int(d.get("guild_id", 0)))
        if g is None or conn.session is None:
            return
        await self.dispatch("GUILD_MEMBERS_CHUNK", {
            "guild_id": str(g.id), "members": [payloads.member(self.world, m) for m in g.members.values()],
            "chunk_index": 0, "chunk_count": 1, "not_found": [], "nonce": d.get("nonce"),
        })

    # ------------------------------------------------------------------ dispatch
    def wants(self, session: Session, t: str, in_guild: bool) -> bool:
        need = _EVENT_INTENTS.get(t)
        if need is None:
            return True
        return bool(session.intents & need[0 if in_guild else 1])

    async def dispatch(
        self, t: str, d: dict, *, in_guild: bool = True, d_no_content: dict | None = None,
        on_sent: Callable[[], None] | None = None,
    ) -> bool:
        """Queue an event on the current session and write it if connected. Returns False when
        no session would receive it (not identified yet, or the intent is missing)."""
        session = self.current
        if session is None or not session.valid or not self.wants(session, t, in_guild):
            return False
        if d_no_content is not None and not session.intents & MESSAGE_CONTENT:
            d = d_no_content
        session.seq += 1
        ev = Event(session.seq, t, d, on_sent)
        session.log.append(ev)
        if session.conn is not None and not session.replaying:
            await self._write_event(session, ev)
        return True

    async def _write_event(self, session: Session, ev: Event) -> None:
        conn = session.conn
        if conn is None or conn.ws.closed:
            return
        if not await self._send(conn, {"op": DISPATCH, "t": ev.t, "s": ev.seq, "d": ev.d}):
            return
        self.stats.sent.append((ev.t, ev.seq))
        if ev.on_sent is not None:
            ev.on_sent()

    # ------------------------------------------------------------------ faults tests inject
    def _conn(self) -> Connection | None:
        return self.current.conn if self.current is not None else None

    async def drop(self, code: int | None = None) -> None:
        """Abort the socket with no close frame (code None) or close it with `code`."""
        conn = self._conn()
        if conn is None:
            return
        if self.current is not None:
            self.current.conn = None
        if code is None:
            transport = conn.request.transport
            if transport is not None:
                transport.abort()
        else:
            await conn.ws.close(code=code)

    async def send_reconnect(self) -> None:
        conn = self._conn()
        if conn is not None:
            await self._send(conn, {"op": RECONNECT, "d": None, "s": None, "t": None})

    async def invalidate(self, resumable: bool = False) -> None:
        conn = self._conn()
        if self.current is not None and not resumable:
            self.current.valid = False
        if conn is not None:
            await self._send(conn, {"op": INVALID_SESSION, "d": resumable, "s": None, "t": None})

    def hold(self) -> None:
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    @property
    def connected(self) -> bool:
        conn = self._conn()
        return conn is not None and not conn.ws.closed

    async def close_all(self) -> None:
        self._open.set()
        for conn in list(self._conns):
            await conn.ws.close(code=1001)
