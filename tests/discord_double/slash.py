"""INTERACTION_CREATE payloads built from the commands the bot registered, the way the Discord
client would send them (it refuses unknown options, missing required ones and bad choices)."""
from __future__ import annotations

from typing import Any, Callable

from . import payloads
from .state import AppCommand, Attachment, Interaction, Role, User, World

STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = 3, 4, 5, 6, 7, 8, 9, 10, 11
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2

StoreFile = Callable[[str, bytes, "str | None"], Attachment]


class CommandInputError(ValueError):
    """The test asked for an invocation Discord's client would not allow."""


def find_command(world: World, name: str, guild_id: int | None, ctype: int = 1) -> AppCommand:
    cands = [c for c in world.commands.values() if c.name == name and c.definition.get("type", 1) == ctype]
    for c in cands:
        if c.guild_id == guild_id:
            return c
    for c in cands:
        if c.guild_id is None:
            return c
    known = sorted({c.name for c in world.commands.values()})
    raise CommandInputError(f"no command /{name} is registered (registered: {known}); did the bot sync its tree?")


def _id(x: Any) -> int:
    return int(x.id) if hasattr(x, "id") else int(x)


def build_options(world: World, cmd: AppCommand, subcommand: str | None, options: dict[str, Any],
                  guild_id: int | None, channel_id: int, store_file: StoreFile,
                  focused: tuple[str, str] | None = None) -> tuple[list[dict], dict]:
    """Returns (options tree, resolved) for data. subcommand: 'add' or 'group add'.
    focused=(option, partial text) builds an autocomplete request instead."""
    defs = cmd.definition.get("options") or []
    resolved: dict[str, dict] = {}
    path = subcommand.split() if subcommand else []
    nest: list[tuple[str, int]] = []
    for part in path:
        d = next((o for o in defs if o.get("name") == part and o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP)), None)
        if d is None:
            names = [o["name"] for o in defs if o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP)]
            raise CommandInputError(f"/{cmd.name} has no subcommand {part!r} here (has {names})")
        nest.append((part, d["type"]))
        defs = d.get("options") or []
    if any(o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in defs):
        raise CommandInputError(f"/{cmd.name} {subcommand or ''} needs a subcommand")
    leaf = [_option(world, d, options, guild_id, channel_id, store_file, resolved) for d in defs
            if d["name"] in options]
    if focused is not None:
        fdef = next((d for d in defs if d["name"] == focused[0]), None)
        if fdef is None or not fdef.get("autocomplete"):
            raise CommandInputError(f"/{cmd.name}: option {focused[0]!r} has no autocomplete")
        leaf = [o for o in leaf if o["name"] != focused[0]]
        leaf.append({"name": focused[0], "type": fdef["type"], "value": focused[1], "focused": True})
    unknown = set(options) - {d["name"] for d in defs}
    if unknown:
        raise CommandInputError(f"/{cmd.name} {subcommand or ''} has no option(s) {sorted(unknown)}; "
                                f"it has {[d['name'] for d in defs]}")
    missing = [d["name"] for d in defs if d.get("required") and d["name"] not in options]
    if missing and focused is None:
        raise CommandInputError(f"/{cmd.name} {subcommand or ''}: required option(s) {missing} missing")
    tree: list[dict] = leaf
    for name, kind in reversed(nest):
        tree = [{"name": name, "type": kind, "options": tree}]
    return tree, resolved


def _option(world: World, d: dict, options: dict, guild_id: int | None, channel_id: int,
            store_file: StoreFile, resolved: dict[str, dict]) -> dict:
    kind, name, raw = d["type"], d["name"], options[d["name"]]
    value: Any
    if kind == STRING:
        value = str(raw)
        if not d.get("min_length", 0) <= len(value) <= d.get("max_length", 6000):
            raise CommandInputError(f"option {name}: length {len(value)} outside the command's limits")
    elif kind == INTEGER:
        value = int(raw)
    elif kind == NUMBER:
        value = float(raw)
    elif kind == BOOLEAN:
        value = bool(raw)
    elif kind == USER and _id(raw) not in world.users:
        raise CommandInputError(f"option {name}: no user {raw}")
    elif kind in (USER, MENTIONABLE) and (isinstance(raw, User) or _id(raw) in world.users):
        uid = _id(raw)
        value = str(uid)
        resolved.setdefault("users", {})[value] = payloads.user(world.users[uid])
        g = world.guilds.get(guild_id) if guild_id else None
        if g is not None and uid in g.members:
            resolved.setdefault("members", {})[value] = payloads.member(world, g.members[uid], with_user=False,
                                                                        channel_id=channel_id)
    elif kind in (ROLE, MENTIONABLE):
        rid = _id(raw)
        g = world.guilds.get(guild_id) if guild_id else None
        role: Role | None = g.roles.get(rid) if g else None
        if role is None:
            raise CommandInputError(f"option {name}: no role {rid} in this guild")
        value = str(rid)
        resolved.setdefault("roles", {})[value] = payloads.role(role)
    elif kind == CHANNEL:
        ch = world.channels.get(_id(raw))
        if ch is None:
            raise CommandInputError(f"option {name}: no channel {raw}")
        value = str(ch.id)
        bot = world.bot_user_id
        resolved.setdefault("channels", {})[value] = {
            **payloads.channel(ch), "permissions": str(world.permissions_in(ch.id, bot))}  # type: ignore[arg-type]
    elif kind == ATTACHMENT:
        filename, data, ctype = raw if len(raw) == 3 else (*raw, None)
        att = store_file(filename, data, ctype)
        value = str(att.id)
        resolved.setdefault("attachments", {})[value] = payloads.attachment(att)
    else:
        raise CommandInputError(f"option {name}: unsupported option type {kind}")
    if kind in (INTEGER, NUMBER):
        lo, hi = d.get("min_value"), d.get("max_value")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise CommandInputError(f"option {name}: {value} outside [{lo}, {hi}]")
    choices = d.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        raise CommandInputError(f"option {name}: {value!r} is not one of {[c['value'] for c in choices]}")
    return {"name": name, "type": kind, "value": value}


def interaction_payload(world: World, ix: Interaction, data: dict, message: dict | None = None) -> dict:
    """The full INTERACTION_CREATE d for a guild (or DM) interaction."""
    bot = world.bot_user_id
    out: dict[str, Any] = {
        "id": str(ix.id), "application_id": str(world.application_id), "type": ix.type, "token": ix.token,
        "version": 1, "channel_id": str(ix.channel_id), "locale": "en-US", "entitlements": [],
        "app_permissions": str(world.permissions_in(ix.channel_id, bot)),  # type: ignore[arg-type]
        "data": data, "context": 0 if ix.guild_id else 1,
        "authorizing_integration_owners": {"0": str(ix.guild_id)} if ix.guild_id else {"1": str(ix.user_id)},
        "attachment_size_limit": world.guilds[ix.guild_id].upload_limit if ix.guild_id else 10 * 1024 * 1024,
    }
    ch = world.channels.get(ix.channel_id)
    if ch is not None:
        out["channel"] = {**payloads.channel(ch), "permissions": out["app_permissions"]}
    if ix.guild_id:
        g = world.guilds[ix.guild_id]
        out.update(guild_id=str(g.id), guild_locale="en-US",
                   guild={"id": str(g.id), "locale": "en-US", "features": []},
                   member=payloads.member(world, g.members[ix.user_id], channel_id=ix.channel_id))
    else:
        out["user"] = payloads.user(world.users[ix.user_id])
    if message is not None:
        out["message"] = message
    return out
