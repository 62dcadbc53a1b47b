"""A real discord.Client connects to the double, reads the guild, replies, uploads, reacts."""
from __future__ import annotations

import asyncio
import io

import discord
import pytest

from tests.discord_double import DiscordDouble


def echo_client(seen: list) -> discord.Client:
    intents = discord.Intents.default()
    intents.message_content = True
    client = discord.Client(intents=intents, guild_ready_timeout=0.1)

    @client.event
    async def on_message(message: discord.Message) -> None:
        seen.append(message)
        if message.author == client.user:
            return
        if message.content == "file please":
            await message.reply("here", file=discord.File(io.BytesIO(b"\x00take one\xff"), "take1.fountain"))
        elif message.content.startswith("read"):
            data = await message.attachments[0].read()
            await message.channel.send(f"read {len(data)} bytes: {data.decode()}")
        else:
            sent = await message.channel.send(f"echo: {message.content}")
            await sent.add_reaction("\N{FILM FRAMES}")

    return client


def test_ready_carries_guild_channels_roles_and_members(discord_double: DiscordDouble, run_bot) -> None:
    w = discord_double.default
    intents = discord.Intents.default()
    intents.members = True
    bot = run_bot(lambda: discord.Client(intents=intents, guild_ready_timeout=0.1))

    async def look() -> dict:
        guild = bot.client.get_guild(w.guild_id)
        admin = guild.get_member(w.admin_id)
        member = guild.get_member(w.member_id)
        return {
            "user": bot.client.user.id,
            "channels": sorted(c.name for c in guild.text_channels),
            "owner": guild.owner_id,
            "admin": admin.guild_permissions.administrator and admin.guild_permissions.manage_guild,
            "member_admin": member.guild_permissions.manage_guild,
            "me_can_send": guild.get_channel(w.general_id).permissions_for(guild.me).send_messages,
        }

    seen = bot.call(look)
    assert seen == {"user": w.bot_id, "channels": ["films", "general"], "owner": w.owner_id,
                    "admin": True, "member_admin": False, "me_can_send": True}
    stats = discord_double.gateway_stats()
    assert stats.identifies == 1 and stats.heartbeats >= 1
    assert "compress=zlib-stream" in stats.urls[0]  # discord.py asked for compression and got it


def test_reply_file_and_reaction_are_recorded(discord_double: DiscordDouble, run_bot) -> None:
    w = discord_double.default
    seen: list = []
    run_bot(lambda: echo_client(seen))
    discord_double.user_sends_message(w.general_id, w.member_id, "hello <@%d>" % w.admin_id)
    echo = discord_double.wait_for(lambda: discord_double.bot_messages(w.general_id))[0]
    assert echo.content == f"echo: hello <@{w.admin_id}>"
    assert discord_double.wait_for(lambda: discord_double.message(echo.id).reactions) == {
        "\N{FILM FRAMES}": [w.bot_id]}
    # the bot saw the person's message, with the mention parsed, and its own echo
    assert seen[0].mentions[0].id == w.admin_id and seen[0].author.id == w.member_id

    asked = discord_double.user_sends_message(w.general_id, w.member_id, "file please")
    [reply] = discord_double.wait_for_bot_messages(w.general_id, lambda m: bool(m.attachments))
    assert reply.content == "here" and reply.message_reference["message_id"] == str(asked)
    assert [(a.filename, a.data) for a in reply.attachments] == [("take1.fountain", b"\x00take one\xff")]
    # discord.py's default reply pings the replied user (no allowed_mentions sent)
    assert discord_double.pings(reply).replied_user == w.member_id


def test_bot_downloads_a_users_attachment_from_the_cdn(discord_double: DiscordDouble, run_bot) -> None:
    w = discord_double.default
    run_bot(lambda: echo_client([]))
    discord_double.user_sends_message(w.films_id, w.member_id, "read this",
                                      attachments=[("my brief ü.txt", "Rain — a film".encode(), "text/plain")])
    msg = discord_double.wait_for(lambda: discord_double.bot_messages(w.films_id))[0]
    assert msg.content == "read 15 bytes: Rain — a film"
    asked = discord_double.messages(w.films_id)[0]
    assert asked.attachments[0].filename == "my_brief_ü.txt"  # Discord's filename sanitising


def test_without_message_content_intent_the_bot_sees_no_text(discord_double: DiscordDouble, run_bot) -> None:
    w = discord_double.default
    seen: list = []

    def factory() -> discord.Client:
        client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.1)

        @client.event
        async def on_message(message: discord.Message) -> None:
            seen.append(message.content)

        return client

    run_bot(factory)
    discord_double.user_sends_message(w.general_id, w.member_id, "secret")
    discord_double.user_sends_message(w.general_id, w.member_id, "hi bot", mentions_bot=True)
    discord_double.wait_for(lambda: len(seen) == 2)
    assert seen == ["", f"<@{w.bot_id}> hi bot"]


def test_discord_validation_errors_reach_the_client(discord_double: DiscordDouble, run_bot) -> None:
    w = discord_double.default
    bot = run_bot(lambda: discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.1))
    discord_double.set_upload_limit(w.guild_id, 1024)

    async def attempt(**kw) -> tuple[int, int]:
        channel = bot.client.get_channel(w.general_id)
        try:
            await channel.send(**kw)
        except discord.HTTPException as exc:
            return exc.status, exc.code
        return 200, 0

    assert bot.call(attempt(content="x" * 2001)) == (400, 50035)
    assert bot.call(attempt(file=discord.File(io.BytesIO(b"0" * 2048), "big.mp4"))) == (413, 40005)
    assert bot.call(attempt(embeds=[discord.Embed(title="t" * 257)])) == (400, 50035)
    assert bot.call(attempt(content="fine")) == (200, 0)
    assert [m.content for m in discord_double.messages(w.general_id)] == ["fine"]


def test_wrong_token_is_refused(discord_double: DiscordDouble) -> None:
    async def login() -> None:
        client = discord.Client(intents=discord.Intents.default())
        async with client:
            await client.login("not-the-token")

    with pytest.raises(discord.LoginFailure):
        asyncio.run(login())
