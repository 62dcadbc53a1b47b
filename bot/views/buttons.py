"""Buttons as ``DynamicItem``s: the id in the custom_id is parsed back after a restart."""
from __future__ import annotations

import logging

import discord

log = logging.getLogger(__name__)


async def _hand_over(interaction: discord.Interaction, cog_name: str, method: str, *args) -> None:
    """Every button's callback: run the owning cog's method; an error is logged and told briefly, not silent."""
    from bot.cogs._common import tell

    cog = interaction.client.get_cog(cog_name)  # type: ignore[union-attr]
    if cog is None:
        await tell(interaction, "That feature is not available right now.")
        return
    try:
        await getattr(cog, method)(interaction, *args)
    except Exception:
        log.exception("button %s.%s failed", cog_name, method)
        try:
            await tell(interaction, "Something went wrong with that button; the bot's log has the details.")
        except discord.HTTPException as e:
            log.warning("could not tell the user about the failure: %s", e)


class MoreTakesButton(discord.ui.DynamicItem[discord.ui.Button], template=r"benjamin:takes:more:(?P<brief>\d+)"):
    def __init__(self, brief_id: int) -> None:
        super().__init__(discord.ui.Button(label="More takes", emoji="🔄", style=discord.ButtonStyle.secondary,
                                           custom_id=f"benjamin:takes:more:{brief_id}"))
        self.brief_id = brief_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match):
        return cls(int(match["brief"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await _hand_over(interaction, "Vote", "more_takes", self.brief_id)


class CloseVoteButton(discord.ui.DynamicItem[discord.ui.Button], template=r"benjamin:vote:close:(?P<brief>\d+)"):
    def __init__(self, brief_id: int) -> None:
        super().__init__(discord.ui.Button(label="Close vote", emoji="✅", style=discord.ButtonStyle.success,
                                           custom_id=f"benjamin:vote:close:{brief_id}"))
        self.brief_id = brief_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match):
        return cls(int(match["brief"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await _hand_over(interaction, "Vote", "close_from_interaction", self.brief_id)


class CancelJobButton(discord.ui.DynamicItem[discord.ui.Button], template=r"benjamin:job:cancel:(?P<job>\d+)"):
    def __init__(self, job_id: int) -> None:
        super().__init__(discord.ui.Button(label="Cancel", emoji="✖️", style=discord.ButtonStyle.danger,
                                           custom_id=f"benjamin:job:cancel:{job_id}"))
        self.job_id = job_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match):
        return cls(int(match["job"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await _hand_over(interaction, "Queue", "cancel_from_interaction", self.job_id)


class SmallerRenderButton(discord.ui.DynamicItem[discord.ui.Button], template=r"benjamin:film:smaller:(?P<job>\d+)"):
    def __init__(self, job_id: int) -> None:
        super().__init__(discord.ui.Button(label="Render a smaller version", emoji="📉",
                                           style=discord.ButtonStyle.primary,
                                           custom_id=f"benjamin:film:smaller:{job_id}"))
        self.job_id = job_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match):
        return cls(int(match["job"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await _hand_over(interaction, "Delivery", "smaller_from_interaction", self.job_id)


class ConsentButton(discord.ui.DynamicItem[discord.ui.Button],
                    template=r"benjamin:cast:consent:(?P<req>\d+):(?P<answer>yes|no)"):
    def __init__(self, request_id: int, accept: bool) -> None:
        answer = "yes" if accept else "no"
        super().__init__(discord.ui.Button(label="Yes, add me" if accept else "No thanks",
                                           style=discord.ButtonStyle.success if accept else discord.ButtonStyle.secondary,
                                           custom_id=f"benjamin:cast:consent:{request_id}:{answer}"))
        self.request_id = request_id
        self.accept = accept

    @classmethod
    async def from_custom_id(cls, interaction, item, match):
        return cls(int(match["req"]), match["answer"] == "yes")

    async def callback(self, interaction: discord.Interaction) -> None:
        await _hand_over(interaction, "Cast", "consent_from_interaction", self.request_id, self.accept)


def _view(*items: discord.ui.Item) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    return view


def ballot_view(brief_id: int, more: bool = True) -> discord.ui.View:
    """Under the takes: 🔄 More takes (while under the cap) and ✅ Close vote."""
    items = [MoreTakesButton(brief_id)] if more else []
    return _view(*items, CloseVoteButton(brief_id))


def job_view(job_id: int) -> discord.ui.View:
    return _view(CancelJobButton(job_id))


def smaller_view(job_id: int) -> discord.ui.View:
    return _view(SmallerRenderButton(job_id))


def consent_view(request_id: int) -> discord.ui.View:
    return _view(ConsentButton(request_id, True), ConsentButton(request_id, False))
