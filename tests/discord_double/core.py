"""Shared behaviour behind the REST routes and the test actions: creating, editing and deleting
messages (with attachments served from the double's CDN) and dispatching their gateway events."""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote
from typing import Any

from . import payloads
from .gateway import Gateway
from .http_util import COMPONENTS_V2, ApiError, Upload, form_error, not_found, validate_message_body
from .mentions import message_mentions
from .state import Attachment, Channel, Edit, Message, World

def safe_filename(name: str) -> str:
    """Discord keeps letters, digits, '.', '-' and '_' in attachment names and turns the rest into '_'."""
    return re.sub(r"[^\w.\-]", "_", name.strip()) or "unknown"


EDITABLE = ("content", "embeds", "components", "allowed_mentions", "flags", "poll")


@dataclass(frozen=True)
class DoubleConfig:
    """How the fake Discord behaves. Defaults are Discord's own numbers."""

    token: str = "double.bot.token"  # the bot must send "Authorization: Bot <token>"
    host: str = "127.0.0.1"
    heartbeat_ms: int = 41250  # HELLO heartbeat_interval
    interaction_callback_window: float = 3.0  # seconds to POST the first callback after INTERACTION_CREATE
    interaction_token_ttl: float = 900.0  # webhook token (edit original, followups) lifetime: 15 minutes
    guild_name: str = "Benjamin Test Server"
    # Real rate-limit buckets, off by default (None). Discord's are about (5, 5.0) for messages per
    # channel, (1, 0.25) for reactions per channel, (5, 2.0) per interaction webhook.
    message_rate: tuple[int, float] | None = None
    reaction_rate: tuple[int, float] | None = None
    webhook_rate: tuple[int, float] | None = None


class Core:
    def __init__(self, world: World, gateway: Gateway, config: DoubleConfig) -> None:
        self.world = world
        self.gateway = gateway
        self.config = config
        self.port = 0
        self.files: dict[int, Attachment] = {}  # attachment id -> bytes served at its CDN url

    @property
    def http_base(self) -> str:
        return f"http://{self.config.host}:{self.port}"

    # ------------------------------------------------------------------ lookups
    def channel(self, channel_id: int | str) -> Channel:
        ch = self.world.channels.get(int(channel_id))
        if ch is None:
            raise not_found("Channel", 10003)
        return ch

    def message(self, channel_id: int | str, message_id: int | str) -> Message:
        m = self.world.messages.get(int(message_id))
        if m is None or m.deleted or m.channel_id != int(channel_id) or m.ephemeral:
            raise not_found("Message", 10008)
        return m

    def dm_channel(self, user_id: int) -> Channel:
        """The bot's DM channel with a user (made on first use, like Discord)."""
        for ch in self.world.channels.values():
            if ch.type == 1 and ch.recipient_id == user_id:
                return ch
        if user_id not in self.world.users:
            raise not_found("User", 10013)
        ch = Channel(self.world.ids.next(), None, "", type=1, recipient_id=user_id)
        self.world.channels[ch.id] = ch
        return ch

    def require(self, channel_id: int, user_id: int, perms: int) -> None:
        if self.world.permissions_in(channel_id, user_id) & perms != perms:
            raise ApiError(403, 50013, "Missing Permissions")

    def upload_limit(self, channel_id: int) -> int:
        ch = self.world.channels.get(channel_id)
        if ch is None or ch.guild_id is None:
            return 10 * 1024 * 1024
        return self.world.guilds[ch.guild_id].upload_limit

    # ------------------------------------------------------------------ attachments
    def store_file(self, channel_id: int, filename: str, data: bytes, content_type: str | None,
                   description: str | None = None, ephemeral: bool = False) -> Attachment:
        aid = self.world.ids.next()
        filename = safe_filename(filename)
        url = f"{self.http_base}/attachments/{channel_id}/{aid}/{quote(filename)}"
        att = Attachment(aid, filename, data, content_type, url, description, ephemeral)
        self.files[aid] = att
        return att

    def _attachments(self, channel_id: int, payload: dict, files: dict[int, Upload],
                     keep: list[Attachment]) -> list[Attachment]:
        """payload['attachments'] lists kept (existing ids) and new ({'id': n} for files[n]) ones."""
        meta = payload.get("attachments")
        new_meta = {}
        if meta is not None:
            existing = {a.id: a for a in keep}
            keep = []
            for entry in meta:
                aid = int(entry["id"])
                if aid in existing:
                    keep.append(existing[aid])
                elif aid in files:
                    new_meta[aid] = entry
                else:
                    raise form_error("attachments", "ATTACHMENT_NOT_FOUND", f"Unknown attachment {aid}")
        out = list(keep)
        for idx in sorted(files):
            up, entry = files[idx], new_meta.get(idx, {})
            out.append(self.store_file(channel_id, entry.get("filename") or up.filename, up.data,
                                       up.content_type, entry.get("description")))
        return out

    # ------------------------------------------------------------------ messages
    def create_message(self, channel_id: int, author_id: int, payload: dict, files: dict[int, Upload], *,
                       webhook_id: int | None = None, interaction_id: int | None = None,
                       mtype: int | None = None, flags: int = 0, validate: bool = True) -> Message:
        ch = self.channel(channel_id)
        if validate:
            validate_message_body(payload, files, creating=True, upload_limit=self.upload_limit(channel_id))
        ref = payload.get("message_reference")
        if ref and ref.get("message_id"):
            target = self.world.messages.get(int(ref["message_id"]))
            if target is None or target.deleted:
                if ref.get("fail_if_not_exists", True):
                    raise form_error("message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message")
                ref = None
            else:
                ref = {"type": 0, "message_id": str(target.id), "channel_id": str(target.channel_id),
                       **({"guild_id": str(target.guild_id)} if target.guild_id else {})}
        else:
            ref = None
        now = self.world.clock.now()
        msg = Message(
            id=self.world.ids.next(), channel_id=ch.id, guild_id=ch.guild_id, author_id=author_id,
            content=payload.get("content") or "", created_at=now,
            type=mtype if mtype is not None else (19 if ref else 0),
            embeds=list(payload.get("embeds") or []), components=list(payload.get("components") or []),
            allowed_mentions=payload.get("allowed_mentions"), message_reference=ref,
            flags=flags | (int(payload.get("flags") or 0) & (4 | 64 | 4096 | COMPONENTS_V2)), tts=bool(payload.get("tts")),
            nonce=payload.get("nonce"), webhook_id=webhook_id, interaction_id=interaction_id,
            poll=payload.get("poll"),
        )
        msg.attachments = self._attachments(ch.id, payload, files, [])
        self.world.add_message(msg)
        return msg

    def edit_message(self, msg: Message, payload: dict, files: dict[int, Upload], via: str) -> Message:
        validate_message_body(payload, files, creating=False, upload_limit=self.upload_limit(msg.channel_id))
        for key in EDITABLE:
            if key not in payload:
                continue
            value = payload[key]
            if key == "content":
                msg.content = value or ""
            elif key == "embeds":
                msg.embeds = list(value or [])
            elif key == "components":
                msg.components = list(value or [])
            elif key == "allowed_mentions":
                msg.allowed_mentions = value
            elif key == "flags" and value is not None:
                msg.flags = (msg.flags & ~4) | (int(value) & 4)  # only SUPPRESS_EMBEDS can change
        if "attachments" in payload or files:
            msg.attachments = self._attachments(msg.channel_id, payload, files, msg.attachments)
        if not (msg.content or msg.embeds or msg.attachments or msg.components or msg.poll):
            raise ApiError(400, 50006, "Cannot send an empty message")
        msg.edits.append(Edit(self.world.clock.now(), via, dict(payload), msg.content))
        return msg

    # ------------------------------------------------------------------ gateway events
    def _content_free(self, msg: Message) -> bool:
        """True when the bot may see this message's content without the MESSAGE_CONTENT intent."""
        bot = self.world.bot_user_id
        return msg.author_id == bot or msg.guild_id is None or bot in message_mentions(self.world, msg).users

    async def emit_message(self, t: str, msg: Message) -> None:
        if msg.ephemeral:
            return  # ephemeral messages never reach the gateway
        d = payloads.message(self.world, msg, gateway=True)
        stripped = None if self._content_free(msg) else payloads.message(self.world, msg, gateway=True,
                                                                         strip_content=True)
        await self.gateway.dispatch(t, d, in_guild=msg.guild_id is not None, d_no_content=stripped)

    async def emit_delete(self, msg: Message) -> None:
        if msg.ephemeral:
            return
        d: dict[str, Any] = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
        if msg.guild_id:
            d["guild_id"] = str(msg.guild_id)
        await self.gateway.dispatch("MESSAGE_DELETE", d, in_guild=msg.guild_id is not None)

    async def emit_reaction(self, t: str, msg: Message, user_id: int, emoji: str) -> None:
        d: dict[str, Any] = {
            "user_id": str(user_id), "channel_id": str(msg.channel_id), "message_id": str(msg.id),
            "emoji": payloads.emoji_object(emoji), "burst": False, "type": 0,
        }
        if msg.guild_id:
            d["guild_id"] = str(msg.guild_id)
            mem = self.world.guilds[msg.guild_id].members.get(user_id)
            if t == "MESSAGE_REACTION_ADD" and mem is not None:
                d["member"] = payloads.member(self.world, mem)
        if t == "MESSAGE_REACTION_ADD":
            d["message_author_id"] = str(msg.author_id)
            d["burst_colors"] = []
        await self.gateway.dispatch(t, d, in_guild=msg.guild_id is not None)

    async def add_reaction(self, msg: Message, user_id: int, emoji: str) -> bool:
        users = msg.reactions.setdefault(emoji, [])
        if user_id in users:
            return False  # Discord: 204 and no event
        users.append(user_id)
        await self.emit_reaction("MESSAGE_REACTION_ADD", msg, user_id, emoji)
        return True

    async def remove_reaction(self, msg: Message, user_id: int, emoji: str) -> bool:
        users = msg.reactions.get(emoji, [])
        if user_id not in users:
            return False
        users.remove(user_id)
        if not users:
            del msg.reactions[emoji]
        await self.emit_reaction("MESSAGE_REACTION_REMOVE", msg, user_id, emoji)
        return True
