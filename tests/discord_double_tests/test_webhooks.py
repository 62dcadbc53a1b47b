"""Interaction responses with files (multipart callback and followups) and the rest of the webhook:
fetch the original, edit a followup, delete the original."""
from __future__ import annotations

import io

import discord
from discord import app_commands

from tests.discord_double import DiscordDouble


def test_files_in_callbacks_and_followups_and_webhook_edits(discord_double: DiscordDouble, run_bot) -> None:
    w = discord_double.default
    seen: dict = {}

    def factory() -> discord.Client:
        client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.1)
        tree = app_commands.CommandTree(client)

        @tree.command(name="poster", description="Post a poster", guild=discord.Object(w.guild_id))
        async def poster(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("poster", file=discord.File(io.BytesIO(b"\x89PNG"), "p.png"))
            original = await interaction.original_response()
            seen["original"] = (original.id, original.attachments[0].filename)
            extra = await interaction.followup.send("draft", wait=True)
            await interaction.followup.edit_message(
                extra.id, content="final", attachments=[discord.File(io.BytesIO(b"FOUNTAIN"), "take.fountain")])
            await interaction.delete_original_response()
            seen["done"] = True

        client.setup_hook = lambda: tree.sync(guild=discord.Object(w.guild_id))
        return client

    run_bot(factory)
    ix = discord_double.invoke_slash("poster", user=w.member_id, channel_id=w.films_id)
    discord_double.wait_for(lambda: seen.get("done"))
    record = ix.record
    assert ix.response_type == 4 and seen["original"] == (record.original_id, "p.png")
    original = discord_double.message(record.original_id)
    assert original.deleted and original.attachments[0].data == b"\x89PNG"
    [followup] = ix.followups
    assert followup.content == "final"
    assert [(a.filename, a.data) for a in followup.attachments] == [("take.fountain", b"FOUNTAIN")]
    assert [m.content for m in discord_double.messages(w.films_id)] == ["final"]
    # the multipart callback carried payload_json with the attachment list, as discord.py sends it
    [callback] = discord_double.requests("POST /interactions/*/callback")
    assert callback.json["data"]["attachments"] == [{"id": 0, "filename": "p.png"}]
