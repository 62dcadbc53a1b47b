"""Resilience: restart mid-job posts the film exactly once; reconnects and 429s lose nothing."""
from __future__ import annotations

import threading

from bot.text import number_emoji
from storage.jobs import get_job
from storage.votes import user_vote
from tests.bot.test_discord_flow import bot_msgs, wait_msgs
from tests.bot.test_discord_more import _voting


def _films(d, channel_id):
    return bot_msgs(d, channel_id, lambda m: any(a.filename.endswith(".mp4") for a in m.attachments))


def test_restart_mid_job_posts_the_film_exactly_once(make_stack, discord_double, fake_jobs):
    d, w = discord_double, discord_double.default
    fake_jobs.film_gate = threading.Event()
    st = make_stack()
    brief_id, ballot, _ = _voting(d, st, w.member_id)
    d.click_button(ballot.id, f"benjamin:vote:close:{brief_id}", w.member_id)
    progress = wait_msgs(d, w.films_id, lambda m: m.content.startswith("🎬 **film**"), what="progress")[0]
    job_id = int(progress.content.split("job #")[1].split()[0])

    st.stop_bot()  # the bot goes away while the worker renders
    fake_jobs.film_gate.set()
    d.wait_for(lambda: get_job(st.db, job_id)["status"] == "done", what="film done")
    assert _films(d, w.films_id) == []

    st.start_bot()  # a new bot process: re-attaches to the progress message and posts the film
    film = wait_msgs(d, w.films_id, lambda m: any(a.filename.endswith(".mp4") for a in m.attachments),
                     what="film after restart")[0]
    d.wait_for(lambda: get_job(st.db, job_id)["posted_message_id"] == film.id, what="marked posted")
    assert "done" in d.message(progress.id).content  # the same progress message, edited by the new bot
    assert len(bot_msgs(d, w.films_id, lambda m: m.content.startswith("🎬 **film**"))) == 1

    # a crash after the upload but before it was recorded: the next bot finds the upload, posts nothing new
    st.stop_bot()
    st.db.execute("UPDATE jobs SET posted_at = NULL, posted_message_id = NULL WHERE id = ?", [job_id])
    st.start_bot()
    d.wait_for(lambda: get_job(st.db, job_id)["posted_at"], what="re-marked posted")
    assert get_job(st.db, job_id)["posted_message_id"] == film.id
    assert [m.id for m in _films(d, w.films_id)] == [film.id]


def test_votes_keep_counting_across_a_restart(make_stack, discord_double):
    d, w = discord_double, discord_double.default
    st = make_stack()
    brief_id, ballot, (m1, m2) = _voting(d, st, w.member_id)
    st.stop_bot()
    st.start_bot()
    d.user_reacts(w.films_id, m2.id, w.other_member_id, number_emoji(2))  # on a message the new bot never saw
    d.wait_for(lambda: user_vote(st.db, brief_id, w.other_member_id), what="vote after restart")
    d.click_button(ballot.id, f"benjamin:vote:close:{brief_id}", w.member_id)  # the old button still works
    closed = wait_msgs(d, w.films_id, lambda m: "wins" in m.content, what="closed")[0]
    assert "**Take 2** wins" in closed.content


def test_reconnect_and_rate_limits_lose_no_votes(make_stack, discord_double):
    d, w = discord_double, discord_double.default
    st = make_stack()
    brief_id, ballot, (m1, m2) = _voting(d, st, w.member_id)
    with d.gateway_down():  # events while the socket is down are replayed on RESUME
        d.user_reacts(w.films_id, m1.id, w.other_member_id, number_emoji(1))
        d.user_reacts(w.films_id, m2.id, w.admin_id, number_emoji(2))
    d.wait_for(lambda: user_vote(st.db, brief_id, w.admin_id), timeout=30, what="votes after resume")
    assert user_vote(st.db, brief_id, w.other_member_id)
    d.rate_limit_next("POST /channels/*/messages", retry_after=0.3, count=2)
    d.click_button(ballot.id, f"benjamin:vote:close:{brief_id}", w.member_id)
    closed = wait_msgs(d, w.films_id, lambda m: "wins" in m.content, what="result despite 429s")[0]
    assert "Take 1" in closed.content  # 1-1: the tie goes to the lowest take (the requester did not vote)
    wait_msgs(d, w.films_id, lambda m: any(a.filename.endswith(".mp4") for a in m.attachments), what="film")
    assert len(_films(d, w.films_id)) == 1


def test_a_film_too_big_for_the_guild_gets_a_clear_message_and_a_smaller_render(make_stack, discord_double,
                                                                                fake_jobs):
    d, w = discord_double, discord_double.default
    fake_jobs.film_bytes = 300_000
    d.set_upload_limit(w.guild_id, 100_000)  # Discord answers 413 to a bigger upload
    st = make_stack()
    brief_id, ballot, _ = _voting(d, st, w.member_id)
    d.click_button(ballot.id, f"benjamin:vote:close:{brief_id}", w.member_id)
    note = wait_msgs(d, w.films_id, lambda m: "smaller render" in m.content, what="too-big notice")[0]
    assert "Discord refused the 0.3 MB upload as too large" in note.content and not note.attachments
    first = st.rows("select id, payload from jobs where kind='film'")[0]
    button = [c["custom_id"] for row in note.components for c in row["components"]][0]
    assert button == f"benjamin:film:smaller:{first['id']}"
    other = d.click_button(note.id, button, w.other_member_id)
    assert "Only the person who asked" in other.wait_original().content
    fake_jobs.film_bytes = 50_000
    d.click_button(note.id, button, w.member_id)
    wait_msgs(d, w.films_id, lambda m: any(a.filename.endswith(".mp4") for a in m.attachments), what="small film")
    jobs = [get_job(st.db, r["id"]) for r in st.rows("select id from jobs where kind='film' order by id")]
    assert len(jobs) == 2 and jobs[1]["payload"]["smaller"] is True
    assert jobs[1]["payload"]["max_mb"] < jobs[0]["payload"]["max_mb"]


def test_reactions_made_while_the_bot_was_down_are_counted(make_stack, discord_double):
    d, w = discord_double, discord_double.default
    st = make_stack()
    brief_id, ballot, (m1, m2) = _voting(d, st, w.member_id)
    d.user_reacts(w.films_id, m1.id, w.admin_id, number_emoji(1))
    d.wait_for(lambda: user_vote(st.db, brief_id, w.admin_id), what="admin vote")
    st.stop_bot()
    d.user_reacts(w.films_id, m2.id, w.other_member_id, number_emoji(2))  # nobody is listening
    d.user_unreacts(w.films_id, m1.id, w.admin_id, number_emoji(1))
    st.start_bot()
    d.wait_for(lambda: user_vote(st.db, brief_id, w.other_member_id), what="offline vote counted")
    d.wait_for(lambda: user_vote(st.db, brief_id, w.admin_id) is None, what="offline withdrawal counted")


def test_a_film_over_the_guild_limit_is_not_uploaded(make_stack, discord_double, fake_jobs):
    d, w = discord_double, discord_double.default
    fake_jobs.film_bytes = 10 * 2**20 + 1  # the guild (no boosts) allows 10 MiB
    st = make_stack()
    brief_id, ballot, _ = _voting(d, st, w.member_id)
    d.click_button(ballot.id, f"benjamin:vote:close:{brief_id}", w.member_id)
    note = wait_msgs(d, w.films_id, lambda m: "smaller render" in m.content, what="too-big notice")[0]
    assert "over this server's upload limit of 10.0 MB" in note.content
    assert _films(d, w.films_id) == []  # no upload was attempted
