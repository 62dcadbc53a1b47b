"""Helpers shared by the cogs (not an extension)."""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, TypeVar

import discord

from bot.client import is_admin

log = logging.getLogger(__name__)
T = TypeVar("T")
ACK_WITHIN_S = 2.0  # Discord wants the first answer to an interaction within 3 s


def interaction_is_admin(interaction: discord.Interaction) -> bool:
    return is_admin(interaction.user, interaction.permissions)


async def tell(interaction: discord.Interaction, text: str, *, ephemeral: bool = True, **kwargs) -> None:
    """Reply to an interaction whether or not it was already answered; never pings anyone."""
    kwargs.setdefault("allowed_mentions", discord.AllowedMentions.none())
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=ephemeral, **kwargs)
    else:
        await interaction.response.send_message(text, ephemeral=ephemeral, **kwargs)


async def in_time(interaction: discord.Interaction, work: Awaitable[T], *, ephemeral: bool = False) -> T:
    """Await ``work``; if it takes longer than ACK_WITHIN_S, defer the interaction first so it does not expire.

    Answer afterwards with :func:`tell`, which follows up when the interaction was deferred.
    """
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=ACK_WITHIN_S)
    if not done and not interaction.response.is_done():
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
    return await task
