"""The cast: people who agreed to appear in this server's films. ``/cast add|voice|remove|list``.

You can only add yourself. An admin may propose someone else, but nothing is stored until that
person presses "Yes, add me" on the consent message. Photos must show one clear face (checked by
engine.faces in a thread); a video contributes its first frame with a usable face. Rejected files
get the reason.
"""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Optional

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs._common import interaction_is_admin, tell
from bot.names import kept_name
from bot.text import safe
from engine.faces.still import IMAGE_EXTS, VIDEO_EXTS, face_still, media_count

log = logging.getLogger(__name__)

MAX_BYTES = 25 * 2**20


def check_attachment(name: str, size: int) -> str | None:
    """Why a file cannot be a cast photo/video before downloading it, or None (pure)."""
    ext = Path(name).suffix.lower()
    if ext not in IMAGE_EXTS + VIDEO_EXTS:
        return f"{safe(name, 80)}: not a photo or video ({', '.join(IMAGE_EXTS + VIDEO_EXTS)})"
    if size > MAX_BYTES:
        return f"{safe(name, 80)}: {size / 2**20:.1f} MB is over the {MAX_BYTES // 2**20} MB limit"
    return None


class Cast(commands.Cog):
    cast = app_commands.Group(name="cast", description="Who may appear in this server's films", guild_only=True)

    def __init__(self, bot) -> None:
        self.bot = bot
        self._voices: list[str] | None = None

    async def _voice_names(self) -> list[str]:
        if self._voices is None:
            from engine.voice.spec import list_voices

            self._voices = list_voices()
        return self._voices

    async def _collect(self, interaction: discord.Interaction, user_id: int,
                       files: list[discord.Attachment]) -> tuple[list[str], list[str], dict[str, str]]:
        """Download and face-check each file; returns (usable photo paths, reasons for the rejected, each
        usable path's name as it was sent)."""
        from engine.errors import FaceError

        folder = Path(self.bot.settings.home) / "cast" / str(interaction.guild_id) / str(user_id)
        photos, rejected, names = [], [], {}
        for i, a in enumerate(files):
            reason = check_attachment(a.filename, a.size)
            if reason:
                rejected.append(reason)
                continue
            dest = folder / kept_name(f"{interaction.id}-{i}", a.filename)
            await asyncio.to_thread(dest.parent.mkdir, parents=True, exist_ok=True)
            still = None
            try:
                await a.save(dest)
                still = await asyncio.to_thread(face_still, dest)
                photos.append(str(still))
                names[str(still)] = safe(a.filename, 80)
                if still != dest:  # a video: kept too, the face swap learns from its many frames
                    photos.append(str(dest))
                    still = dest
            except FaceError as e:
                # the reason names the file as it was sent, not as it was stored ("no face found in 1577...-1.jpg")
                rejected.append(f"{safe(a.filename, 80)}: {safe(str(e).replace(dest.name, a.filename[:80]))}")
            except discord.HTTPException as e:
                rejected.append(f"{safe(a.filename, 80)}: download failed ({e.status})")
            finally:
                if still != dest:  # a rejected file: keep no copy
                    await asyncio.to_thread(_delete_files, [str(dest)])
        return photos, rejected, names

    @cast.command(name="add", description="Add yourself to the cast with photos or a video of your face")
    @app_commands.describe(photo="A clear, front-facing photo (or short video) of you", photo2="Another photo",
                           video="A short video of you", member="Admins: propose someone else (they must confirm)")
    async def add(self, interaction: discord.Interaction, photo: discord.Attachment,
                  photo2: Optional[discord.Attachment] = None, video: Optional[discord.Attachment] = None,
                  member: Optional[discord.Member] = None) -> None:
        from storage.cast import add_member, get_member, request_consent

        target = member or interaction.user
        other = target.id != interaction.user.id
        if other and not interaction_is_admin(interaction):
            await tell(interaction, "You can only add yourself to the cast.")
            return
        if other and getattr(target, "bot", False):
            await tell(interaction, "Bots cannot be in the cast.")
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        files = [a for a in (photo, photo2, video) if a is not None]
        photos, rejected, names = await self._collect(interaction, target.id, files)
        notes = ("\nNot used:\n" + "\n".join(rejected)) if rejected else ""
        if not photos:
            await tell(interaction, "None of those files can be used." + notes)
            return
        if not other:
            existing = await self.bot.db(get_member, interaction.guild_id, target.id)
            await self.bot.db(add_member, guild_id=interaction.guild_id, user_id=target.id,
                              name=target.display_name, photos=photos, voice=(existing or {}).get("voice"),
                              consented_by=target.id)
            await _drop_replaced(existing, photos)
            from engine.faces.advice import photo_tips

            tips = "".join(f"\nTip: {t[0].upper()}{t[1:]}" for t in await asyncio.to_thread(photo_tips, photos, names))
            await tell(interaction, f"You're in the cast with {media_count(photos)}. "
                                    "`/cast voice` picks your voice; `/cast remove` takes you out." + tips + notes)
            return
        req = await self.bot.db(request_consent, interaction.guild_id, target.id, interaction.user.id, photos)
        from bot.views import consent_view

        await interaction.channel.send(
            f"<@{target.id}>, <@{interaction.user.id}> would like to add you to this server's film cast with "
            f"{media_count(photos)}. Your face and chosen voice may then appear in films Benjamin makes here. "
            "Only you can answer.", view=consent_view(req),
            allowed_mentions=discord.AllowedMentions(users=[target], everyone=False, roles=False))
        await tell(interaction, f"Asked {safe(target.display_name, 60)} to confirm; nothing is stored until they do."
                   + notes)

    async def consent_from_interaction(self, interaction: discord.Interaction, request_id: int, accept: bool) -> None:
        from storage.cast import get_consent_request, get_member, resolve_consent

        req = await self.bot.db(get_consent_request, request_id)
        if req is None:
            await tell(interaction, "That request is gone.")
            return
        if interaction.user.id != req["user_id"]:
            await tell(interaction, "Only the person being asked can answer this.")
            return
        existing = await self.bot.db(get_member, req["guild_id"], req["user_id"])
        out = await self.bot.db(resolve_consent, request_id, accept, name=interaction.user.display_name)
        word = {"accepted": "joined the cast ✅", "declined": "declined; nothing was stored"}.get(out["status"],
                                                                                              out["status"])
        if req["status"] == "pending" and out["status"] == "declined":
            await asyncio.to_thread(_delete_files, out["photos"])
        elif req["status"] == "pending" and out["status"] == "accepted":
            await _drop_replaced(existing, out["photos"])
        await interaction.response.edit_message(content=f"<@{req['user_id']}> {word}.", view=None)

    @cast.command(name="voice", description="Choose the voice you speak with in films")
    @app_commands.describe(voice="A voice preset")
    async def voice(self, interaction: discord.Interaction, voice: str) -> None:
        from storage.cast import set_voice

        names = await self._voice_names()
        key = voice.strip().lower()
        if key not in names:
            await tell(interaction, f"Unknown voice {safe(voice, 40)}; choose one of: {', '.join(names)}")
            return
        if not await self.bot.db(set_voice, interaction.guild_id, interaction.user.id, key):
            await tell(interaction, "You're not in the cast yet: `/cast add` with a photo first.")
            return
        await tell(interaction, f"Your voice is now **{key}**.")

    @voice.autocomplete("voice")
    async def _voice_complete(self, interaction: discord.Interaction, current: str):
        names = await self._voice_names()
        return [app_commands.Choice(name=n, value=n) for n in names if current.lower() in n][:25]

    @cast.command(name="remove", description="Take yourself (admins: anyone) out of the cast; photos are deleted")
    @app_commands.describe(member="Admins: remove someone else")
    async def remove(self, interaction: discord.Interaction, member: Optional[discord.Member] = None) -> None:
        from storage.cast import get_member, remove_member

        target = member or interaction.user
        if target.id != interaction.user.id and not interaction_is_admin(interaction):
            await tell(interaction, "You can only remove yourself.")
            return
        row = await self.bot.db(get_member, interaction.guild_id, target.id)
        if row is None:
            await tell(interaction, f"{safe(target.display_name, 60)} is not in the cast.")
            return
        await self.bot.db(remove_member, interaction.guild_id, target.id)
        await asyncio.to_thread(_delete_files, row["photos"])
        await tell(interaction, f"Removed {safe(target.display_name, 60)} from the cast and deleted their photos.")

    @cast.command(name="list", description="Who is in this server's cast")
    async def list_cast(self, interaction: discord.Interaction) -> None:
        from storage.cast import list_members

        rows = await self.bot.db(list_members, interaction.guild_id)
        if not rows:
            await tell(interaction, "Nobody is in the cast yet: `/cast add` with a photo of yourself.")
            return
        lines = [f"• <@{r['user_id']}> ({safe(r['name'], 40)}) · {len(r['photos'])} photo(s) · voice "
                 f"{safe(r.get('voice') or 'default', 30)}" for r in rows]
        await tell(interaction, "**Cast**\n" + "\n".join(lines)[:1900])


async def _drop_replaced(old_row: dict | None, kept: list[str]) -> None:
    """Delete a member's earlier photos that their new ones replaced (no face is kept after it is unused)."""
    gone = [p for p in (old_row or {}).get("photos", []) if p not in set(kept)]
    if gone:
        await asyncio.to_thread(_delete_files, gone)


def _delete_files(paths: list[str]) -> None:
    for p in paths:
        try:
            Path(p).unlink(missing_ok=True)
        except OSError as e:
            log.warning("could not delete cast file: %s", e.strerror)


async def setup(bot) -> None:
    await bot.add_cog(Cast(bot))
