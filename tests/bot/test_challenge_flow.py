"""A whole 48-hour challenge through the Discord double on a fake clock: schedule → open → takes → votes →
reminder → close → production → premiere on the deadline; then status and history."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from storage.briefs import get_brief
from storage.challenges import film_stage_samples
from storage.jobs import get_job
from studio.challenges import estimate_production
from tests.bot.challenge_helpers import (FRIDAY_1759, FRIDAY_6PM, FakeClock, bot_msgs, challenge, cog, is_ballot,
                                         is_mp4, is_take, posts, schedule, start_stack, vote, wait_msgs, wake)

SHIPPED = Path(__file__).resolve().parents[2] / "assets" / "writer"
H48 = 48 * 3600


def run_full_challenge(d, st, clock, *, take_timeout=20.0, film_timeout=20.0):
    w = d.default
    reply = schedule(d, w.admin_id, w.general_id)
    assert "Scheduled: `0 18 * * FRI` in Europe/London, 48 hours each" in reply.content
    assert f"<t:{int(FRIDAY_6PM)}:F>" in reply.content  # the next start, on the bot's clock
    wake(st)
    assert st.rows("select * from challenges") == []  # not yet

    wake(st, FRIDAY_6PM + 2)  # the cron alarm
    ch = challenge(st)
    assert (ch["phase"], ch["slot_ts"], ch["deadline"]) == ("open", FRIDAY_6PM, FRIDAY_6PM + H48)
    assert ch["close_at"] == ch["deadline"] - 600 - 900  # no film measured yet: 10 min guessed + 15 min margin
    opened = posts(d, w.general_id, "48-hour challenge #1!")
    assert len(opened) == 1
    brief = get_brief(st.db, ch["brief_id"])
    text = opened[0].content
    assert brief["brief"]["title"] in text and brief["brief"]["lines"][0] in text
    assert f"<t:{int(ch['deadline'])}:F>" in text and f"<t:{int(ch['close_at'])}:R>" in text
    assert "first guess" in text

    ballot = wait_msgs(d, w.general_id, is_ballot, timeout=take_timeout, what="the ballot")[0]
    assert f"<t:{int(ch['close_at'])}:R>" in ballot.content  # the ballot shows the challenge's close
    takes = bot_msgs(d, w.general_id, is_take)
    assert len(takes) == 3
    vote(d, st, w.general_id, takes[1], w.member_id, 2, brief["id"])
    vote(d, st, w.general_id, takes[1], w.other_member_id, 2, brief["id"])
    vote(d, st, w.general_id, takes[0], w.admin_id, 1, brief["id"])

    wake(st, ch["remind_at"])
    [remind] = posts(d, w.general_id, "voting closes")
    assert f"<t:{int(ch['close_at'])}:R>" in remind.content
    assert get_brief(st.db, brief["id"])["status"] == "voting"

    wake(st, ch["close_at"])
    [closed] = posts(d, w.general_id, "Voting on challenge #1")
    assert "**Take 2** wins" in closed.content and f"<t:{int(ch['deadline'])}:R>" in closed.content
    ch = challenge(st)
    assert ch["phase"] == "producing" and ch["film_job_id"]
    assert d.message(ballot.id).components == []  # no more ✅ / 🔄 on a closed vote
    d.wait_for(lambda: get_job(st.db, ch["film_job_id"])["status"] == "done", timeout=film_timeout,
               what="the film job")
    progress = st.bot.client.get_cog("Progress")
    d.wait_for(lambda: not get_job(st.db, ch["film_job_id"])["progress_message_id"]
               or st.bot.call(asyncio.sleep(0, progress.is_final_shown(ch["film_job_id"]))),
               what="the finished progress message")  # from here on delivery would post a film
    st.bot.call(st.bot.client.get_cog("Delivery").loop())  # one delivery pass: it must leave the film alone
    assert not bot_msgs(d, w.general_id, is_mp4)  # ready, but it premieres at the deadline

    wake(st, ch["deadline"])
    [film] = d.wait_for(lambda: bot_msgs(d, w.general_id, is_mp4), what="the premiere")
    assert "Premiere" in film.content and "on the deadline" in film.content and "take 2" in film.content
    assert "**Votes:** 2 of 3 for this take" in film.content
    ch = challenge(st)
    assert ch["phase"] == "premiered" and ch["premiered_at"] == ch["deadline"] and ch["premiere_message_id"] == film.id
    assert get_brief(st.db, brief["id"])["status"] == "posted"
    wake(st, ch["deadline"] + 3600)
    assert len(bot_msgs(d, w.general_id, is_mp4)) == 1
    for m in bot_msgs(d, w.general_id):
        p = d.pings(m)
        assert not p.everyone and not p.users and not p.roles, m.content
    return ch, film


def test_a_scheduled_48_hour_challenge_premieres_on_its_deadline(make_stack, discord_double):
    d, w = discord_double, discord_double.default
    clock = FakeClock(FRIDAY_1759)
    st = start_stack(make_stack, clock)
    ch, film = run_full_challenge(d, st, clock)
    assert "Written by Benjamin (AI)" in film.content  # the film's own credits

    status = d.invoke_slash("challenge", subcommand="status", user=w.member_id,
                            channel_id=w.general_id).wait_original()
    assert "**premiered**" in status.content and "Takes: 3 · votes: 3" in status.content
    history = d.invoke_slash("challenge", subcommand="history", user=w.member_id,
                             channel_id=w.films_id).wait_original()
    assert "#1" in history.content and "take 2 won (2 of 3 vote(s))" in history.content
    assert f"/{w.general_id}/{film.id}" in history.content
    # the next Friday is the next challenge, with a close measured from this film's stage times
    nxt = d.invoke_slash("challenge", subcommand="next", user=w.member_id, channel_id=w.films_id).wait_original()
    assert f"<t:{int(FRIDAY_6PM + 7 * 86400)}:F>" in nxt.content
    wake(st, FRIDAY_6PM + 7 * 86400 + 1)
    second = challenge(st, 2)
    assert second["estimate"]["jobs"] == 1 and second["estimate"]["stages"]
    assert len(posts(d, w.general_id, "48-hour challenge #2!")) == 1
    assert "measured on the last 1 film(s)" in posts(d, w.general_id, "48-hour challenge #2!")[0].content
    wait_msgs(d, w.general_id, is_ballot, n=2, what="its ballot")


@pytest.mark.slow
def test_a_challenge_with_the_real_engine_on_tiny_presets(make_stack, discord_double):
    if not any(SHIPPED.glob("*.pt")):
        pytest.skip("no shipped writer checkpoint in assets/writer")
    from studio.handlers import HANDLERS

    d = discord_double
    clock = FakeClock(FRIDAY_1759)
    st = start_stack(make_stack, clock, handlers=HANDLERS, film_overrides={"size": [160, 90], "fps": 8})
    ch, film = run_full_challenge(d, st, clock, take_timeout=180, film_timeout=240)
    mp4 = next(a for a in film.attachments if a.filename.endswith(".mp4"))
    assert mp4.data[4:8] == b"ftyp" and "An AI-made film" in film.content
    est = estimate_production(film_stage_samples(st.db))  # what the next challenge's close would be built on
    print(f"measured stages: { {k: round(v, 2) for k, v in est.stages.items()} }; "
          f"production {est.production_s:.1f} s + margin {est.margin_s:.0f} s")
    assert est.jobs == 1 and est.production_s > 0 and len(est.stages) > 1


def test_the_scheduler_holds_one_alarm_per_schedule_and_per_running_challenge(make_stack, discord_double):
    d, w = discord_double, discord_double.default
    clock = FakeClock(FRIDAY_1759)
    st = start_stack(make_stack, clock)
    schedule(d, w.admin_id, w.general_id)
    wake(st, FRIDAY_6PM + 1)
    jobs = {j.id: j for j in cog(st).scheduler.get_jobs()}
    assert set(jobs) == {"challenge-schedule-1", "challenge-1"}
    assert "day_of_week='fri'" in str(jobs["challenge-schedule-1"].trigger)
    assert "Europe/London" in str(jobs["challenge-schedule-1"].trigger.timezone)
    ch = challenge(st)
    # the alarm is set for the reminder, as far ahead in real time as it is on the bot's clock
    wait = jobs["challenge-1"].next_run_time.timestamp() - __import__("time").time()
    assert abs(wait - (ch["remind_at"] - clock())) < 60
    wait_msgs(d, w.general_id, is_ballot, what="the ballot")


def test_closing_early_from_the_ballot_still_premieres_on_the_deadline(make_stack, discord_double):
    d, w = discord_double, discord_double.default
    clock = FakeClock(FRIDAY_1759)
    st = start_stack(make_stack, clock)
    schedule(d, w.admin_id, w.general_id)
    wake(st, FRIDAY_6PM + 1)
    ballot = wait_msgs(d, w.general_id, is_ballot, what="the ballot")[0]
    takes = bot_msgs(d, w.general_id, is_take)
    ch = challenge(st)
    vote(d, st, w.general_id, takes[2], w.member_id, 3, ch["brief_id"])
    refused = d.click_button(ballot.id, f"benjamin:vote:close:{ch['brief_id']}", w.member_id).wait_original()
    assert "Only the person who asked" in refused.content  # nobody but admins closes a challenge's vote
    d.click_button(ballot.id, f"benjamin:vote:close:{ch['brief_id']}", w.admin_id)
    closed = d.wait_for(lambda: posts(d, w.general_id, "Voting on challenge #1 *"), what="the challenge's close")[0]
    assert "closed early" in closed.content and "**Take 3** wins" in closed.content
    ch = challenge(st)
    d.wait_for(lambda: get_job(st.db, ch["film_job_id"])["status"] == "done", what="the film")
    wake(st, ch["deadline"] - 60)
    assert not bot_msgs(d, w.general_id, is_mp4)
    wake(st, ch["deadline"])
    film = d.wait_for(lambda: bot_msgs(d, w.general_id, is_mp4), what="the premiere")[0]
    assert "on the deadline" in film.content and "take 3" in film.content
    assert len(posts(d, w.general_id, "Voting on challenge #1 *")) == 1


def test_a_film_that_fails_ends_the_challenge_without_a_premiere(make_stack, discord_double, fake_jobs):
    d, w = discord_double, discord_double.default

    def broken_film(ctx):
        raise RuntimeError("the renderer caught fire")

    clock = FakeClock(FRIDAY_1759)
    st = start_stack(make_stack, clock, handlers={"write": fake_jobs.write, "film": broken_film})
    d.invoke_slash("challenge", subcommand="start", user=w.admin_id, channel_id=w.general_id).wait_original()
    wait_msgs(d, w.general_id, is_ballot, what="the ballot")
    ch = challenge(st)
    wake(st, ch["close_at"])
    failed = d.wait_for(lambda: posts(d, w.general_id, "could not be made"), timeout=60, what="the failure")[0]
    assert "no premiere" in failed.content and posts(d, w.general_id, "the renderer caught fire")
    assert challenge(st)["phase"] == "failed"
    wake(st, ch["deadline"])
    assert not bot_msgs(d, w.general_id, is_mp4) and len(posts(d, w.general_id, "could not be made")) == 1
