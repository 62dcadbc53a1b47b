"""Gateway drops, RECONNECT, INVALID_SESSION and injected 429s: the real client recovers and every
event or message arrives exactly once."""
from __future__ import annotations

import discord
from discord import app_commands

from tests.discord_double import DiscordDouble


def recording_client(seen: list, resumed: list) -> discord.Client:
    intents = discord.Intents.default()
    intents.message_content = True
    client = discord.Client(intents=intents, guild_ready_timeout=0.1)

    @client.event
    async def on_message(message: discord.Message) -> None:
        seen.append(message.content)

    @client.event
    async def on_resumed() -> None:
        resumed.append(True)

    return client


def test_events_sent_while_disconnected_are_replayed_once_on_resume(discord_double: DiscordDouble, run_bot) -> None:
    w = discord_double.default
    seen: list = []
    resumed: list = []
    run_bot(lambda: recording_client(seen, resumed))
    discord_double.user_sends_message(w.general_id, w.member_id, "before")
    discord_double.wait_for(lambda: seen == ["before"])

    with discord_double.gateway_down():
        discord_double.user_sends_message(w.general_id, w.member_id, "during 1")
        discord_double.user_sends_message(w.general_id, w.admin_id, "during 2")
        assert not discord_double.connected
    discord_double.wait_for(lambda: resumed, what="on_resumed")
    discord_double.user_sends_message(w.general_id, w.member_id, "after")
    discord_double.wait_for(lambda: "after" in seen)
    assert seen == ["before", "during 1", "during 2", "after"]
    stats = discord_double.gateway_stats()
    assert (stats.identifies, stats.resumes) == (1, 1)
    assert stats.urls[-1].startswith("/resume?")  # the client used resume_gateway_url


def test_op7_reconnect_resumes_and_op9_reidentifies(discord_double: DiscordDouble, run_bot) -> None:
    w = discord_double.default
    seen: list = []
    resumed: list = []
    run_bot(lambda: recording_client(seen, resumed))

    discord_double.send_reconnect()
    discord_double.wait_for(lambda: resumed)
    discord_double.user_sends_message(w.general_id, w.member_id, "one")
    discord_double.wait_for(lambda: seen == ["one"])

    discord_double.invalidate_session(resumable=False)
    discord_double.wait_for(lambda: discord_double.gateway_stats().identifies == 2 and discord_double.connected)
    discord_double.wait_for(lambda: discord_double.gateway_stats().sent[-1][0] == "GUILD_CREATE")
    discord_double.user_sends_message(w.general_id, w.member_id, "two")
    discord_double.wait_for(lambda: "two" in seen)
    assert seen == ["one", "two"]
    assert discord_double.gateway_stats().resumes == 1


def test_a_429_is_retried_and_the_message_arrives_once(discord_double: DiscordDouble, run_bot) -> None:
    w = discord_double.default
    bot = run_bot(lambda: discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.1))
    discord_double.rate_limit_next("POST /channels/*/messages", retry_after=0.2)
    discord_double.rate_limit_next("PUT /channels/*/messages/*/reactions/*/@me", retry_after=0.1, global_=True)

    async def post() -> int:
        msg = await bot.client.get_channel(w.general_id).send("survives a 429")
        await msg.add_reaction("\N{THUMBS UP SIGN}")
        return msg.id

    mid = bot.call(post)
    assert [m.content for m in discord_double.messages(w.general_id)] == ["survives a 429"]
    assert discord_double.message(mid).reactions == {"\N{THUMBS UP SIGN}": [w.bot_id]}
    statuses = [r.status for r in discord_double.requests("POST /channels/*/messages")]
    assert statuses == [429, 200]

    async def send(text: str) -> str | int:
        try:
            return (await bot.client.get_channel(w.general_id).send(text)).content
        except discord.Forbidden as exc:
            return exc.code

    discord_double.fail_next("POST /channels/*/messages", status=502)  # retried by discord.py
    assert bot.call(send("after a 502")) == "after a 502"
    discord_double.fail_next("POST /channels/*/messages", status=403, code=50001, message="Missing Access")
    assert bot.call(send("refused")) == 50001
    assert [m.content for m in discord_double.messages(w.general_id)] == ["survives a 429", "after a 502"]


def test_a_429_on_the_interaction_webhook_is_retried(discord_double: DiscordDouble, run_bot) -> None:
    w = discord_double.default

    def factory() -> discord.Client:
        client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.1)
        tree = app_commands.CommandTree(client)

        @tree.command(name="ping", description="Ping", guild=discord.Object(w.guild_id))
        async def ping(interaction: discord.Interaction) -> None:
            await interaction.response.defer()
            await interaction.edit_original_response(content="pong")

        client.setup_hook = lambda: tree.sync(guild=discord.Object(w.guild_id))
        return client

    run_bot(factory)
    discord_double.rate_limit_next("PATCH /webhooks/*/messages/@original", retry_after=0.1)
    ix = discord_double.invoke_slash("ping", user=w.member_id, channel_id=w.general_id)
    assert ix.wait_original().content == "pong"
    assert [r.status for r in discord_double.requests("PATCH /webhooks/*")] == [429, 200]
    assert len(discord_double.messages(w.general_id)) == 1
