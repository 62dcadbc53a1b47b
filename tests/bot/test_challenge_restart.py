"""Challenges across restarts (every phase), steps missed while the bot was down, two servers at once, and the
real scheduler firing a short challenge on real time."""
from __future__ import annotations

import threading
import time
from datetime import datetime

import pytest

from storage.challenges import get_challenge
from storage.jobs import get_job
from studio.challenges import LifeConfig, end_challenge, open_challenge
from tests.bot.challenge_helpers import (FRIDAY_1759, FRIDAY_6PM, FakeClock, bot_msgs, challenge, cog, is_ballot,
                                         is_mp4, is_take, posts, schedule, start_stack, vote, wait_msgs, wake)
from tests.discord_double.state import ADMINISTRATOR, MANAGE_GUILD

STEPS = ("schedule", "open", "votes", "remind", "close", "film_done", "premiere")


def once_each(d, channel_id, ch_id=1):
    """How often each step of challenge ``ch_id`` was posted."""
    marks = {"open": f"challenge #{ch_id}!", "remind": f"⏳ Challenge #{ch_id} *", "close": f"Voting on challenge #{ch_id}",
             "late": f"deadline of challenge #{ch_id}", "premiere": f"challenge #{ch_id} ·"}
    return {k: len(posts(d, channel_id, v)) for k, v in marks.items()}


@pytest.mark.parametrize("restart_after", STEPS)
def test_a_restart_in_any_phase_carries_on_and_posts_nothing_twice(make_stack, discord_double, fake_jobs,
                                                                   restart_after):
    d, w = discord_double, discord_double.default
    clock = FakeClock(FRIDAY_1759)
    st = start_stack(make_stack, clock)

    def step(name):
        if name == restart_after:
            st.stop_bot()
            st.start_bot()
            wake(st)  # what an alarm would do right after start-up: nothing new

    schedule(d, w.admin_id, w.general_id)
    step("schedule")
    wake(st, FRIDAY_6PM + 1)
    wait_msgs(d, w.general_id, is_ballot, what="the ballot")  # (a restart mid-upload is the double's "crash")
    step("open")
    takes = wait_msgs(d, w.general_id, is_take, n=3, what="3 takes")
    ch = challenge(st)
    vote(d, st, w.general_id, takes[2], w.member_id, 3, ch["brief_id"])
    step("votes")
    wake(st, ch["remind_at"])
    step("remind")
    fake_jobs.film_gate = threading.Event()
    wake(st, ch["close_at"])
    step("close")
    job_id = challenge(st)["film_job_id"]
    fake_jobs.film_gate.set()
    d.wait_for(lambda: get_job(st.db, job_id)["status"] == "done", what="the film")
    step("film_done")
    wake(st, ch["deadline"])
    d.wait_for(lambda: bot_msgs(d, w.general_id, is_mp4), what="the premiere")
    step("premiere")
    wake(st, ch["deadline"] + 7200)

    assert once_each(d, w.general_id) == {"open": 1, "remind": 1, "close": 1, "late": 0, "premiere": 1}
    assert len(bot_msgs(d, w.general_id, is_take)) == 3 and len(bot_msgs(d, w.general_id, is_mp4)) == 1
    ch = challenge(st)
    assert ch["phase"] == "premiered" and ch["premiered_at"] == ch["deadline"]
    assert "**Take 3** wins" in posts(d, w.general_id, "Voting on challenge #1")[0].content


def test_a_premiere_claimed_just_before_a_crash_is_posted_once_after_it(make_stack, discord_double):
    from storage.challenges import claim_step

    d, w = discord_double, discord_double.default
    clock = FakeClock(FRIDAY_1759)
    st = start_stack(make_stack, clock)
    schedule(d, w.admin_id, w.general_id)
    wake(st, FRIDAY_6PM + 1)
    wait_msgs(d, w.general_id, is_ballot, what="the ballot")
    ch = challenge(st)
    wake(st, ch["close_at"])
    d.wait_for(lambda: get_job(st.db, challenge(st)["film_job_id"])["status"] == "done", what="the film")
    st.stop_bot()
    clock.set(ch["deadline"])
    assert claim_step(st.db, ch["id"], "premiered_at", clock())  # the step was claimed, then the bot died
    st.start_bot()
    d.wait_for(lambda: bot_msgs(d, w.general_id, is_mp4), what="the premiere after the restart")
    d.wait_for(lambda: challenge(st)["phase"] == "premiered", what="the premiere recorded")
    st.stop_bot()
    st.start_bot()
    wake(st)
    assert len(bot_msgs(d, w.general_id, is_mp4)) == 1


def test_steps_missed_while_down_run_once_and_a_late_film_says_by_how_much(make_stack, discord_double, fake_jobs):
    d, w = discord_double, discord_double.default
    fake_jobs.film_gate = threading.Event()  # the film is not ready at the (missed) deadline
    clock = FakeClock(FRIDAY_1759)
    st = start_stack(make_stack, clock)
    schedule(d, w.admin_id, w.general_id)
    wake(st, FRIDAY_6PM + 1)
    wait_msgs(d, w.general_id, is_ballot, what="the ballot")
    takes = wait_msgs(d, w.general_id, is_take, n=3, what="3 takes")
    ch = challenge(st)
    vote(d, st, w.general_id, takes[1], w.other_member_id, 2, ch["brief_id"])
    st.stop_bot()
    clock.set(ch["deadline"] + 600)  # down through the reminder, the close and the deadline
    st.start_bot()
    [late] = d.wait_for(lambda: posts(d, w.general_id, "deadline of challenge #1"), what="the late notice")
    assert "the film is not ready" in late.content
    fake_jobs.film_gate.set()
    film = d.wait_for(lambda: bot_msgs(d, w.general_id, is_mp4), what="the late premiere")[0]
    assert "10m 00s after the deadline: production ran late" in film.content
    counts = once_each(d, w.general_id)
    assert counts == {"open": 1, "remind": 0, "close": 1, "late": 1, "premiere": 1}  # no stale reminder
    assert "**Take 2** wins" in posts(d, w.general_id, "Voting on challenge #1")[0].content
    assert challenge(st)["premiered_at"] - ch["deadline"] == 600


def test_a_start_missed_while_down_is_made_up_within_half_the_challenge_and_skipped_after(make_stack,
                                                                                           discord_double):
    d, w = discord_double, discord_double.default
    clock = FakeClock(FRIDAY_1759)
    st = start_stack(make_stack, clock)
    schedule(d, w.admin_id, w.general_id)
    st.stop_bot()
    clock.set(FRIDAY_6PM + 3 * 3600)
    st.start_bot()
    d.wait_for(lambda: st.rows("select * from challenges"), what="the caught-up challenge")
    wait_msgs(d, w.general_id, is_ballot, what="its ballot")
    ch = challenge(st)
    assert ch["slot_ts"] == FRIDAY_6PM and ch["deadline"] == FRIDAY_6PM + 48 * 3600  # ends on time
    st.stop_bot()
    st.start_bot()
    wake(st)
    assert len(st.rows("select * from challenges")) == 1 and once_each(d, w.general_id)["open"] == 1
    st.bot.call(st.bot.client.db(end_challenge, ch["id"], clock(), w.admin_id))
    st.stop_bot()
    clock.set(FRIDAY_6PM + 7 * 86400 + 25 * 3600)  # next Friday's start, more than half its 48 hours ago
    st.start_bot()
    wake(st)
    assert len(st.rows("select * from challenges")) == 1


def second_server(d):
    owner = d.create_user("zed_owner")
    admin = d.create_user("bea_admin")
    member = d.create_user("cy_member")
    gid = d.create_guild("Second Server", owner)
    role = d.create_role(gid, "Admin", ADMINISTRATOR | MANAGE_GUILD)
    d.add_member(gid, admin, [role])
    d.add_member(gid, member)
    return gid, d.create_channel(gid, "films-two"), admin, member


def test_two_servers_run_their_own_challenges_side_by_side(make_stack, discord_double):
    d, w = discord_double, discord_double.default
    gid2, chan2, admin2, member2 = second_server(d)
    clock = FakeClock(FRIDAY_1759)
    st = start_stack(make_stack, clock)
    schedule(d, w.admin_id, w.general_id)  # 18:00 in London
    reply = schedule(d, admin2, chan2, when="fri 6pm", tz="America/New_York", hours=24)
    ny_6pm = datetime(2026, 11, 27, 18, 0, tzinfo=__import__("zoneinfo").ZoneInfo("America/New_York")).timestamp()
    assert f"<t:{int(ny_6pm)}:F>" in reply.content and "24 hours each" in reply.content

    wake(st, FRIDAY_6PM + 1)
    assert [r["guild_id"] for r in st.rows("select guild_id from challenges")] == [w.guild_id]
    wake(st, ny_6pm + 1)
    one, two = challenge(st, 1), challenge(st, 2)
    assert (two["guild_id"], two["channel_id"], two["deadline"]) == (gid2, chan2, ny_6pm + 24 * 3600)
    wait_msgs(d, w.general_id, is_ballot, what="server 1's ballot")
    wait_msgs(d, chan2, is_ballot, what="server 2's ballot")
    t1 = wait_msgs(d, w.general_id, is_take, n=3, what="server 1's takes")
    t2 = wait_msgs(d, chan2, is_take, n=3, what="server 2's takes")
    vote(d, st, w.general_id, t1[0], w.member_id, 1, one["brief_id"])
    vote(d, st, chan2, t2[2], member2, 3, two["brief_id"])
    status2 = d.invoke_slash("challenge", subcommand="status", user=member2, channel_id=chan2).wait_original()
    assert "Challenge #2" in status2.content and "votes: 1" in status2.content
    # server 1's admin cannot end server 2's challenge, and ending their own leaves server 2's running
    nothing = d.invoke_slash("challenge", subcommand="end", user=w.admin_id, channel_id=w.films_id).wait_original()
    assert "#1" in nothing.content  # their only running challenge is their own
    d.click_button(nothing.id, nothing.components[0]["components"][0]["custom_id"], w.admin_id)
    d.wait_for(lambda: challenge(st, 1)["phase"] == "ended", what="server 1's challenge ended")
    d.wait_for(lambda: posts(d, w.general_id, "was ended early"), what="the end said in its channel")
    wake(st, two["close_at"])
    wake(st, two["deadline"])
    film = d.wait_for(lambda: bot_msgs(d, chan2, is_mp4), what="server 2's premiere")[0]
    assert "take 3" in film.content and "**Votes:** 1 of 1" in film.content
    assert not bot_msgs(d, w.general_id, is_mp4) and not bot_msgs(d, chan2, lambda m: "challenge #1" in m.content.lower())
    hist1 = d.invoke_slash("challenge", subcommand="history", user=w.member_id, channel_id=w.films_id).wait_original()
    assert "ended early" in hist1.content and "#2" not in hist1.content


def test_the_real_scheduler_closes_and_premieres_a_short_challenge_on_real_time(make_stack, discord_double):
    """No fake clock: APScheduler's own alarms fire the close and the premiere (a 12-second challenge)."""
    d, w = discord_double, discord_double.default
    st = make_stack()
    c = cog(st)
    c.config = LifeConfig(default_production_s=0.5, min_margin_s=0.0, min_vote_fraction=0.5)
    ch = st.bot.call(st.bot.client.db(open_challenge, guild_id=w.guild_id, channel_id=w.films_id, now=time.time(),
                               duration_s=12.0, bot_id=w.bot_id, config=c.config))
    st.bot.call(c.wake())
    assert ch["close_at"] == ch["deadline"] - 0.75
    assert {j.id for j in c.scheduler.get_jobs()} == {"challenge-1"}
    film = d.wait_for(lambda: bot_msgs(d, w.films_id, is_mp4), timeout=30, what="the premiere")[0]
    ch = d.wait_for(lambda: (lambda c: c if c["phase"] == "premiered" else None)(get_challenge(st.db, ch["id"])),
                    what="the premiere recorded")
    late_s = ch["premiered_at"] - ch["deadline"]
    posted_s = film.created_at - ch["deadline"]  # when the double received the upload (wall time)
    print(f"premiere: claimed {late_s * 1000:.1f} ms, on Discord {posted_s * 1000:.1f} ms after the deadline")
    assert ch["phase"] == "premiered" and late_s >= 0 and "on the deadline" in film.content
    assert once_each(d, w.films_id) == {"open": 1, "remind": 1, "close": 1, "late": 0, "premiere": 1}
