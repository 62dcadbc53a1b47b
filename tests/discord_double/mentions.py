"""Who a message pings, decided the way Discord does: from its content AND its allowed_mentions."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .state import MENTION_EVERYONE, Message, World

USER_RE = re.compile(r"<@!?(\d{15,21})>")
ROLE_RE = re.compile(r"<@&(\d{15,21})>")
EVERYONE_RE = re.compile(r"@(everyone|here)")


@dataclass(frozen=True)
class Pings:
    everyone: bool = False  # @everyone or @here would notify
    users: frozenset[int] = field(default_factory=frozenset)
    roles: frozenset[int] = field(default_factory=frozenset)
    replied_user: int | None = None  # author of the replied-to message, when pinged

    @property
    def anyone(self) -> bool:
        return self.everyone or bool(self.users or self.roles or self.replied_user)


def parse_content(content: str) -> tuple[bool, set[int], set[int]]:
    """(has @everyone/@here, user ids, role ids) written in the content. Discord parses these
    anywhere in the text, so code blocks and markdown do not protect them."""
    return (
        bool(EVERYONE_RE.search(content)),
        {int(x) for x in USER_RE.findall(content)},
        {int(x) for x in ROLE_RE.findall(content)},
    )


def compute_pings(world: World, m: Message, *, respect_permissions: bool = True) -> Pings:
    """Absent allowed_mentions means Discord parses everything. Present, only what `parse`
    names plus the explicit `users`/`roles` lists; `replied_user` defaults to False.
    With respect_permissions, @everyone and unmentionable roles need MENTION_EVERYONE."""
    has_everyone, users, roles = parse_content(m.content)
    am = m.allowed_mentions
    if am is None:
        parse = {"everyone", "users", "roles"}
        allowed_users: set[int] = set()
        allowed_roles: set[int] = set()
        replied = True
    else:
        parse = set(am.get("parse") or [])
        allowed_users = {int(u) for u in am.get("users") or []}
        allowed_roles = {int(r) for r in am.get("roles") or []}
        replied = bool(am.get("replied_user", False))
    can_everyone = True
    if respect_permissions and m.guild_id is not None and m.channel_id in world.channels:
        can_everyone = bool(world.permissions_in(m.channel_id, m.author_id) & MENTION_EVERYONE)
    everyone = has_everyone and "everyone" in parse and can_everyone
    users = {u for u in users if "users" in parse or u in allowed_users}
    roles = {r for r in roles if "roles" in parse or r in allowed_roles}
    if respect_permissions and not can_everyone and m.guild_id in world.guilds:
        guild_roles = world.guilds[m.guild_id].roles
        roles = {r for r in roles if r in guild_roles and guild_roles[r].mentionable}
    replied_user = None
    ref = m.message_reference or {}
    if replied and ref.get("message_id") and m.type == 19:
        target = world.messages.get(int(ref["message_id"]))
        if target is not None and target.author_id != m.author_id:
            replied_user = target.author_id
    return Pings(everyone, frozenset(users), frozenset(roles), replied_user)


def message_mentions(world: World, m: Message) -> Pings:
    """What the message object reports in mentions / mention_roles / mention_everyone."""
    p = compute_pings(world, m)
    users = set(p.users)
    if p.replied_user is not None:
        users.add(p.replied_user)
    return Pings(p.everyone, frozenset(users), p.roles, p.replied_user)
