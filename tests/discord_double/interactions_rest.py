"""Interaction callbacks (POST /interactions/{id}/{token}/callback) and the interaction webhook
(original response, followups), with Discord's 3 s callback window and 15 min token lifetime."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from . import payloads
from .core import Core
from .http_util import API_PREFIX, ApiError, json_response, form_error, read_body
from .state import Callback, Interaction, Message

LOADING = 128  # message flag: "Benjamin is thinking..."
EPHEMERAL = 64


def add_routes(app: web.Application, core: Core) -> None:
    r = web.RouteTableDef()
    _callback_routes(r, core)
    _webhook_routes(r, core)
    app.add_routes(r)


def _webhook_routes(r: web.RouteTableDef, core: Core) -> None:
    """The interaction webhook: original response and followups, valid for the token's lifetime."""
    w, P = core.world, API_PREFIX

    def by_token(req: web.Request) -> Interaction:
        ix = next((i for i in w.interactions.values() if i.token == req.match_info["token"]), None)
        if ix is None or int(req.match_info["app"]) != w.application_id:
            raise ApiError(404, 10015, "Unknown Webhook")
        if w.clock.now() - ix.created_at > core.config.interaction_token_ttl:
            raise ApiError(401, 50027, "Invalid Webhook Token")
        return ix

    def owned(ix: Interaction, mid: str) -> Message:
        wanted = ix.original_id if mid == "@original" else int(mid)
        if wanted is None or (wanted != ix.original_id and wanted not in ix.followup_ids):
            raise ApiError(404, 10008, "Unknown Message")
        msg = w.messages.get(wanted)
        if msg is None or msg.deleted:
            raise ApiError(404, 10008, "Unknown Message")
        return msg

    W = P + "/webhooks/{app}/{token}"

    @r.get(W + "/messages/{mid}")
    async def get_webhook_message(req: web.Request):
        ix = by_token(req)
        return json_response(payloads.message(w, owned(ix, req.match_info["mid"])))

    @r.patch(W + "/messages/{mid}")
    async def edit_webhook_message(req: web.Request):
        ix = by_token(req)
        msg = owned(ix, req.match_info["mid"])
        payload, files = await read_body(req)
        was_loading = bool(msg.flags & LOADING)
        msg.flags &= ~LOADING
        try:
            core.edit_message(msg, payload, files, "webhook")
        except ApiError:
            if was_loading:
                msg.flags |= LOADING
            raise
        await core.emit_message("MESSAGE_UPDATE", msg)
        return json_response(payloads.message(w, msg))

    @r.delete(W + "/messages/{mid}")
    async def delete_webhook_message(req: web.Request):
        ix = by_token(req)
        msg = owned(ix, req.match_info["mid"])
        msg.deleted = True
        await core.emit_delete(msg)
        return web.Response(status=204)

    @r.post(W)
    async def followup(req: web.Request):
        ix = by_token(req)
        if not ix.callbacks:
            raise ApiError(404, 10015, "Unknown Webhook")
        payload, files = await read_body(req)
        original = w.messages.get(ix.original_id) if ix.original_id else None
        if original is not None and original.flags & LOADING:
            # Discord: the first followup after a deferred reply fills the "thinking" message.
            original.flags &= ~LOADING
            core.edit_message(original, payload, files, "webhook")
            await core.emit_message("MESSAGE_UPDATE", original)
            msg = original
        else:
            msg = core.create_message(ix.channel_id, w.bot_user_id, payload, files,  # type: ignore[arg-type]
                                      webhook_id=w.application_id, interaction_id=ix.id, mtype=0)
            ix.followup_ids.append(msg.id)
            await core.emit_message("MESSAGE_CREATE", msg)
        if req.query.get("wait", "").lower() in ("1", "true"):
            return json_response(payloads.message(w, msg))
        return web.Response(status=204)


def _callback_routes(r: web.RouteTableDef, core: Core) -> None:
    """POST /interactions/{id}/{token}/callback: the first answer, within the callback window."""
    w, P = core.world, API_PREFIX

    @r.post(P + "/interactions/{iid}/{token}/callback")
    async def callback(req: web.Request):
        ix = w.interactions.get(int(req.match_info["iid"]))
        if ix is None or ix.token != req.match_info["token"]:
            raise ApiError(404, 10062, "Unknown interaction")
        if w.clock.now() - ix.created_at > core.config.interaction_callback_window:  # as on Discord
            raise ApiError(404, 10062, "Unknown interaction")
        if ix.callbacks:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        body, files = await read_body(req)
        rtype, data = body.get("type"), body.get("data") or {}
        msg = await _respond(core, ix, rtype, data, files)
        ix.callbacks.append(Callback(rtype, body.get("data"), w.clock.now()))
        if req.query.get("with_response", "").lower() not in ("1", "true"):
            return web.Response(status=204)
        out: dict = {"interaction": {
            "id": str(ix.id), "type": ix.type, "activity_instance_id": None,
            "response_message_id": str(msg.id) if msg else None,
            "response_message_loading": bool(msg and msg.flags & LOADING),
            "response_message_ephemeral": bool(msg and msg.ephemeral),
        }}
        out["resource"] = {"type": rtype, **({"message": payloads.message(w, msg)} if msg else {})}
        return json_response(out)


async def _respond(core: Core, ix: Interaction, rtype: Any, data: dict, files: dict) -> Message | None:
    """Apply one callback: create, defer, update the message, or record a modal/autocomplete answer."""
    w = core.world
    bot = w.bot_user_id
    if (ix.type == 4) != (rtype == 8):
        raise form_error("type", "INTERACTION_RESPONSE_TYPE_INVALID",
                         "Autocomplete interactions take (only) an autocomplete result (8)")
    if rtype == 8:
        _check_choices(data)
        return None
    if rtype == 4:
        msg = core.create_message(ix.channel_id, bot, data, files, webhook_id=w.application_id,
                                  interaction_id=ix.id, mtype=20 if ix.type == 2 else 19)
        ix.original_id = msg.id
        await core.emit_message("MESSAGE_CREATE", msg)
        return msg
    if rtype == 5:
        flags = LOADING | (int(data.get("flags") or 0) & EPHEMERAL)
        msg = core.create_message(ix.channel_id, bot, {}, {}, webhook_id=w.application_id,
                                  interaction_id=ix.id, mtype=20 if ix.type == 2 else 19,
                                  flags=flags, validate=False)
        ix.original_id = msg.id
        await core.emit_message("MESSAGE_CREATE", msg)
        return msg
    if rtype in (6, 7):
        if ix.type not in (3, 5) or ix.source_message_id is None:
            raise form_error("type", "INTERACTION_RESPONSE_TYPE_INVALID",
                             "This response type is only valid for component interactions")
        msg = w.messages[ix.source_message_id]
        ix.original_id = msg.id
        if rtype == 7:
            core.edit_message(msg, data, files, "interaction_update")
            await core.emit_message("MESSAGE_UPDATE", msg)
        return msg
    if rtype == 9:
        _check_modal(ix, data)
        ix.modal = data
        return None
    raise form_error("type", "BASE_TYPE_CHOICES", f"Value must be one of (4, 5, 6, 7, 8, 9), got {rtype!r}")


def _check_choices(data: dict) -> None:
    choices = data.get("choices")
    if not isinstance(choices, list) or len(choices) > 25:
        raise form_error("data.choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for i, c in enumerate(choices):
        if not 1 <= len(c.get("name") or "") <= 100:
            raise form_error(f"data.choices.{i}.name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")


def _check_modal(ix: Interaction, data: dict) -> None:
    if ix.type == 5:
        raise form_error("type", "INTERACTION_RESPONSE_TYPE_INVALID", "A modal cannot answer a modal submit")
    if not data.get("custom_id") or not data.get("title") or not data.get("components"):
        raise form_error("data", "BASE_TYPE_REQUIRED", "custom_id, title and components are required")
    if len(data["title"]) > 45:
        raise form_error("data.title", "BASE_TYPE_MAX_LENGTH", "Must be 45 or fewer in length.")
    if len(data["components"]) > 5:
        raise form_error("data.components", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
