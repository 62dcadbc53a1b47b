"""The `/challenge end` confirmation: two buttons on an ephemeral message, for the admin who asked only."""
from __future__ import annotations

import discord


class EndConfirm(discord.ui.View):
    """Short-lived (not persistent): an unanswered confirmation simply expires and nothing ends."""

    def __init__(self, cog, challenge_id: int, user_id: int, timeout: float = 120.0) -> None:
        super().__init__(timeout=timeout)
        self.cog, self.challenge_id, self.user_id = cog, challenge_id, user_id
        self.add_item(self._button(f"End challenge #{challenge_id}", discord.ButtonStyle.danger, "🛑", self._end))
        self.add_item(self._button("Keep it running", discord.ButtonStyle.secondary, None, self._keep))

    @staticmethod
    def _button(label, style, emoji, callback) -> discord.ui.Button:
        b = discord.ui.Button(label=label, style=style, emoji=emoji)
        b.callback = callback
        return b

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return interaction.user.id == self.user_id

    async def _end(self, interaction: discord.Interaction) -> None:
        self.stop()
        await self.cog.end_confirmed(interaction, self.challenge_id)

    async def _keep(self, interaction: discord.Interaction) -> None:
        self.stop()
        await interaction.response.edit_message(content="The challenge carries on.", view=None)
