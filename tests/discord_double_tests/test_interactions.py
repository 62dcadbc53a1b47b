"""Slash commands, buttons and modals through app_commands.CommandTree against the double."""
from __future__ import annotations

import discord
import pytest
from discord import app_commands

from tests.discord_double import CommandInputError, DiscordDouble


class FilmView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Vote", custom_id="film:vote")
    async def vote(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(content=f"voted by {interaction.user.id}", view=None)


class TitleModal(discord.ui.Modal, title="Name the film"):
    name = discord.ui.TextInput(label="Title", custom_id="film:title")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"titled {self.name.value}")


def film_bot(guild_id: int) -> discord.Client:
    client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.1)
    tree = app_commands.CommandTree(client)
    guild = discord.Object(guild_id)

    @tree.command(name="film", description="Start a film challenge", guild=guild)
    @app_commands.describe(title="Working title", script="An optional script file")
    async def film(interaction: discord.Interaction, title: str, script: discord.Attachment | None = None) -> None:
        await interaction.response.defer(thinking=True)
        extra = ""
        if script is not None:
            extra = f" ({(await script.read()).decode()})"
        await interaction.followup.send(f"Filming {title}{extra}", view=FilmView())
        await interaction.followup.send("a second followup")

    cast = app_commands.Group(name="cast", description="Manage the cast", guild_ids=[guild_id])

    @cast.command(name="add", description="Add a face")
    async def cast_add(interaction: discord.Interaction, who: discord.Member, role: str) -> None:
        await interaction.response.send_message(f"{who.display_name} plays {role}", ephemeral=True)

    voice = app_commands.Group(name="voice", description="Voices", parent=cast)

    @voice.command(name="set", description="Pick a voice")
    @app_commands.choices(voice=[app_commands.Choice(name="Low", value="low"),
                                 app_commands.Choice(name="High", value="high")])
    async def voice_set(interaction: discord.Interaction, who: discord.Member, voice: str, speed: float = 1.0) -> None:
        await interaction.response.send_message(f"{who.id} speaks {voice} at {speed}")

    tree.add_command(cast)

    @tree.command(name="rename", description="Rename", guild=guild)
    async def rename(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(TitleModal())

    async def setup_hook() -> None:
        client.add_view(FilmView())
        await tree.sync(guild=guild)

    client.setup_hook = setup_hook
    return client


def test_slash_command_defer_followups_and_button(discord_double: DiscordDouble, run_bot) -> None:
    w = discord_double.default
    run_bot(lambda: film_bot(w.guild_id))
    assert set(discord_double.commands(w.guild_id)) == {"film", "cast", "rename"}
    cast = discord_double.commands(w.guild_id)["cast"]
    assert [(o["name"], o["type"]) for o in cast["options"]] == [("add", 1), ("voice", 2)]

    ix = discord_double.invoke_slash("film", user=w.member_id, channel_id=w.films_id,
                                     options={"title": "Rain", "script": ("s.txt", b"INT. LAB", "text/plain")})
    first = ix.wait_original()
    assert ix.response_type == 5  # deferred, "thinking"
    assert first.content == "Filming Rain (INT. LAB)"  # the first followup filled the deferred message
    assert [m.content for m in ix.wait_followups(1)] == ["a second followup"]
    assert first.components[0]["components"][0]["custom_id"] == "film:vote"

    click = discord_double.click_button(first.id, "film:vote", w.other_member_id)
    click.wait_response()
    assert click.response_type == 7
    updated = discord_double.message(first.id)
    assert updated.content == f"voted by {w.other_member_id}" and updated.components == []
    assert [e.via for e in updated.edits] == ["webhook", "interaction_update"]


def test_subcommand_group_member_option_and_ephemeral(discord_double: DiscordDouble, run_bot) -> None:
    w = discord_double.default
    run_bot(lambda: film_bot(w.guild_id))
    ix = discord_double.invoke_slash("cast", subcommand="add", user=w.admin_id, channel_id=w.general_id,
                                     options={"who": w.member_id, "role": "Hamlet"})
    reply = ix.wait_original()
    assert reply.content == "Mo plays Hamlet" and reply.ephemeral
    with pytest.raises(CommandInputError):
        discord_double.invoke_slash("cast", subcommand="add", user=w.admin_id, channel_id=w.general_id,
                                    options={"who": w.member_id})  # 'role' is required
    with pytest.raises(CommandInputError):
        discord_double.invoke_slash("nope", user=w.admin_id, channel_id=w.general_id)

    nested = discord_double.invoke_slash("cast", subcommand="voice set", user=w.admin_id, channel_id=w.general_id,
                                         options={"who": w.other_member_id, "voice": "low", "speed": 1.5})
    assert nested.wait_original().content == f"{w.other_member_id} speaks low at 1.5"
    with pytest.raises(CommandInputError):  # not one of the choices
        discord_double.invoke_slash("cast", subcommand="voice set", user=w.admin_id, channel_id=w.general_id,
                                    options={"who": w.other_member_id, "voice": "shrill"})
    with pytest.raises(CommandInputError):  # a group needs its subcommand
        discord_double.invoke_slash("cast", subcommand="voice", user=w.admin_id, channel_id=w.general_id)


def test_modal_round_trip(discord_double: DiscordDouble, run_bot) -> None:
    w = discord_double.default
    run_bot(lambda: film_bot(w.guild_id))
    ix = discord_double.invoke_slash("rename", user=w.member_id, channel_id=w.general_id)
    ix.wait_response()
    assert ix.response_type == 9 and ix.modal["title"] == "Name the film"
    submit = discord_double.submit_modal(ix, {"film:title": "Dusk"})
    assert submit.wait_original().content == "titled Dusk"


def test_interaction_token_expires_after_15_minutes(discord_double: DiscordDouble, run_bot) -> None:
    w = discord_double.default
    holder: dict = {}

    def factory() -> discord.Client:
        client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.1)
        tree = app_commands.CommandTree(client)

        @tree.command(name="slow", description="A long job", guild=discord.Object(w.guild_id))
        async def slow(interaction: discord.Interaction) -> None:
            holder["interaction"] = interaction
            await interaction.response.send_message("working...")

        client.setup_hook = lambda: tree.sync(guild=discord.Object(w.guild_id))
        return client

    bot = run_bot(factory)
    ix = discord_double.invoke_slash("slow", user=w.member_id, channel_id=w.general_id)
    ix.wait_original()

    async def edit() -> tuple[int, int] | str:
        try:
            await holder["interaction"].edit_original_response(content="done")
        except discord.HTTPException as exc:
            return exc.status, exc.code
        return "edited"

    assert bot.call(edit) == "edited"
    discord_double.advance_clock(15 * 60 + 1)
    assert bot.call(edit) == (401, 50027)
    assert discord_double.message(ix.original.id).content == "done"


def test_autocomplete_permissions_and_nonce_dedup(discord_double: DiscordDouble, run_bot) -> None:
    w = discord_double.default

    def factory() -> discord.Client:
        client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.1)
        tree = app_commands.CommandTree(client)

        async def titles(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
            return [app_commands.Choice(name=t, value=t) for t in ("Moonrise", "Moonfall", "Dawn") if current in t]

        @tree.command(name="pick", description="Pick a film", guild=discord.Object(w.guild_id))
        @app_commands.autocomplete(title=titles)
        @app_commands.default_permissions(manage_guild=True)
        async def pick(interaction: discord.Interaction, title: str) -> None:
            await interaction.response.send_message(f"picked {title}")

        client.setup_hook = lambda: tree.sync(guild=discord.Object(w.guild_id))
        return client

    bot = run_bot(factory)
    ac = discord_double.autocomplete("pick", "title", "Moon", user=w.admin_id, channel_id=w.general_id)
    ac.wait_response()
    assert ac.response_type == 8 and [c["value"] for c in ac.choices] == ["Moonrise", "Moonfall"]
    with pytest.raises(CommandInputError):  # the client hides it from members without MANAGE_GUILD
        discord_double.invoke_slash("pick", user=w.member_id, channel_id=w.general_id, options={"title": "Dawn"},
                                    enforce_default_permissions=True)
    done = discord_double.invoke_slash("pick", user=w.admin_id, channel_id=w.general_id, options={"title": "Dawn"},
                                       enforce_default_permissions=True)
    assert done.wait_original().content == "picked Dawn"

    async def send_twice() -> tuple[int, int]:
        channel = bot.client.get_channel(w.films_id)
        a = await channel.send("once", nonce=123)
        b = await channel.send("once", nonce=123)
        return a.id, b.id

    first, second = bot.call(send_twice)
    assert first == second and len(discord_double.messages(w.films_id)) == 1
