"""Discord's rules the double enforces: who gets pinged, permissions, history, DMs, edits, the
interaction callback window and double acknowledgement."""
from __future__ import annotations

import asyncio
import io

import discord
from discord import app_commands
from discord.webhook import async_

from tests.discord_double import DiscordDouble
from tests.discord_double.state import ATTACH_FILES, SEND_MESSAGES


def plain_client(**kw) -> discord.Client:
    intents = discord.Intents.default()
    intents.message_content = True
    return discord.Client(intents=intents, guild_ready_timeout=0.1, **kw)


def test_pings_follow_content_and_allowed_mentions(discord_double: DiscordDouble, run_bot) -> None:
    w = discord_double.default
    role = discord_double.create_role(w.guild_id, "Actors")
    loose = run_bot(plain_client)
    strict = run_bot(lambda: plain_client(allowed_mentions=discord.AllowedMentions.none()))

    async def send(bot, text: str, **kw) -> int:
        return (await bot.client.get_channel(w.general_id).send(text, **kw)).id

    text = f"@everyone `@here` <@{w.member_id}> <@&{role}>"
    m1 = loose.call(send(loose, text))  # discord.py sends no allowed_mentions: Discord parses all
    assert discord_double.message(m1).allowed_mentions is None
    assert discord_double.pings_everyone(m1)
    assert discord_double.pings(m1).users == {w.member_id} and discord_double.pings(m1).roles == {role}

    m2 = strict.call(send(strict, text))
    assert discord_double.message(m2).allowed_mentions == {"parse": []}
    assert not discord_double.pings(m2).anyone

    m3 = strict.call(send(strict, text, allowed_mentions=discord.AllowedMentions(users=[discord.Object(w.admin_id)])))
    assert not discord_double.pings(m3).anyone  # the admin is not in the text
    m4 = loose.call(send(loose, "hi", allowed_mentions=discord.AllowedMentions(everyone=False)))
    assert discord_double.message(m4).allowed_mentions["parse"] == ["users", "roles"]


def test_channel_permissions_are_enforced(discord_double: DiscordDouble, run_bot) -> None:
    w = discord_double.default
    bot = run_bot(plain_client)
    discord_double.set_channel_permissions(w.films_id, w.guild_id, deny=SEND_MESSAGES)
    discord_double.set_channel_permissions(w.general_id, w.bot_id, deny=ATTACH_FILES, member=True)

    async def attempt(channel_id: int, **kw) -> int | tuple[int, int]:
        try:
            await bot.client.get_channel(channel_id).send(**kw)
        except discord.Forbidden as exc:
            return exc.status, exc.code
        return 200

    assert bot.call(attempt(w.films_id, content="hi")) == (403, 50013)
    assert bot.call(attempt(w.general_id, file=discord.File(io.BytesIO(b"x"), "x.txt"))) == (403, 50013)
    assert bot.call(attempt(w.general_id, content="text is fine")) == 200


def test_history_dm_and_edits(discord_double: DiscordDouble, run_bot) -> None:
    w = discord_double.default
    seen: list = []

    def factory() -> discord.Client:
        client = plain_client()

        @client.event
        async def on_message(message: discord.Message) -> None:
            if message.guild is None and message.author != client.user:
                seen.append(message.content)
                await message.channel.send(f"dm back: {message.content}")

        return client

    bot = run_bot(factory)
    ids = [discord_double.user_sends_message(w.general_id, w.member_id, f"m{i}") for i in range(5)]

    async def history() -> list[str]:
        return [m.content async for m in bot.client.get_channel(w.general_id).history(limit=3)]

    assert bot.call(history) == ["m4", "m3", "m2"]

    discord_double.user_sends_dm(w.member_id, "psst")
    dm = discord_double.dm_channel_id(w.member_id)
    reply = discord_double.wait_for(lambda: discord_double.bot_messages(dm))[0]
    assert reply.content == "dm back: psst" and reply.guild_id is None and seen == ["psst"]

    async def edit_twice() -> int:
        msg = await bot.client.get_channel(w.general_id).send("0%")
        await msg.edit(content="50%")
        await msg.edit(content="100%")
        return msg.id

    mid = bot.call(edit_twice)
    edits = discord_double.message(mid).edits
    assert [e.content for e in edits] == ["50%", "100%"] and edits[0].at <= edits[1].at

    async def swap_attachments() -> None:
        msg = await bot.client.get_channel(w.general_id).fetch_message(mid)
        msg = await msg.edit(attachments=[discord.File(io.BytesIO(b"frame1"), "preview.png")])
        msg = await msg.edit(attachments=[*msg.attachments, discord.File(io.BytesIO(b"frame2"), "later.png")])
        assert [a.filename for a in msg.attachments] == ["preview.png", "later.png"]
        await msg.edit(attachments=[a for a in msg.attachments if a.filename == "later.png"])

    bot.call(swap_attachments)
    assert [(a.filename, a.data) for a in discord_double.message(mid).attachments] == [("later.png", b"frame2")]
    assert discord_double.messages(w.general_id)[0].id == ids[0]


def test_late_or_double_callbacks_are_refused(discord_double: DiscordDouble, run_bot) -> None:
    w = discord_double.default
    gate: dict = {}
    outcome: list = []

    def factory() -> discord.Client:
        client = plain_client()
        tree = app_commands.CommandTree(client)

        @tree.command(name="slowpoke", description="Answers late", guild=discord.Object(w.guild_id))
        async def slowpoke(interaction: discord.Interaction) -> None:
            gate["event"] = event = asyncio.Event()
            await event.wait()
            try:
                await interaction.response.send_message("too late?")
            except discord.NotFound as exc:
                outcome.append(exc.code)

        @tree.command(name="twice", description="Answers twice", guild=discord.Object(w.guild_id))
        async def twice(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("once")
            try:  # bypass discord.py's own guard to hit the API twice
                await async_.async_context.get().create_interaction_response(
                    interaction.id, interaction.token, session=interaction._session,
                    params=async_.interaction_response_params(5))
            except discord.HTTPException as exc:
                outcome.append(exc.code)

        client.setup_hook = lambda: tree.sync(guild=discord.Object(w.guild_id))
        return client

    bot = run_bot(factory)
    discord_double.invoke_slash("slowpoke", user=w.member_id, channel_id=w.general_id)
    discord_double.wait_for(lambda: "event" in gate)
    discord_double.advance_clock(3.5)  # Discord allows 3 s for the first callback
    bot.call(lambda: asyncio.sleep(0, gate["event"].set()))  # called on the bot's loop
    discord_double.wait_for(lambda: outcome)
    assert outcome == [10062] and discord_double.messages(w.general_id) == []

    ix = discord_double.invoke_slash("twice", user=w.member_id, channel_id=w.general_id)
    discord_double.wait_for(lambda: len(outcome) == 2)
    assert outcome[1] == 40060 and ix.original.content == "once"


def test_select_menu_deferred_update_then_edit(discord_double: DiscordDouble, run_bot) -> None:
    w = discord_double.default

    class Pick(discord.ui.View):
        @discord.ui.select(custom_id="pick:take", options=[discord.SelectOption(label=f"Take {i}", value=str(i))
                                                          for i in (1, 2, 3)])
        async def pick(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
            await interaction.response.defer()  # type 6 for a component
            await interaction.edit_original_response(content=f"picked {select.values[0]}", view=None)

    bot = run_bot(plain_client)

    async def post() -> int:
        return (await bot.client.get_channel(w.general_id).send("choose", view=Pick())).id

    mid = bot.call(post)
    ix = discord_double.choose(mid, "pick:take", w.admin_id, ["2"])
    discord_double.wait_for(lambda: discord_double.message(mid).content == "picked 2")
    assert ix.response_type == 6 and discord_double.message(mid).components == []


def test_components_v2_layout_view_button(discord_double: DiscordDouble, run_bot) -> None:
    w = discord_double.default

    class Row(discord.ui.ActionRow):
        @discord.ui.button(label="Vote", custom_id="card:vote")
        async def vote(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
            await interaction.response.send_message("counted", ephemeral=True)

    class Card(discord.ui.LayoutView):
        box = discord.ui.Container(discord.ui.TextDisplay("**Take 1**"))
        row = Row()

    bot = run_bot(plain_client)

    async def post() -> int:
        return (await bot.client.get_channel(w.general_id).send(view=Card())).id

    mid = bot.call(post)
    assert discord_double.message(mid).flags & (1 << 15)
    reply = discord_double.click_button(mid, "card:vote", w.member_id).wait_original()
    assert reply.content == "counted" and reply.ephemeral

    async def mixed() -> int:
        try:
            await bot.client.get_channel(w.general_id).send("text", view=Card())
        except discord.HTTPException as exc:
            return exc.code
        return 0

    assert bot.call(mixed) == 50035  # Discord refuses content alongside components v2


def test_reaction_events_and_removing_someone_elses_reaction(discord_double: DiscordDouble, run_bot) -> None:
    w = discord_double.default
    events: list = []

    def factory() -> discord.Client:
        client = plain_client()

        @client.event
        async def on_raw_reaction_add(payload: discord.RawReactionActionEvent) -> None:
            events.append(("add", payload.user_id, str(payload.emoji), payload.member is not None))

        @client.event
        async def on_raw_reaction_remove(payload: discord.RawReactionActionEvent) -> None:
            events.append(("remove", payload.user_id, str(payload.emoji), payload.member is not None))

        return client

    bot = run_bot(factory)
    mid = discord_double.user_sends_message(w.general_id, w.member_id, "vote here")
    discord_double.user_reacts(w.general_id, mid, w.member_id, "1\N{COMBINING ENCLOSING KEYCAP}")
    discord_double.wait_for(lambda: events)

    async def remove() -> int:
        msg = bot.client.get_channel(w.general_id).get_partial_message(mid)
        try:
            await msg.remove_reaction("1\N{COMBINING ENCLOSING KEYCAP}", discord.Object(w.member_id))
        except discord.Forbidden as exc:
            return exc.code
        return 0

    assert bot.call(remove) == 50013  # the bot's role has no MANAGE_MESSAGES
    assert bot.call(lambda: _bot_role_is_managed(bot.client, w))
    discord_double.set_role_permissions(w.guild_id, w.bot_role_id,
                                        discord.Permissions(manage_messages=True, view_channel=True).value)
    assert bot.call(remove) == 0
    discord_double.wait_for(lambda: len(events) == 2)
    assert events == [("add", w.member_id, "1\N{COMBINING ENCLOSING KEYCAP}", True),
                      ("remove", w.member_id, "1\N{COMBINING ENCLOSING KEYCAP}", False)]
    assert discord_double.message(mid).reactions == {}


async def _bot_role_is_managed(client: discord.Client, w) -> bool:
    me = client.get_guild(w.guild_id).me
    return [r.id for r in me.roles if r.is_bot_managed()] == [w.bot_role_id]
