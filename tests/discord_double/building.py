"""Building the double's world: users, guilds, roles, members, channels, permissions, and the default
test server. Changes made while the bot is connected reach it as gateway events, like on Discord."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from . import payloads
from .state import (ADMINISTRATOR, BOT_INVITE_PERMISSIONS, DEFAULT_EVERYONE, MANAGE_GUILD, Channel, Guild, Member,
                    Overwrite, Role, User)

if TYPE_CHECKING:
    from .core import Core, DoubleConfig
    from .state import World


@dataclass(frozen=True)
class DefaultWorld:
    """Ids of the standard test server made by DiscordDouble.setup_default_world()."""

    guild_id: int
    general_id: int  # #general
    films_id: int  # #films
    owner_id: int  # the server owner
    admin_id: int  # has the Admin role (ADMINISTRATOR + MANAGE_GUILD)
    member_id: int  # a normal member (only @everyone)
    other_member_id: int  # a second normal member, for votes
    admin_role_id: int
    bot_id: int
    bot_role_id: int = 0  # the bot's managed role (what its invite granted); widen with set_role_permissions


class WorldBuilding:
    """Mixed into DiscordDouble; relies on its _call, _core, _world, config and bot_id."""

    _core: "Core"
    _world: "World"
    config: "DoubleConfig"
    bot_id: int
    default: "DefaultWorld | None"
    _call: Callable[..., Any]

    def create_user(self, username: str, *, bot: bool = False, global_name: str | None = None) -> int:
        def make() -> int:
            uid = self._world.ids.next()
            self._world.users[uid] = User(uid, username, bot=bot, global_name=global_name)
            return uid
        return self._call(make)

    def create_guild(self, name: str, owner_id: int, *, everyone_permissions: int = DEFAULT_EVERYONE,
                     add_bot: bool = True) -> int:
        def make() -> int:
            w = self._world
            gid = w.ids.next()
            g = Guild(gid, name, owner_id)
            g.roles[gid] = Role(gid, "@everyone", everyone_permissions, 0, mentionable=True)
            w.guilds[gid] = g
            g.members[owner_id] = Member(owner_id, joined_at=w.clock.now())
            if add_bot:
                g.members[self.bot_id] = Member(self.bot_id, joined_at=w.clock.now())
            return gid
        return self._call(make)

    def create_role(self, guild_id: int, name: str, permissions: int = 0, *, mentionable: bool = False) -> int:
        async def make() -> int:
            g = self._world.guilds[guild_id]
            rid = self._world.ids.next()
            g.roles[rid] = Role(rid, name, permissions, len(g.roles), mentionable)
            await self._role_event("GUILD_ROLE_CREATE", g.id, rid)
            return rid
        return self._call(make)

    def add_member(self, guild_id: int, user_id: int, roles: tuple[int, ...] | list[int] = (),
                   nick: str | None = None) -> None:
        async def make() -> None:
            g = self._world.guilds[guild_id]
            g.members[user_id] = Member(user_id, list(roles), nick, self._world.clock.now())
            await self._core.gateway.dispatch("GUILD_MEMBER_ADD", {
                **payloads.member(self._world, g.members[user_id]), "guild_id": str(guild_id)})
        self._call(make)

    def create_channel(self, guild_id: int | None, name: str, *, topic: str | None = None) -> int:
        async def make() -> int:
            w = self._world
            cid = w.ids.next()
            w.channels[cid] = Channel(cid, guild_id, name, position=len(w.channels), topic=topic)
            if guild_id is not None:
                w.guilds[guild_id].channel_ids.append(cid)
                await self._core.gateway.dispatch("CHANNEL_CREATE", payloads.channel(w.channels[cid]))
            return cid
        return self._call(make)

    def set_channel_permissions(self, channel_id: int, target_id: int, *, allow: int = 0, deny: int = 0,
                                member: bool = False) -> None:
        """A permission overwrite for a role (default) or a member on one channel."""
        async def make() -> None:
            ch = self._world.channels[channel_id]
            ch.overwrites = [o for o in ch.overwrites if o.id != target_id]
            ch.overwrites.append(Overwrite(target_id, 1 if member else 0, allow, deny))
            await self._core.gateway.dispatch("CHANNEL_UPDATE", payloads.channel(ch))
        self._call(make)

    def _make_bot_role(self, guild_id: int, role_id: int) -> None:
        g = self._world.guilds[guild_id]
        g.roles[role_id].managed_by = self.bot_id
        g.members[self.bot_id].roles.append(role_id)

    def set_role_permissions(self, guild_id: int, role_id: int, permissions: int) -> None:
        """Change what a role (or @everyone: role_id == guild_id) allows (GUILD_ROLE_UPDATE)."""
        async def make() -> None:
            self._world.guilds[guild_id].roles[role_id].permissions = permissions
            await self._role_event("GUILD_ROLE_UPDATE", guild_id, role_id)
        self._call(make)

    async def _role_event(self, t: str, guild_id: int, role_id: int) -> None:
        role = self._world.guilds[guild_id].roles[role_id]
        await self._core.gateway.dispatch(t, {"guild_id": str(guild_id), "role": payloads.role(role)})

    def set_upload_limit(self, guild_id: int, nbytes: int) -> None:
        self._call(lambda: setattr(self._world.guilds[guild_id], "upload_limit", nbytes))

    def setup_default_world(self) -> DefaultWorld:
        """One server with #general and #films; an owner, an admin, two members and the bot."""
        owner = self.create_user("owner", global_name="Server Owner")
        admin = self.create_user("ada_admin", global_name="Ada")
        member = self.create_user("mo_member", global_name="Mo")
        other = self.create_user("olu_member", global_name="Olu")
        gid = self.create_guild(self.config.guild_name, owner)
        admin_role = self.create_role(gid, "Admin", ADMINISTRATOR | MANAGE_GUILD)
        self.add_member(gid, admin, [admin_role])
        self.add_member(gid, member)
        self.add_member(gid, other)
        bot_role = self.create_role(gid, "Benjamin", BOT_INVITE_PERMISSIONS)
        self._call(self._make_bot_role, gid, bot_role)
        general = self.create_channel(gid, "general")
        films = self.create_channel(gid, "films")
        self.default = DefaultWorld(gid, general, films, owner, admin, member, other, admin_role, self.bot_id,
                                    bot_role)
        return self.default
