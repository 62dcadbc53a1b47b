"""What people do in the fake Discord: send messages (with files), react, run slash commands,
click buttons, pick from selects, submit modals. Each dispatches the gateway event Discord would."""
from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any, Callable, Sequence

from . import payloads
from .http_util import iter_components
from .slash import CommandInputError, build_options, find_command, interaction_payload
from .state import (ADD_REACTIONS, ALL_PERMISSIONS, ATTACH_FILES, READ_MESSAGE_HISTORY, SEND_MESSAGES,
                    USE_APPLICATION_COMMANDS, VIEW_CHANNEL, Interaction, Message)

if TYPE_CHECKING:
    from .core import Core
    from .state import World

FileSpec = tuple  # (filename, bytes) or (filename, bytes, content_type)


def _uid(x: Any) -> int:
    return int(x.id) if hasattr(x, "id") else int(x)


class InteractionHandle:
    """A live view of one interaction the test started; every property reads fresh state."""

    def __init__(self, double: Any, interaction_id: int) -> None:
        self._double = double
        self.id = interaction_id

    @property
    def record(self) -> Interaction:
        return self._double.interaction(self.id)

    @property
    def token(self) -> str:
        return self.record.token

    @property
    def response_type(self) -> int | None:
        """4 reply, 5 deferred reply, 6 deferred update, 7 update message, 9 modal; None if unanswered."""
        return self.record.response_type

    @property
    def original(self) -> Message | None:
        oid = self.record.original_id
        return self._double.message(oid) if oid is not None else None

    @property
    def followups(self) -> list[Message]:
        return [self._double.message(i) for i in self.record.followup_ids]

    @property
    def modal(self) -> dict | None:
        return self.record.modal

    @property
    def choices(self) -> list[dict] | None:
        """The autocomplete answer (type 8 callback): [{'name', 'value'}], or None."""
        rec = self.record
        return (rec.callbacks[0].data or {}).get("choices") if rec.response_type == 8 else None

    def wait_response(self, timeout: float = 15.0) -> Interaction:
        """Wait until the bot answered the callback; returns the record."""
        def check() -> Interaction | None:
            rec = self.record
            return rec if rec.callbacks else None
        return self._double.wait_for(check, timeout, what=f"a callback for interaction {self.id}")

    def wait_original(self, predicate: Callable[[Message], bool] = lambda m: not m.flags & 128,
                      timeout: float = 15.0) -> Message:
        """Wait until the original response exists and satisfies predicate (default: not 'thinking')."""
        def check() -> Message | None:
            m = self.original
            return m if m is not None and predicate(m) else None
        return self._double.wait_for(check, timeout, what=f"the original response of interaction {self.id}")

    def wait_followups(self, n: int = 1, timeout: float = 15.0) -> list[Message]:
        def check() -> list[Message] | None:
            found = self.followups
            return found if len(found) >= n else None
        return self._double.wait_for(check, timeout, what=f"{n} followup(s) of interaction {self.id}")

    def __repr__(self) -> str:
        return f"<InteractionHandle id={self.id}>"


class UserActions:
    """Mixed into DiscordDouble; relies on its _call, _core, _world and bot_id."""

    _core: "Core"
    _world: "World"
    bot_id: int
    _call: Callable[..., Any]

    # ------------------------------------------------------------------ messages
    def user_sends_message(self, channel_id: int, author: Any, content: str = "", *,
                           attachments: Sequence[FileSpec] = (), mentions_bot: bool = False,
                           reply_to: int | None = None) -> int:
        """A person posts; MESSAGE_CREATE reaches the bot. Returns the message id.
        attachments: [(filename, bytes[, content_type])]; mentions_bot prefixes '<@bot> '."""
        if mentions_bot:
            content = f"<@{self.bot_id}> {content}".rstrip()
        if not content and not attachments:
            raise CommandInputError("the Discord client cannot send an empty message")
        if len(content) > 4000:
            raise CommandInputError("the Discord client refuses messages over 4000 characters (2000 without Nitro)")
        uid = _uid(author)

        async def act() -> int:
            core = self._core
            ch = core.channel(channel_id)
            needs = VIEW_CHANNEL | SEND_MESSAGES | (ATTACH_FILES if attachments else 0)
            self._check_member(ch.guild_id, uid, ch.id, needs)
            if reply_to is not None:
                core.message(ch.id, reply_to)  # must exist in this channel
            msg = core.create_message(ch.id, uid, {"content": content}, {}, validate=False)
            if reply_to is not None:
                msg.type = 19
                msg.message_reference = {"type": 0, "message_id": str(reply_to), "channel_id": str(ch.id),
                                         **({"guild_id": str(ch.guild_id)} if ch.guild_id else {})}
            for spec in attachments:
                name, data, ctype = spec if len(spec) == 3 else (*spec, None)
                msg.attachments.append(core.store_file(ch.id, name, data, ctype))
            await core.emit_message("MESSAGE_CREATE", msg)
            return msg.id
        return self._call(act)

    def user_sends_dm(self, author: Any, content: str, *, attachments: Sequence[FileSpec] = ()) -> int:
        """A person writes to the bot in DMs (MESSAGE_CREATE without guild_id). Returns the message id."""
        channel_id = self._call(lambda: self._core.dm_channel(_uid(author)).id)
        return self.user_sends_message(channel_id, author, content, attachments=attachments)

    def dm_channel_id(self, user: Any) -> int:
        """The bot's DM channel with `user` (to read what the bot sent there with messages())."""
        return self._call(lambda: self._core.dm_channel(_uid(user)).id)

    def user_edits_message(self, message_id: int, content: str) -> None:
        async def act() -> None:
            msg = self._world.messages[message_id]
            self._core.edit_message(msg, {"content": content}, {}, "user")
            await self._core.emit_message("MESSAGE_UPDATE", msg)
        self._call(act)

    def user_deletes_message(self, message_id: int) -> None:
        async def act() -> None:
            msg = self._world.messages[message_id]
            msg.deleted = True
            await self._core.emit_delete(msg)
        self._call(act)

    def user_reacts(self, channel_id: int, message_id: int, user: Any, emoji: str) -> bool:
        """Adds a reaction (MESSAGE_REACTION_ADD). False when that user had already reacted so."""
        async def act() -> bool:
            msg = self._core.message(channel_id, message_id)
            new = ADD_REACTIONS if not msg.reactions.get(emoji) else 0
            self._check_member(msg.guild_id, _uid(user), msg.channel_id, VIEW_CHANNEL | READ_MESSAGE_HISTORY | new)
            return await self._core.add_reaction(msg, _uid(user), emoji)
        return self._call(act)

    def user_unreacts(self, channel_id: int, message_id: int, user: Any, emoji: str) -> bool:
        async def act() -> bool:
            msg = self._core.message(channel_id, message_id)
            return await self._core.remove_reaction(msg, _uid(user), emoji)
        return self._call(act)

    def _check_member(self, guild_id: int | None, uid: int, channel_id: int | None = None, perms: int = 0) -> None:
        """Refuse (CommandInputError) what the Discord client would not let this person do."""
        if uid not in self._world.users:
            raise CommandInputError(f"unknown user {uid}")
        if guild_id is not None and uid not in self._world.guilds[guild_id].members:
            raise CommandInputError(f"user {uid} is not a member of guild {guild_id}")
        if channel_id is not None and perms:
            have = self._world.permissions_in(channel_id, uid)
            if have & perms != perms:
                raise CommandInputError(f"user {uid} lacks permissions {perms & ~have:#x} in channel {channel_id}")

    # ------------------------------------------------------------------ interactions
    def invoke_slash(self, name: str, *, user: Any, channel_id: int, options: dict[str, Any] | None = None,
                     subcommand: str | None = None, enforce_default_permissions: bool = False) -> InteractionHandle:
        """Run /name [subcommand] with options, as the Discord client would send it.
        subcommand: 'add' or 'group add'. Attachment options take (filename, bytes[, content_type]);
        user/role/channel options take ids. Raises CommandInputError for what the client would refuse.
        A command's default_member_permissions is not enforced by default (server admins can grant
        commands to anyone, so the bot must check too); enforce_default_permissions=True refuses,
        like the client, when the user lacks them."""
        return self._command_interaction(2, name, user, channel_id, options, subcommand, None,
                                         enforce_default_permissions)

    def autocomplete(self, name: str, option: str, partial: str, *, user: Any, channel_id: int,
                     options: dict[str, Any] | None = None, subcommand: str | None = None) -> InteractionHandle:
        """Type into an autocomplete option (INTERACTION_CREATE type 4); the handle's .choices has the answer."""
        return self._command_interaction(4, name, user, channel_id, options, subcommand, (option, partial), False)

    def _command_interaction(self, itype: int, name: str, user: Any, channel_id: int, options: dict | None,
                             subcommand: str | None, focused: tuple[str, str] | None,
                             enforce: bool) -> InteractionHandle:
        uid = _uid(user)

        async def act() -> int:
            w, core = self._world, self._core
            ch = core.channel(channel_id)
            self._check_member(ch.guild_id, uid, ch.id, VIEW_CHANNEL | USE_APPLICATION_COMMANDS)
            cmd = find_command(w, name, ch.guild_id)
            needed = cmd.definition.get("default_member_permissions")
            if enforce and needed is not None:
                self._check_member(ch.guild_id, uid, ch.id, int(needed) or ALL_PERMISSIONS)

            def store(fn: str, data: bytes, ctype: str | None):
                return core.store_file(ch.id, fn, data, ctype, ephemeral=True)
            tree, resolved = build_options(w, cmd, subcommand, dict(options or {}), ch.guild_id, ch.id, store,
                                           focused)
            data: dict[str, Any] = {"id": str(cmd.id), "name": cmd.name, "type": cmd.definition.get("type", 1),
                                    "options": tree}
            if resolved:
                data["resolved"] = resolved
            if cmd.guild_id is not None:
                data["guild_id"] = str(cmd.guild_id)
            return await self._dispatch_interaction(itype, uid, ch.id, ch.guild_id, data)
        return InteractionHandle(self, self._call(act))

    def click_button(self, message_id: int, custom_id: str, user: Any) -> InteractionHandle:
        """Press a button the bot put on a message (INTERACTION_CREATE type 3)."""
        return self._component(message_id, custom_id, user, None)

    def choose(self, message_id: int, custom_id: str, user: Any, values: Sequence[str]) -> InteractionHandle:
        """Pick options in a select menu the bot put on a message."""
        return self._component(message_id, custom_id, user, list(values))

    def _component(self, message_id: int, custom_id: str, user: Any, values: list[str] | None) -> InteractionHandle:
        uid = _uid(user)

        async def act() -> int:
            w = self._world
            msg = w.messages.get(message_id)
            if msg is None or msg.deleted:
                raise CommandInputError(f"message {message_id} does not exist")
            every = iter_components(msg.components)
            comp = next((c for c in every if c.get("custom_id") == custom_id), None)
            if comp is None:
                ids = [c["custom_id"] for c in every if "custom_id" in c]
                raise CommandInputError(f"message {message_id} has no component {custom_id!r} (has {ids})")
            if comp.get("disabled"):
                raise CommandInputError(f"component {custom_id!r} is disabled")
            data: dict[str, Any] = {"custom_id": custom_id, "component_type": comp["type"]}
            if values is not None:
                allowed = [o["value"] for o in comp.get("options", [])]
                if comp["type"] == 3 and any(v not in allowed for v in values):
                    raise CommandInputError(f"values {values} not among {allowed}")
                data["values"] = values
            elif comp["type"] != 2:
                raise CommandInputError(f"{custom_id!r} is a select menu: use choose()")
            self._check_member(msg.guild_id, uid, msg.channel_id, VIEW_CHANNEL)
            return await self._dispatch_interaction(3, uid, msg.channel_id, msg.guild_id, data, source=msg)
        return InteractionHandle(self, self._call(act))

    def submit_modal(self, answered: InteractionHandle | int, values: dict[str, Any],
                     user: Any = None) -> InteractionHandle:
        """Fill in and submit the modal the bot opened in reply to `answered` (type 5 MODAL_SUBMIT)."""
        iid = answered.id if isinstance(answered, InteractionHandle) else int(answered)

        async def act() -> int:
            prev = self._world.interactions[iid]
            if prev.modal is None:
                raise CommandInputError(f"interaction {iid} was not answered with a modal")
            inputs = _modal_inputs(prev.modal)
            unknown = set(values) - set(inputs)
            if unknown:
                raise CommandInputError(f"modal has no input(s) {sorted(unknown)} (has {sorted(inputs)})")
            missing = [k for k, (d, _) in inputs.items() if d.get("required", True) and k not in values]
            if missing:
                raise CommandInputError(f"modal input(s) {missing} are required")
            for k, v in values.items():
                d = inputs[k][0]
                if d["type"] == 4 and not d.get("min_length", 0) <= len(str(v)) <= d.get("max_length", 4000):
                    raise CommandInputError(f"modal input {k!r}: length {len(str(v))} outside its limits")
            rows = [_modal_answer(inputs[k][0], inputs[k][1], v) for k, v in values.items()]
            data = {"custom_id": prev.modal["custom_id"], "components": rows}
            src = self._world.messages.get(prev.source_message_id) if prev.source_message_id else None
            uid = _uid(user) if user is not None else prev.user_id
            return await self._dispatch_interaction(5, uid, prev.channel_id, prev.guild_id, data, source=src)
        return InteractionHandle(self, self._call(act))

    async def _dispatch_interaction(self, itype: int, uid: int, channel_id: int, guild_id: int | None,
                                    data: dict, source: Message | None = None) -> int:
        w = self._world
        ix = Interaction(w.ids.next(), "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48), itype, uid, channel_id,
                         guild_id, w.clock.now(), {}, source_message_id=source.id if source else None)
        msg_payload = payloads.message(w, source) if source is not None else None
        ix.payload = interaction_payload(w, ix, data, msg_payload)
        w.interactions[ix.id] = ix

        def sent() -> None:
            ix.dispatched_at = w.clock.now()
        ok = await self._core.gateway.dispatch("INTERACTION_CREATE", ix.payload, on_sent=sent)
        if not ok:
            raise RuntimeError("no bot session is connected to receive the interaction")
        return ix.id


def _modal_inputs(modal: dict) -> dict[str, tuple[dict, int]]:
    """custom_id -> (input component, 1 if inside an action row / 18 if inside a Label)."""
    out = {}
    for row in modal.get("components", []):
        inner = row.get("components", []) if row.get("type") == 1 else [row.get("component") or {}]
        for c in inner:
            if c.get("custom_id") and c.get("type") in (3, 4, 5, 6, 7, 8):
                out[c["custom_id"]] = (c, row.get("type", 1))
    return out


def _modal_answer(comp: dict, wrapper: int, value: Any) -> dict:
    """One submitted input, shaped like the modal that asked for it."""
    if comp["type"] == 4:
        inner: dict[str, Any] = {"type": 4, "custom_id": comp["custom_id"], "value": str(value)}
    else:
        values = [str(v) for v in (value if isinstance(value, (list, tuple)) else [value])]
        inner = {"type": comp["type"], "custom_id": comp["custom_id"], "values": values}
    if wrapper == 18:
        return {"type": 18, "component": inner}
    return {"type": 1, "components": [inner]}
