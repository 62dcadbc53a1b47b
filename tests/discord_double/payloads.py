"""World records -> the JSON shapes Discord's API v10 sends (only the fields a bot reads, realistically)."""
from __future__ import annotations

from typing import Any

from .mentions import message_mentions
from .state import Attachment, Channel, Guild, Member, Message, Role, User, World


def user(u: User) -> dict[str, Any]:
    return {
        "id": str(u.id),
        "username": u.username,
        "discriminator": "0",
        "global_name": u.global_name,
        "avatar": u.avatar,
        "bot": u.bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
        "primary_guild": None,
        "collectibles": None,
    }


def role(r: Role) -> dict[str, Any]:
    out = {
        "id": str(r.id),
        "name": r.name,
        "permissions": str(r.permissions),
        "position": r.position,
        "color": r.color,
        "colors": {"primary_color": r.color, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "managed": False,
        "mentionable": r.mentionable,
        "icon": None,
        "unicode_emoji": None,
        "flags": 0,
    }
    if r.managed_by is not None:
        out.update(managed=True, tags={"bot_id": str(r.managed_by)})
    return out


def member(world: World, m: Member, *, with_user: bool = True, channel_id: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "roles": [str(r) for r in m.roles],
        "nick": m.nick,
        "avatar": None,
        "banner": None,
        "joined_at": world.clock.iso(m.joined_at),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
    }
    if with_user:
        out["user"] = user(world.users[m.user_id])
    if channel_id is not None:
        out["permissions"] = str(world.permissions_in(channel_id, m.user_id))
    return out


def channel(c: Channel, world: World | None = None) -> dict[str, Any]:
    if c.type == 1 and world is not None:  # DM
        return {"id": str(c.id), "type": 1, "last_message_id": None, "flags": 0,
                "recipients": [user(world.users[c.recipient_id])]}  # type: ignore[index]
    out: dict[str, Any] = {
        "id": str(c.id),
        "type": c.type,
        "name": c.name,
        "position": c.position,
        "topic": c.topic,
        "nsfw": False,
        "parent_id": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "flags": 0,
        "permission_overwrites": [
            {"id": str(o.id), "type": o.type, "allow": str(o.allow), "deny": str(o.deny)} for o in c.overwrites
        ],
    }
    if c.guild_id is not None:
        out["guild_id"] = str(c.guild_id)
    return out


def guild(world: World, g: Guild, *, full: bool = False, all_members: bool = True) -> dict[str, Any]:
    """full: the GUILD_CREATE form. Without the GUILD_MEMBERS intent Discord lists only the bot itself."""
    out: dict[str, Any] = {
        "id": str(g.id),
        "name": g.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": str(g.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": [role(r) for r in g.roles.values()],
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "vanity_url_code": None,
        "description": None,
        "banner": None,
        "premium_tier": g.premium_tier,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "public_updates_channel_id": None,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "max_members": 500000,
    }
    if full:  # GUILD_CREATE extras
        out.update(
            joined_at=world.clock.iso(),
            large=False,
            unavailable=False,
            member_count=len(g.members),
            voice_states=[],
            members=[member(world, m) for m in g.members.values() if all_members or m.user_id == world.bot_user_id],
            channels=[channel(world.channels[c]) for c in g.channel_ids],
            threads=[],
            presences=[],
            stage_instances=[],
            guild_scheduled_events=[],
            soundboard_sounds=[],
        )
    return out


def attachment(a: Attachment) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(a.id),
        "filename": a.filename,
        "size": a.size,
        "url": a.url,
        "proxy_url": a.url,
        "content_type": a.content_type,
        "flags": 0,
    }
    if a.description is not None:
        out["description"] = a.description
    if a.ephemeral:
        out["ephemeral"] = True
    return out


def message(world: World, m: Message, *, gateway: bool = False, strip_content: bool = False) -> dict[str, Any]:
    """A message object. gateway=True adds guild_id + member as MESSAGE_CREATE has them;
    strip_content empties content/embeds/attachments/components (no MESSAGE_CONTENT intent)."""
    author = world.users[m.author_id]
    ping = message_mentions(world, m)
    out: dict[str, Any] = {
        "id": str(m.id),
        "channel_id": str(m.channel_id),
        "type": m.type,
        "author": user(author),
        "content": "" if strip_content else m.content,
        "timestamp": world.clock.iso(m.created_at),
        "edited_timestamp": world.clock.iso(m.edited_at) if m.edits else None,
        "tts": m.tts,
        "mention_everyone": ping.everyone,
        "mentions": [user(world.users[u]) for u in sorted(ping.users) if u in world.users],
        "mention_roles": [str(r) for r in sorted(ping.roles)],
        "attachments": [] if strip_content else [attachment(a) for a in m.attachments],
        "embeds": [] if strip_content else m.embeds,
        "components": [] if strip_content else m.components,
        "reactions": [
            {
                "emoji": emoji_object(key),
                "count": len(users),
                "count_details": {"burst": 0, "normal": len(users)},
                "me": world.bot_user_id in users,
                "me_burst": False,
                "burst_colors": [],
            }
            for key, users in m.reactions.items() if users
        ],
        "pinned": False,
        "flags": m.flags,
    }
    if m.nonce is not None:
        out["nonce"] = m.nonce
    if m.webhook_id is not None:
        out["webhook_id"] = str(m.webhook_id)
        out["application_id"] = str(m.webhook_id)
    if m.poll is not None:
        out["poll"] = m.poll
    if m.message_reference is not None:
        out["message_reference"] = m.message_reference
        ref_id = m.message_reference.get("message_id")
        ref = world.messages.get(int(ref_id)) if ref_id else None
        out["referenced_message"] = message(world, ref) if ref is not None and not ref.deleted else None
    if m.interaction_id is not None:
        ix = world.interactions.get(m.interaction_id)
        if ix is not None:
            out["interaction_metadata"] = {
                "id": str(ix.id),
                "type": ix.type,
                "user": user(world.users[ix.user_id]),
                "authorizing_integration_owners": {"0": str(ix.guild_id)} if ix.guild_id else {},
            }
    if gateway and m.guild_id is not None:
        out["guild_id"] = str(m.guild_id)
        mem = world.guilds[m.guild_id].members.get(m.author_id)
        if mem is not None and m.webhook_id is None:
            out["member"] = member(world, mem, with_user=False)
    return out


def emoji_object(key: str) -> dict[str, Any]:
    """'👍' -> unicode emoji; 'name:id' (or 'a:name:id') -> custom emoji."""
    parts = key.split(":")
    if len(parts) >= 2 and parts[-1].isdigit():
        return {"id": parts[-1], "name": parts[-2], "animated": parts[0] == "a" and len(parts) == 3}
    return {"id": None, "name": key}
