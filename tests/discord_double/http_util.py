"""HTTP plumbing shared by the REST routes: Discord-shaped errors, bot-token auth, injected 429s,
request recording, JSON/multipart bodies and the message-body validation Discord does."""
from __future__ import annotations

import fnmatch
import json
import logging
import math
import re
import traceback
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from aiohttp import web

from .ratelimits import Buckets
from .state import RequestRecord, World

log = logging.getLogger(__name__)
API_PREFIX = "/api/v10"
# Paths that do not take the bot token: interaction callbacks and token webhooks authenticate by token.
_NO_AUTH = (re.compile(r"^/interactions/\d+/[^/]+/callback$"), re.compile(r"^/webhooks/\d+/[^/]+"),
            re.compile(r"^/gateway$"))


def json_response(data: Any, status: int = 200, headers: dict | None = None) -> web.Response:
    """Discord sends exactly 'application/json' (discord.py compares the header verbatim)."""
    body = json.dumps(data, ensure_ascii=False).encode()
    return web.Response(body=body, status=status, headers={"Content-Type": "application/json", **(headers or {})})


RECORD = web.RequestKey("record", RequestRecord)


class ApiError(Exception):
    """Raised by a route; becomes Discord's JSON error body {"message", "code"[, "errors"]}."""

    def __init__(self, status: int, code: int, message: str, errors: dict | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status, self.code, self.message, self.errors = status, code, message, errors

    def response(self) -> web.Response:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return json_response(body, status=self.status)


def form_error(field: str, code: str, message: str) -> ApiError:
    """400 50035 Invalid Form Body with one field error, as Discord nests it."""
    node: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for part in reversed(field.split(".")):
        node = {part: node}
    return ApiError(400, 50035, "Invalid Form Body", node)


def not_found(kind: str, code: int) -> ApiError:
    return ApiError(404, code, f"Unknown {kind}")


@dataclass
class RateLimitRule:
    """An injected fault: the next `remaining` matching requests get a 429 (or `fault` when set)."""

    pattern: str  # "POST /channels/*/messages", or a path glob for any method
    retry_after: float
    global_: bool
    remaining: int  # how many more matching requests get a 429
    fault: ApiError | None = None  # answer this error instead of a 429 (fail_next)

    def matches(self, method: str, path: str) -> bool:
        method_pat, _, path_pat = self.pattern.partition(" ") if " " in self.pattern else ("*", "", self.pattern)
        return fnmatch.fnmatchcase(method, method_pat.upper()) and fnmatch.fnmatchcase(path, path_pat)


def rate_limited(retry_after: float, global_: bool, bucket: str, now: float) -> web.Response:
    body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": global_}
    headers = {
        "Retry-After": str(max(1, math.ceil(retry_after))),
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": f"{now + retry_after:.3f}",
        "X-RateLimit-Reset-After": f"{retry_after:.3f}",
        "X-RateLimit-Bucket": bucket,
        "X-RateLimit-Scope": "global" if global_ else "user",
        "Via": "1.1 google",  # discord.py treats a 429 without Via as a Cloudflare ban
    }
    if global_:
        headers["X-RateLimit-Global"] = "true"
    return json_response(body, status=429, headers=headers)


def make_middleware(world: World, token: str, rules: list[RateLimitRule], errors: list[str],
                    buckets: Buckets | None = None) -> Callable:
    """errors collects tracebacks of the double's own bugs (answered 500); the fixture fails on them.
    buckets: optional real rate limits."""
    @web.middleware
    async def middleware(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
        path = request.path
        api = path.startswith(API_PREFIX)
        rel = path[len(API_PREFIX):] if api else path
        now = world.clock.now()
        record = RequestRecord(request.method, rel, 0, now, query=dict(request.query))
        if api:
            world.requests.append(record)
            request[RECORD] = record
        taken = None
        try:
            if api:
                for rule in rules:
                    if rule.remaining > 0 and rule.matches(request.method, rel):
                        rule.remaining -= 1
                        if rule.fault is not None:
                            raise rule.fault
                        record.status = 429
                        return rate_limited(rule.retry_after, rule.global_, "injected", now)
                if not any(p.match(rel) for p in _NO_AUTH) and request.headers.get("Authorization") != f"Bot {token}":
                    raise ApiError(401, 0, "401: Unauthorized")
            taken = buckets.take(request.method, rel) if buckets is not None and api else None
            if taken is not None and taken.retry_after is not None:
                record.status = 429
                return rate_limited(taken.retry_after, False, taken.bucket, now)
            resp = await handler(request)
        except ApiError as exc:
            resp = exc.response()
        except web.HTTPException as exc:  # aiohttp's own 404/405 for unknown routes
            resp = json_response({"message": f"{exc.status}: {exc.reason}", "code": 0}, status=exc.status)
        except ConnectionResetError:  # the client hung up mid-request (a bot closing as its test ends): no one
            raise  # to answer, and no bug of the double's
        except Exception:  # a bug in the double, not in the bot: make it loud
            log.exception("discord double failed on %s %s", request.method, path)
            errors.append(f"{request.method} {path}\n{traceback.format_exc()}")
            resp = json_response({"message": "500: Internal Server Error (discord double bug)", "code": 0},
                                 status=500)
        record.status = resp.status
        if api and resp.status < 400 and taken is not None:
            resp.headers.update(taken.headers(now))
        elif api and resp.status < 400:
            resp.headers.update({
                "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "4", "X-RateLimit-Reset-After": "1.000",
                "X-RateLimit-Reset": f"{now + 1:.3f}", "X-RateLimit-Bucket": "double-" + request.method.lower(),
                "Via": "1.1 google",
            })
        return resp

    return middleware


@dataclass
class Upload:
    filename: str
    data: bytes
    content_type: str | None


async def read_body(request: web.Request) -> tuple[dict, dict[int, Upload]]:
    """JSON body, or multipart/form-data with payload_json + files[n], as discord.py sends them."""
    files: dict[int, Upload] = {}
    payload: dict = {}
    if request.content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            name = part.name or ""
            if name == "payload_json":
                payload = json.loads(await part.text())
            elif name.startswith("files[") and name.endswith("]"):
                data = bytes(await part.read(decode=False))
                files[int(name[6:-1])] = Upload(part.filename or "unknown", data, part.headers.get("Content-Type"))
            elif name:
                raise form_error(name, "UNKNOWN_FIELD", f"Unknown multipart field {name!r}")
    elif request.can_read_body:
        text = await request.text()
        if text:
            try:
                payload = json.loads(text)
            except ValueError:
                raise ApiError(400, 50109, "The request body contains invalid JSON.") from None
    record = request.get(RECORD)
    if record is not None:
        record.json = payload
    return payload, files


# ---------------------------------------------------------------------- message body validation
def validate_message_body(payload: dict, files: dict[int, Upload], *, creating: bool, upload_limit: int) -> None:
    content = payload.get("content")
    if content is not None and not isinstance(content, str):
        raise form_error("content", "BASE_TYPE_BAD_TYPE", "Must be a string.")
    if content is not None and len(content) > 2000:
        raise form_error("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
    embeds = payload.get("embeds") or []
    if len(embeds) > 10:
        raise form_error("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    total = 0
    for i, e in enumerate(embeds):
        for key, limit in (("title", 256), ("description", 4096)):
            if len(e.get(key) or "") > limit:
                raise form_error(f"embeds.{i}.{key}", "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")
        if len(e.get("fields") or []) > 25:
            raise form_error(f"embeds.{i}.fields", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        for j, f in enumerate(e.get("fields") or []):
            if not f.get("name") or not f.get("value"):
                raise form_error(f"embeds.{i}.fields.{j}", "BASE_TYPE_REQUIRED", "This field is required")
        total += sum(len(e.get(k) or "") for k in ("title", "description"))
        total += sum(len(f.get("name", "")) + len(f.get("value", "")) for f in e.get("fields") or [])
    if total > 6000:
        raise form_error("embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
    if int(payload.get("flags") or 0) & COMPONENTS_V2:
        if content or embeds:
            raise form_error("content", "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                             "The 'content' and 'embeds' fields cannot be used with components v2")
        validate_custom_ids(payload.get("components") or [])
    else:
        validate_components(payload.get("components") or [])
    if len(files) > 10:
        raise form_error("files", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    for up in files.values():
        if len(up.data) > upload_limit:
            raise ApiError(413, 40005, "Request entity too large")
    if creating and not (content or embeds or files or payload.get("components") or payload.get("sticker_ids")
                         or payload.get("poll")):
        raise ApiError(400, 50006, "Cannot send an empty message")


COMPONENTS_V2 = 1 << 15  # message flag IS_COMPONENTS_V2 (discord.ui.LayoutView)


def iter_components(components: list) -> list[dict]:
    """Every component, nested ones included (rows, containers, sections' accessories, labels)."""
    out: list[dict] = []
    for c in components or []:
        out.append(c)
        out.extend(iter_components(c.get("components") or []))
        for key in ("accessory", "component"):
            if isinstance(c.get(key), dict):
                out.extend(iter_components([c[key]]))
    return out


def validate_custom_ids(components: list) -> None:
    every = iter_components(components)
    if len(every) > 40:
        raise form_error("components", "BASE_TYPE_MAX_LENGTH", "Must be 40 or fewer in total.")
    ids = [c["custom_id"] for c in every if "custom_id" in c]
    for cid in ids:
        if not 1 <= len(cid) <= 100:
            raise form_error("components", "BASE_TYPE_BAD_LENGTH", "custom_id must be between 1 and 100 in length.")
    if len(ids) != len(set(ids)):
        raise form_error("components", "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated")


def validate_components(rows: list) -> None:
    if len(rows) > 5:
        raise form_error("components", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    seen: set[str] = set()
    for i, row in enumerate(rows):
        if row.get("type") != 1:
            raise form_error(f"components.{i}.type", "UNION_TYPE_CHOICES", "Value must be an action row (1).")
        children = row.get("components") or []
        if not 1 <= len(children) <= 5:
            raise form_error(f"components.{i}.components", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
        for j, c in enumerate(children):
            cid = c.get("custom_id")
            if c.get("type") == 2 and c.get("style") == 5:
                if cid or not c.get("url"):
                    raise form_error(f"components.{i}.components.{j}", "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                                     "Link buttons need a url and no custom_id.")
                continue
            if not cid or len(cid) > 100:
                raise form_error(f"components.{i}.components.{j}.custom_id", "BASE_TYPE_BAD_LENGTH",
                                 "Must be between 1 and 100 in length.")
            if cid in seen:
                raise form_error(f"components.{i}.components.{j}.custom_id", "COMPONENT_CUSTOM_ID_DUPLICATED",
                                 "Component custom id cannot be duplicated")
            seen.add(cid)
            if c.get("type") == 2 and len(c.get("label") or "") > 80:
                raise form_error(f"components.{i}.components.{j}.label", "BASE_TYPE_MAX_LENGTH",
                                 "Must be 80 or fewer in length.")
