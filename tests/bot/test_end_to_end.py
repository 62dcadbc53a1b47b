"""The real thing, small: /film → the shipped writer's takes → a vote → the real pipeline → the posted mp4."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.text import number_emoji
from storage.films import film_for_job
from tests.bot.test_discord_flow import bot_msgs, is_ballot, is_take, wait_msgs

SHIPPED = Path(__file__).resolve().parents[2] / "assets" / "writer"


@pytest.mark.slow
def test_film_with_the_real_engine_is_posted_as_an_mp4_with_sound(make_stack, discord_double):
    if not any(SHIPPED.glob("*.pt")):
        pytest.skip("no shipped writer checkpoint in assets/writer")
    from studio.handlers import HANDLERS

    d, w = discord_double, discord_double.default
    st = make_stack(handlers=HANDLERS, film_overrides={"size": [160, 90], "fps": 8})
    handle = d.invoke_slash("film", user=w.member_id, channel_id=w.films_id,
                            options={"title": "Moonrise", "line": "We were never here", "prop": "a lantern",
                                     "takes": 2, "pages": 0.5})
    assert "Writing 2 take(s)" in handle.wait_original().content
    ballot = wait_msgs(d, w.films_id, is_ballot, timeout=120, what="the real takes")[0]
    takes = bot_msgs(d, w.films_id, is_take)
    assert len(takes) == 2
    for m in takes:
        fountain = next(a for a in m.attachments if a.filename.endswith(".fountain"))
        assert "We were never here" in fountain.data.decode("utf-8")  # the writer honoured the brief
        assert any(a.filename.endswith(".pdf") and a.data.startswith(b"%PDF") for a in m.attachments)
    d.user_reacts(w.films_id, takes[1].id, w.other_member_id, number_emoji(2))
    d.wait_for(lambda: st.rows("select * from votes"), what="vote")
    brief_id = st.rows("select id from briefs")[0]["id"]
    d.click_button(ballot.id, f"benjamin:vote:close:{brief_id}", w.member_id)
    film_msg = wait_msgs(d, w.films_id, lambda m: any(a.filename.endswith(".mp4") for a in m.attachments),
                         timeout=120, what="the real film")[0]
    mp4 = next(a for a in film_msg.attachments if a.filename.endswith(".mp4"))
    job = st.rows("select id, payload from jobs where kind='film'")[0]
    film = film_for_job(st.db, job["id"])
    assert mp4.data == Path(film["path"]).read_bytes() and mp4.data[4:8] == b"ftyp"
    assert len(mp4.data) <= 10 * 2**20
    assert film["duration_s"] > 3
    from moviepy import VideoFileClip

    with VideoFileClip(film["path"]) as clip:
        assert clip.audio is not None and clip.size == [160, 90]
    assert "take 2" in film_msg.content  # the winner was produced
    assert "Voices: " in film_msg.content and "An AI-made film" in film_msg.content  # the film's own credits
