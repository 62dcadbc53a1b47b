"""Who a message pings, decided as Discord does (pure logic, no sockets)."""
from __future__ import annotations

from tests.discord_double.mentions import compute_pings, message_mentions
from tests.discord_double.state import (DEFAULT_EVERYONE, MENTION_EVERYONE, Channel, Clock, Guild, Member, Message,
                                        Role, User, World)


def world() -> World:
    w = World(Clock())
    for uid in (1, 2, 3):
        w.users[uid] = User(uid, f"u{uid}")
    g = Guild(100, "g", owner_id=3)
    g.roles[100] = Role(100, "@everyone", DEFAULT_EVERYONE & ~MENTION_EVERYONE)
    g.roles[555555555555555555] = Role(555555555555555555, "Actors", 0, 1, mentionable=False)
    g.members = {1: Member(1), 2: Member(2), 3: Member(3)}
    w.guilds[100] = g
    w.channels[200] = Channel(200, 100, "general")
    return w


def msg(w: World, content: str, allowed: dict | None = None, author: int = 1, **kw) -> Message:
    m = Message(w.ids.next(), 200, 100, author, content, allowed_mentions=allowed, **kw)
    return w.add_message(m)


U2 = "<@222222222222222222>"


def test_everyone_anywhere_in_the_text_pings_without_allowed_mentions() -> None:
    w = world()
    for text in ("@everyone", "look ```@here```", "**@everyone**", "x@everyone"):
        assert compute_pings(w, msg(w, text), respect_permissions=False).everyone, text
    assert not compute_pings(w, msg(w, "@\u200beveryone"), respect_permissions=False).everyone


def test_allowed_mentions_limit_what_is_parsed() -> None:
    w = world()
    w.users[222222222222222222] = User(222222222222222222, "actor")
    text = f"@everyone {U2} <@&555555555555555555>"
    none = compute_pings(w, msg(w, text, {"parse": []}), respect_permissions=False)
    assert not none.anyone
    users_only = compute_pings(w, msg(w, text, {"parse": ["users"]}), respect_permissions=False)
    assert (users_only.everyone, users_only.users, users_only.roles) == (False, {222222222222222222}, frozenset())
    listed = compute_pings(w, msg(w, text, {"roles": ["555555555555555555"]}), respect_permissions=False)
    assert listed.roles == {555555555555555555} and not listed.users and not listed.everyone


def test_permissions_gate_everyone_and_unmentionable_roles() -> None:
    w = world()
    m = msg(w, "@everyone <@&555555555555555555>")
    assert compute_pings(w, m, respect_permissions=False).everyone
    strict = compute_pings(w, m)  # author 1 lacks MENTION_EVERYONE; the role is not mentionable
    assert not strict.everyone and not strict.roles
    assert compute_pings(w, msg(w, "@everyone", author=3)).everyone  # the owner may


def test_replies_ping_the_replied_author_unless_turned_off() -> None:
    w = world()
    first = msg(w, "a take", author=2)
    ref = {"message_id": str(first.id)}
    assert compute_pings(w, msg(w, "reply", None, message_reference=ref, type=19)).replied_user == 2
    assert compute_pings(w, msg(w, "reply", {"parse": []}, message_reference=ref, type=19)).replied_user is None
    quiet = msg(w, "reply", {"parse": [], "replied_user": True}, message_reference=ref, type=19)
    assert message_mentions(w, quiet).users == {2}
