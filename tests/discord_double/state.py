"""The double's world: users, guilds, channels, messages, interactions, and a clock tests can move.

Everything here is mutated only on the double's event loop thread; tests get deep-copied snapshots.
"""
from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

DISCORD_EPOCH_MS = 1420070400000

# Permission bits (https://discord.com/developers/docs/topics/permissions)
CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
USE_APPLICATION_COMMANDS = 1 << 31
ALL_PERMISSIONS = (1 << 51) - 1
# What the bot's invite grants it in the default world (its managed role): no MANAGE_MESSAGES.
BOT_INVITE_PERMISSIONS = (
    VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | ADD_REACTIONS | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS | USE_APPLICATION_COMMANDS
)
# What @everyone gets in a new server (Discord's default, roughly).
DEFAULT_EVERYONE = (
    CREATE_INSTANT_INVITE | ADD_REACTIONS | VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES
    | READ_MESSAGE_HISTORY | MENTION_EVERYONE | USE_EXTERNAL_EMOJIS | USE_APPLICATION_COMMANDS
)


class Clock:
    """Wall time plus an offset tests can advance (token expiry, edit timestamps)."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds

    def iso(self, at: float | None = None) -> str:
        at = self.now() if at is None else at
        return datetime.fromtimestamp(at, tz=timezone.utc).isoformat()


class Snowflakes:
    """Discord-style ids: milliseconds since 2015 in the high bits, a counter in the low 22."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._counter = itertools.count()
        self._last = 0

    def next(self) -> int:
        ms = int(self._clock.now() * 1000) - DISCORD_EPOCH_MS
        sid = (ms << 22) | (next(self._counter) & 0x3FFFFF)
        self._last = sid = max(sid, self._last + 1)
        return sid


@dataclass
class User:
    id: int
    username: str
    bot: bool = False
    global_name: str | None = None
    avatar: str | None = None


@dataclass
class Role:
    id: int
    name: str
    permissions: int = 0
    position: int = 0
    mentionable: bool = False
    color: int = 0
    managed_by: int | None = None  # a bot's own role: the bot's user id


@dataclass
class Member:
    user_id: int
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: float = 0.0


@dataclass
class Overwrite:
    id: int
    type: int  # 0 role, 1 member
    allow: int = 0
    deny: int = 0


@dataclass
class Channel:
    id: int
    guild_id: int | None
    name: str
    type: int = 0  # 0 text
    position: int = 0
    topic: str | None = None
    overwrites: list[Overwrite] = field(default_factory=list)
    recipient_id: int | None = None  # DM channels (type 1): the person the bot talks to


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)  # the @everyone role has the guild's id
    members: dict[int, Member] = field(default_factory=dict)
    channel_ids: list[int] = field(default_factory=list)
    premium_tier: int = 0
    upload_limit: int = 10 * 1024 * 1024  # bytes per attachment (Discord's free tier)


@dataclass
class Attachment:
    id: int
    filename: str
    data: bytes
    content_type: str | None
    url: str
    description: str | None = None
    ephemeral: bool = False

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class Edit:
    """One edit of a message: when (double's clock, epoch seconds), how, and the raw fields sent."""

    at: float
    via: str  # "rest", "webhook", "interaction_update"
    fields: dict[str, Any]
    content: str  # content after the edit


@dataclass
class Message:
    id: int
    channel_id: int
    guild_id: int | None
    author_id: int
    content: str = ""
    created_at: float = 0.0
    type: int = 0
    embeds: list[dict] = field(default_factory=list)
    components: list[dict] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    reactions: dict[str, list[int]] = field(default_factory=dict)  # emoji key -> user ids, in order
    allowed_mentions: dict | None = None  # exactly as sent; None when the request had none
    message_reference: dict | None = None
    flags: int = 0
    tts: bool = False
    nonce: Any = None
    edits: list[Edit] = field(default_factory=list)
    deleted: bool = False
    webhook_id: int | None = None
    interaction_id: int | None = None
    interaction_name: str | None = None
    poll: dict | None = None

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & 64)

    @property
    def edited_at(self) -> float | None:
        return self.edits[-1].at if self.edits else None

    def reactors(self, emoji: str) -> list[int]:
        return list(self.reactions.get(emoji, []))


@dataclass
class Callback:
    """One POST /interactions/{id}/{token}/callback the bot made."""

    type: int
    data: dict | None
    at: float


@dataclass
class Interaction:
    id: int
    token: str
    type: int  # 2 application command, 3 component, 5 modal submit
    user_id: int
    channel_id: int
    guild_id: int | None
    created_at: float
    payload: dict  # what was dispatched in INTERACTION_CREATE
    callbacks: list[Callback] = field(default_factory=list)
    original_id: int | None = None  # message created/updated by the response
    followup_ids: list[int] = field(default_factory=list)
    modal: dict | None = None  # data of a type 9 (MODAL) response
    source_message_id: int | None = None  # for components: the message whose button was clicked
    dispatched_at: float | None = None  # when the gateway wrote it to the bot's socket (None: not yet)

    @property
    def response_type(self) -> int | None:
        return self.callbacks[0].type if self.callbacks else None

    @property
    def acknowledged(self) -> bool:
        return bool(self.callbacks)


@dataclass
class AppCommand:
    id: int
    application_id: int
    guild_id: int | None
    definition: dict  # as the bot sent it
    version: int = 0

    @property
    def name(self) -> str:
        return self.definition["name"]


@dataclass
class RequestRecord:
    """Every REST request the double answered, in order."""

    method: str
    path: str  # without the /api/v10 prefix and query
    status: int
    at: float
    json: Any = None
    query: dict = field(default_factory=dict)


class World:
    """All state of the fake Discord. Owned by the double's loop thread."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.ids = Snowflakes(clock)
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self.channel_messages: dict[int, list[int]] = {}
        self.interactions: dict[int, Interaction] = {}
        self.commands: dict[int, AppCommand] = {}
        self.requests: list[RequestRecord] = []
        self.bot_user_id: int | None = None
        self.application_id: int | None = None

    # ------------------------------------------------------------------ permissions
    def base_permissions(self, guild: Guild, user_id: int) -> int:
        if user_id == guild.owner_id:
            return ALL_PERMISSIONS
        member = guild.members.get(user_id)
        if member is None:
            return 0
        perms = guild.roles[guild.id].permissions
        for rid in member.roles:
            role = guild.roles.get(rid)
            if role is not None:
                perms |= role.permissions
        return ALL_PERMISSIONS if perms & ADMINISTRATOR else perms

    def permissions_in(self, channel_id: int, user_id: int) -> int:
        """Discord's algorithm: base, then @everyone, role and member overwrites of the channel."""
        channel = self.channels[channel_id]
        if channel.guild_id is None:
            return ALL_PERMISSIONS
        guild = self.guilds[channel.guild_id]
        perms = self.base_permissions(guild, user_id)
        if perms & ADMINISTRATOR or user_id == guild.owner_id:
            return ALL_PERMISSIONS
        member = guild.members.get(user_id)
        roles = set(member.roles) if member else set()
        ows = {(o.type, o.id): o for o in channel.overwrites}
        everyone = ows.get((0, guild.id))
        if everyone:
            perms = (perms & ~everyone.deny) | everyone.allow
        allow = deny = 0
        for (kind, oid), ow in ows.items():
            if kind == 0 and oid in roles:
                allow |= ow.allow
                deny |= ow.deny
        perms = (perms & ~deny) | allow
        mine = ows.get((1, user_id))
        if mine:
            perms = (perms & ~mine.deny) | mine.allow
        if not perms & VIEW_CHANNEL:
            return 0
        return perms

    # ------------------------------------------------------------------ messages
    def add_message(self, msg: Message) -> Message:
        self.messages[msg.id] = msg
        self.channel_messages.setdefault(msg.channel_id, []).append(msg.id)
        return msg

    def live_messages(self, channel_id: int) -> list[Message]:
        return [
            self.messages[i] for i in self.channel_messages.get(channel_id, [])
            if not self.messages[i].deleted
        ]
