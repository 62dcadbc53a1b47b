"""Opting in to cast names from Discord: /film cast_names → the takes' characters are the server's cast."""
from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from engine.screenplay.fountain import parse_fountain
from storage.briefs import get_brief
from storage.cast import add_member
from tests.bot.test_discord_flow import bot_msgs, is_ballot, is_take, wait_msgs

SHIPPED = Path(__file__).resolve().parents[2] / "assets" / "writer" / "benjamin-screenplay.pt"


def _speakers(message) -> set[str]:
    fountain = next(a for a in message.attachments if a.filename.endswith(".fountain")).data.decode("utf-8")
    return {d.character for _, d in parse_fountain(fountain).dialogue()}


def _stack_with_cast(make_stack, discord_double, tmp_path, names: dict[int, str]):
    """A bot with the real handlers and ``names`` (user id -> name) in the server's cast."""
    if not SHIPPED.is_file():
        pytest.skip("no shipped writer checkpoint in assets/writer")
    from studio.handlers import HANDLERS

    st = make_stack(handlers=HANDLERS)
    photo = tmp_path / "me.png"
    Image.new("RGB", (64, 64), (90, 140, 200)).save(photo)
    for uid, name in names.items():
        add_member(st.db, guild_id=discord_double.default.guild_id, user_id=uid, name=name, photos=[str(photo)],
                   consented_by=uid)
    return discord_double, discord_double.default


def test_film_with_cast_names_writes_parts_named_after_the_servers_cast(make_stack, discord_double, tmp_path):
    w = discord_double.default
    d, w = _stack_with_cast(make_stack, discord_double, tmp_path, {w.member_id: "Ada", w.other_member_id: "Grace Hopper"})
    options = {"title": "Moonrise", "line": "We were never here", "prop": "a lantern", "takes": 1, "pages": 0.5}
    d.invoke_slash("film", user=w.member_id, channel_id=w.films_id,
                   options={**options, "cast_names": True}).wait_original()
    wait_msgs(d, w.films_id, is_ballot, timeout=120, what="the named take")
    [named] = bot_msgs(d, w.films_id, is_take)
    speakers = _speakers(named)  # (the take's seed is random: a half page now and then has a single speaker)
    assert {"ADA", "GRACE HOPPER"} <= speakers or speakers == {"ADA"}  # the busiest parts carry the cast's names

    d.invoke_slash("film", user=w.member_id, channel_id=w.films_id, options=options).wait_original()
    wait_msgs(d, w.films_id, is_ballot, n=2, timeout=120, what="the unnamed take")
    plain = [m for m in bot_msgs(d, w.films_id, is_take) if m.id != named.id]
    assert not {"ADA", "GRACE HOPPER"} & _speakers(plain[0])  # without the option: the writer's own names


def test_challenge_with_cast_names_writes_parts_named_after_the_cast(make_stack, discord_double, tmp_path):
    d, w = _stack_with_cast(make_stack, discord_double, tmp_path, {discord_double.default.member_id: "Ada"})
    d.invoke_slash("challenge", subcommand="start", user=w.admin_id, channel_id=w.general_id,
                   options={"title": "Moonrise", "line": "We were never here", "prop": "a lantern",
                            "cast_names": True}).wait_original()
    wait_msgs(d, w.general_id, is_ballot, timeout=180, what="the challenge's takes")
    takes = bot_msgs(d, w.general_id, is_take)
    assert takes and all("ADA" in _speakers(m) for m in takes)  # every take's busiest part is Ada's


def test_film_with_cast_names_and_no_cast_says_the_parts_keep_their_names(make_stack, discord_double):
    d, w = discord_double, discord_double.default
    make_stack()
    reply = d.invoke_slash("film", user=w.member_id, channel_id=w.films_id,
                           options={"title": "Moonrise", "line": "We were never here", "prop": "a lantern",
                                    "cast_names": True}).wait_original()
    assert "Writing 3 take(s)" in reply.content and "Nobody is in the cast yet" in reply.content


def test_a_schedule_with_cast_names_opens_challenges_whose_parts_are_the_casts(make_stack, discord_double):
    """`/challenge schedule ... cast_names:True` says so, `/challenge next` says so, and each challenge it
    opens asks the writer for parts named after the server's cast, as `/challenge start cast_names` does."""
    from tests.bot.challenge_helpers import FRIDAY_1759, FRIDAY_6PM, FakeClock, challenge, schedule, start_stack, wake

    d, w = discord_double, discord_double.default
    st = start_stack(make_stack, FakeClock(FRIDAY_1759))
    reply = schedule(d, w.admin_id, w.general_id, cast_names=True)
    assert "48 hours each, the parts named after the cast who play them" in reply.content
    nxt = d.invoke_slash("challenge", subcommand="next", user=w.member_id, channel_id=w.general_id).wait_original()
    assert "named after the cast" in nxt.content
    wake(st, FRIDAY_6PM + 2)
    brief = get_brief(st.db, challenge(st)["brief_id"])
    assert brief["brief"]["extra"]["cast_names"] is True
    # set again without it: the next challenges keep the writer's own names
    reply = schedule(d, w.admin_id, w.general_id)
    assert "named after the cast" not in reply.content
    assert st.rows("select cast_names from challenge_schedules") == [{"cast_names": 0}]
