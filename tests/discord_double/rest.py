"""REST routes under /api/v10 for a bot: gateway, users, guilds, channels, messages, reactions,
application commands; plus the CDN that serves attachments."""
from __future__ import annotations

import re
from urllib.parse import unquote

from aiohttp import web

from . import payloads
from .core import Core
from .http_util import API_PREFIX, ApiError, json_response, form_error, not_found, read_body
from .state import (ADD_REACTIONS, ATTACH_FILES, MANAGE_MESSAGES, READ_MESSAGE_HISTORY, SEND_MESSAGES,
                    VIEW_CHANNEL, AppCommand)

NAME_RE = re.compile(r"^[-_\w]{1,32}$")


def _json(data, status: int = 200) -> web.Response:
    return json_response(data, status=status)


def _emoji(raw: str) -> str:
    key = unquote(raw)
    parts = key.split(":")
    if len(parts) >= 2 and parts[-1].isdigit():
        raise ApiError(400, 10014, "Unknown Emoji")  # the double's guilds have no custom emojis
    return key


def add_routes(app: web.Application, core: Core) -> None:
    r = web.RouteTableDef()
    for group in (_identity_routes, _guild_routes, _message_routes, _reaction_routes, _command_routes, _cdn_routes):
        group(r, core)
    app.add_routes(r)


def _bot(core: Core) -> int:
    return core.world.bot_user_id  # type: ignore[return-value]


def _guild_of(core: Core, req: web.Request):
    g = core.world.guilds.get(int(req.match_info["gid"]))
    if g is None or _bot(core) not in g.members:
        raise not_found("Guild", 10004)
    return g


def _identity_routes(r: web.RouteTableDef, core: Core) -> None:
    """Gateway discovery, users, DMs, typing, the application."""
    w, P = core.world, API_PREFIX

    def bot() -> int:
        return _bot(core)

    @r.get(P + "/gateway")
    async def gateway(_: web.Request):
        return _json({"url": core.http_base.replace("http", "ws", 1) + "/"})

    @r.get(P + "/gateway/bot")
    async def gateway_bot(_: web.Request):
        return _json({"url": core.http_base.replace("http", "ws", 1) + "/", "shards": 1,
                      "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 14400000,
                                              "max_concurrency": 1}})

    @r.get(P + "/users/@me")
    async def me(_: web.Request):
        return _json({**payloads.user(w.users[bot()]), "verified": True, "mfa_enabled": False, "email": None})

    @r.get(P + "/users/{uid}")
    async def get_user(req: web.Request):
        u = w.users.get(int(req.match_info["uid"]))
        if u is None:
            raise not_found("User", 10013)
        return _json(payloads.user(u))

    @r.post(P + "/users/@me/channels")
    async def open_dm(req: web.Request):
        body, _ = await read_body(req)
        uid = int(body.get("recipient_id") or 0)
        if w.users.get(uid) is None or w.users[uid].bot:
            raise ApiError(400, 50007, "Cannot send messages to this user")
        return _json(payloads.channel(core.dm_channel(uid), w))

    @r.post(P + "/channels/{cid}/typing")
    async def typing(req: web.Request):
        ch = core.channel(req.match_info["cid"])
        core.require(ch.id, bot(), VIEW_CHANNEL | SEND_MESSAGES)
        return web.Response(status=204)

    @r.get(P + "/oauth2/applications/@me")
    async def app_info(_: web.Request):
        owner = next((g.owner_id for g in w.guilds.values()), bot())
        return _json({
            "id": str(w.application_id), "name": w.users[bot()].username, "icon": None,
            "description": "Benjamin test application", "rpc_origins": [], "bot_public": False,
            "bot_require_code_grant": False, "owner": payloads.user(w.users[owner]), "team": None,
            "verify_key": "0" * 64, "flags": 0, "summary": "", "bot": payloads.user(w.users[bot()]),
            "approximate_guild_count": len(w.guilds), "interactions_endpoint_url": None,
            "redirect_uris": [], "tags": [],
        })



def _guild_routes(r: web.RouteTableDef, core: Core) -> None:
    """Guilds, roles, members, channels."""
    w, P = core.world, API_PREFIX

    def bot() -> int:
        return _bot(core)

    def guild_of(req: web.Request):
        return _guild_of(core, req)

    @r.get(P + "/guilds/{gid}")
    async def get_guild(req: web.Request):
        g = guild_of(req)
        return _json({**payloads.guild(w, g), "approximate_member_count": len(g.members)})

    @r.get(P + "/guilds/{gid}/channels")
    async def guild_channels(req: web.Request):
        return _json([payloads.channel(w.channels[c]) for c in guild_of(req).channel_ids])

    @r.get(P + "/guilds/{gid}/roles")
    async def guild_roles(req: web.Request):
        return _json([payloads.role(x) for x in guild_of(req).roles.values()])

    @r.get(P + "/guilds/{gid}/members/{uid}")
    async def guild_member(req: web.Request):
        m = guild_of(req).members.get(int(req.match_info["uid"]))
        if m is None:
            raise not_found("Member", 10007)
        return _json(payloads.member(w, m))

    @r.get(P + "/channels/{cid}")
    async def get_channel(req: web.Request):
        ch = core.channel(req.match_info["cid"])
        core.require(ch.id, bot(), VIEW_CHANNEL)
        return _json(payloads.channel(ch, w))



def _message_routes(r: web.RouteTableDef, core: Core) -> None:
    """Create, read, history, edit, delete messages."""
    w, P = core.world, API_PREFIX

    def bot() -> int:
        return _bot(core)

    @r.post(P + "/channels/{cid}/messages")
    async def post_message(req: web.Request):
        ch = core.channel(req.match_info["cid"])
        payload, files = await read_body(req)
        core.require(ch.id, bot(), VIEW_CHANNEL | SEND_MESSAGES | (ATTACH_FILES if files else 0))
        nonce = payload.get("nonce")
        if payload.get("enforce_nonce") and nonce is not None:  # Discord dedups these for a few minutes
            recent = w.clock.now() - 300
            for m in reversed(w.live_messages(ch.id)):
                if m.author_id == bot() and m.nonce == nonce and m.created_at >= recent:
                    return _json(payloads.message(w, m))
        msg = core.create_message(ch.id, bot(), payload, files)
        await core.emit_message("MESSAGE_CREATE", msg)
        return _json(payloads.message(w, msg))

    @r.get(P + "/channels/{cid}/messages")
    async def history(req: web.Request):
        ch = core.channel(req.match_info["cid"])
        core.require(ch.id, bot(), VIEW_CHANNEL | READ_MESSAGE_HISTORY)
        limit = int(req.query.get("limit", 50))
        if not 1 <= limit <= 100:
            raise form_error("limit", "NUMBER_TYPE_MAX", "int value should be between 1 and 100.")
        msgs = sorted(w.live_messages(ch.id), key=lambda m: m.id, reverse=True)
        if "before" in req.query:
            msgs = [m for m in msgs if m.id < int(req.query["before"])]
        if "after" in req.query:
            msgs = sorted((m for m in msgs if m.id > int(req.query["after"])), key=lambda m: m.id)[:limit][::-1]
        if "around" in req.query:
            mid = int(req.query["around"])
            older = [m for m in msgs if m.id <= mid][: (limit + 1) // 2]
            newer = sorted((m for m in msgs if m.id > mid), key=lambda m: m.id)[: limit // 2][::-1]
            msgs = newer + older
        return _json([payloads.message(w, m) for m in msgs[:limit] if not m.ephemeral])

    @r.get(P + "/channels/{cid}/messages/{mid}")
    async def get_message(req: web.Request):
        msg = core.message(req.match_info["cid"], req.match_info["mid"])
        core.require(msg.channel_id, bot(), VIEW_CHANNEL | READ_MESSAGE_HISTORY)
        return _json(payloads.message(w, msg))

    @r.patch(P + "/channels/{cid}/messages/{mid}")
    async def edit_message(req: web.Request):
        msg = core.message(req.match_info["cid"], req.match_info["mid"])
        payload, files = await read_body(req)
        if msg.author_id != bot():
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        core.edit_message(msg, payload, files, "rest")
        await core.emit_message("MESSAGE_UPDATE", msg)
        return _json(payloads.message(w, msg))

    @r.delete(P + "/channels/{cid}/messages/{mid}")
    async def delete_message(req: web.Request):
        msg = core.message(req.match_info["cid"], req.match_info["mid"])
        if msg.author_id != bot():
            core.require(msg.channel_id, bot(), MANAGE_MESSAGES)
        msg.deleted = True
        await core.emit_delete(msg)
        return web.Response(status=204)



def _reaction_routes(r: web.RouteTableDef, core: Core) -> None:
    """Add, remove, list and clear reactions."""
    w, P = core.world, API_PREFIX

    def bot() -> int:
        return _bot(core)

    R = P + "/channels/{cid}/messages/{mid}/reactions"

    @r.put(R + "/{emoji}/@me")
    async def react(req: web.Request):
        msg = core.message(req.match_info["cid"], req.match_info["mid"])
        emoji = _emoji(req.match_info["emoji"])
        core.require(msg.channel_id, bot(), VIEW_CHANNEL | READ_MESSAGE_HISTORY)
        if not msg.reactions.get(emoji):
            core.require(msg.channel_id, bot(), ADD_REACTIONS)
            if len(msg.reactions) >= 20:
                raise ApiError(400, 30010, "Maximum number of reactions reached (20)")
        await core.add_reaction(msg, bot(), emoji)
        return web.Response(status=204)

    @r.delete(R + "/{emoji}/{who}")
    async def unreact(req: web.Request):
        msg = core.message(req.match_info["cid"], req.match_info["mid"])
        emoji = _emoji(req.match_info["emoji"])
        who = req.match_info["who"]
        uid = bot() if who == "@me" else int(who)
        if uid != bot():
            core.require(msg.channel_id, bot(), MANAGE_MESSAGES)
        await core.remove_reaction(msg, uid, emoji)
        return web.Response(status=204)

    @r.get(R + "/{emoji}")
    async def reactors(req: web.Request):
        msg = core.message(req.match_info["cid"], req.match_info["mid"])
        users = msg.reactions.get(_emoji(req.match_info["emoji"]), [])
        after = int(req.query.get("after", 0))
        limit = int(req.query.get("limit", 25))
        ids = sorted(u for u in users if u > after)[:limit]
        return _json([payloads.user(w.users[u]) for u in ids])

    @r.delete(R)
    async def clear_reactions(req: web.Request):
        msg = core.message(req.match_info["cid"], req.match_info["mid"])
        core.require(msg.channel_id, bot(), MANAGE_MESSAGES)
        msg.reactions.clear()
        d = {"channel_id": str(msg.channel_id), "message_id": str(msg.id)}
        if msg.guild_id:
            d["guild_id"] = str(msg.guild_id)
        await core.gateway.dispatch("MESSAGE_REACTION_REMOVE_ALL", d, in_guild=msg.guild_id is not None)
        return web.Response(status=204)



def _command_routes(r: web.RouteTableDef, core: Core) -> None:
    """Bulk-overwrite and list application commands (global and guild)."""
    w, P = core.world, API_PREFIX

    def bot() -> int:
        return _bot(core)

    def guild_of(req: web.Request):
        return _guild_of(core, req)

    def check_app(req: web.Request) -> int | None:
        if int(req.match_info["app"]) != w.application_id:
            raise ApiError(403, 50001, "Missing Access")
        gid = req.match_info.get("gid")
        if gid is not None:
            guild_of(req)
            return int(gid)
        return None

    def listed(gid: int | None) -> list[dict]:
        return [command_payload(c) for c in w.commands.values() if c.guild_id == gid]

    @r.put(P + "/applications/{app}/commands")
    @r.put(P + "/applications/{app}/guilds/{gid}/commands")
    async def overwrite_commands(req: web.Request):
        gid = check_app(req)
        body, _ = await read_body(req)
        if not isinstance(body, list):
            raise form_error("_root", "BASE_TYPE_BAD_TYPE", "Must be an array.")
        if len(body) > 100:
            raise form_error("_root", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
        for i, d in enumerate(body):
            validate_command(d, str(i))
        old = {(c.definition.get("type", 1), c.name): c for c in w.commands.values() if c.guild_id == gid}
        for c in old.values():
            del w.commands[c.id]
        for d in body:
            prev = old.get((d.get("type", 1), d["name"]))
            cid = prev.id if prev else w.ids.next()
            w.commands[cid] = AppCommand(cid, w.application_id, gid, d, w.ids.next())  # type: ignore[arg-type]
        return _json(listed(gid))

    @r.get(P + "/applications/{app}/commands")
    @r.get(P + "/applications/{app}/guilds/{gid}/commands")
    async def list_commands(req: web.Request):
        return _json(listed(check_app(req)))



def _cdn_routes(r: web.RouteTableDef, core: Core) -> None:
    """The CDN: attachment bytes at the urls given in message payloads."""
    @r.get("/attachments/{cid}/{aid}/{filename}")
    @r.get("/ephemeral-attachments/{cid}/{aid}/{filename}")
    async def cdn(req: web.Request):
        att = core.files.get(int(req.match_info["aid"]))
        if att is None or att.filename != req.match_info["filename"]:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=att.data, content_type=att.content_type or "application/octet-stream")


def validate_command(d: dict, where: str) -> None:
    name = d.get("name") or ""
    ctype = d.get("type", 1)
    if not NAME_RE.match(name) or (ctype == 1 and name != name.lower()):
        raise form_error(f"{where}.name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
    if ctype == 1 and not 1 <= len(d.get("description") or "") <= 100:
        raise form_error(f"{where}.description", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    opts = d.get("options") or []
    if len(opts) > 25:
        raise form_error(f"{where}.options", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    seen_optional = False
    for i, o in enumerate(opts):
        if o.get("type") in (1, 2):
            validate_command({**o, "type": 1}, f"{where}.options.{i}")
            continue
        if not NAME_RE.match(o.get("name") or "") or o["name"] != o["name"].lower():
            raise form_error(f"{where}.options.{i}.name", "APPLICATION_COMMAND_INVALID_NAME", "Option name is invalid")
        if o.get("required"):
            if seen_optional:
                raise form_error(f"{where}.options.{i}", "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                                 "Required options must be placed before non-required options")
        else:
            seen_optional = True
        if len(o.get("choices") or []) > 25:
            raise form_error(f"{where}.options.{i}.choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")


def command_payload(c: AppCommand) -> dict:
    d = c.definition
    out = {
        "id": str(c.id), "application_id": str(c.application_id), "version": str(c.version),
        "type": d.get("type", 1), "name": d["name"], "name_localizations": d.get("name_localizations"),
        "description": d.get("description", ""), "description_localizations": d.get("description_localizations"),
        "options": d.get("options", []), "default_member_permissions": d.get("default_member_permissions"),
        "dm_permission": d.get("dm_permission", True), "nsfw": d.get("nsfw", False),
        "contexts": d.get("contexts"), "integration_types": d.get("integration_types", [0]),
    }
    if c.guild_id is not None:
        out["guild_id"] = str(c.guild_id)
    return out
