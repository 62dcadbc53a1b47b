"""Scheduled 48-hour challenges: the schedule, a firing through the Discord double, /challenge now|next."""
from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta, timezone

import pytest

from bot.cli import main as cli_main
from bot.cogs.challenge import SLOT_KEY, cron_trigger, latest_slot, schedule_problem
from bot.settings import SettingsError, load_settings
from bot.text import number_emoji
from engine.challenge import ChallengeLists
from storage.briefs import get_brief
from storage.settings import get_guild_setting
from tests.bot.test_discord_flow import bot_msgs, is_ballot, is_take, wait_msgs

UTC = timezone.utc
FRIDAY_6PM = "0 18 * * FRI"


def is_announcement(m):
    return "hour challenge!**" in m.content


def schedule_briefs(st):
    rows = st.rows("select id from briefs where source = 'schedule' order by id")
    return [get_brief(st.db, r["id"]) for r in rows]


def challenge_stack(make_stack, d, **env):
    env = {"BENJAMIN_CHALLENGE_CRON": FRIDAY_6PM, "BENJAMIN_CHALLENGE_CHANNEL": str(d.default.general_id), **env}
    st = make_stack(**env)
    return st, st.bot.client.get_cog("Challenge")


# ---- the schedule (pure) -----------------------------------------------------------------------------

def test_crontab_days_mean_what_crontab_says():
    friday = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    assert friday.strftime("%A") == "Friday"
    for expr in ("0 18 * * FRI", "0 18 * * 5", "0 18 * * fri"):  # APScheduler 3 alone reads 5 as Saturday
        nxt = cron_trigger(expr, tz=UTC).get_next_fire_time(None, friday)
        assert nxt == datetime(2026, 11, 27, 18, 0, tzinfo=UTC), expr
    sunday = cron_trigger("30 9 * * 0", tz=UTC).get_next_fire_time(None, friday)
    assert sunday.strftime("%A %H:%M") == "Sunday 09:30"
    assert cron_trigger("0 9 * * 7", tz=UTC).get_next_fire_time(None, friday) == sunday.replace(minute=0)
    weekdays = cron_trigger("0 9 * * 1-5", tz=UTC)
    t, seen = friday, []
    for _ in range(5):
        t = weekdays.get_next_fire_time(None, t + timedelta(seconds=1))
        seen.append(t.strftime("%a"))
    assert seen == ["Mon", "Tue", "Wed", "Thu", "Fri"]


@pytest.mark.parametrize("expr", ["", "every friday", "0 18 * *", "0 25 * * *", "0 18 * * funday", "0 18 * * 8"])
def test_bad_crontab_is_a_clear_value_error(expr):
    with pytest.raises(ValueError, match="crontab|day of week"):
        cron_trigger(expr)


def test_latest_slot_is_the_due_time_within_the_window():
    trig = cron_trigger(FRIDAY_6PM, tz=UTC)
    fired = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    assert latest_slot(trig, fired) == fired
    assert latest_slot(trig, fired + timedelta(minutes=59)) == fired  # late, within the hour's grace
    assert latest_slot(trig, fired + timedelta(hours=2)) is None  # too late: skipped, not caught up
    assert latest_slot(trig, fired - timedelta(seconds=1)) is None


def test_schedule_problem_names_the_setting():
    ok = load_settings(None, environ={"BENJAMIN_CHALLENGE_CRON": FRIDAY_6PM, "BENJAMIN_CHALLENGE_CHANNEL": "42"})
    assert ok.challenge_hours == 48 and schedule_problem(ok) is None
    assert schedule_problem(load_settings(None, environ={})) is None  # off
    bad = load_settings(None, environ={"BENJAMIN_CHALLENGE_CRON": "fridays", "BENJAMIN_CHALLENGE_CHANNEL": "42"})
    assert "BENJAMIN_CHALLENGE_CRON" in schedule_problem(bad)
    no_channel = load_settings(None, environ={"BENJAMIN_CHALLENGE_CRON": FRIDAY_6PM})
    assert "BENJAMIN_CHALLENGE_CHANNEL" in schedule_problem(no_channel)
    assert load_settings(None, environ={"BENJAMIN_CHALLENGE_HOURS": "72"}).challenge_hours == 72
    for bad_hours in ("0", "two days"):
        with pytest.raises(SettingsError, match="BENJAMIN_CHALLENGE_HOURS"):
            load_settings(None, environ={"BENJAMIN_CHALLENGE_HOURS": bad_hours})


def test_run_with_a_bad_cron_fails_fast_with_one_line(tmp_path, monkeypatch, capsys):
    for k, v in {"DISCORD_TOKEN": "not-a-real-token", "BENJAMIN_HOME": str(tmp_path / "home"),
                 "BENJAMIN_CHALLENGE_CRON": "every friday at six", "BENJAMIN_CHALLENGE_CHANNEL": "42"}.items():
        monkeypatch.setenv(k, v)
    assert cli_main(["--env-file", str(tmp_path / "none.env"), "run", "--no-worker"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "BENJAMIN_CHALLENGE_CRON" in err[0] and "5 fields" in err[0]


# ---- a firing, through the Discord double -----------------------------------------------------------

def test_a_scheduled_firing_posts_the_challenge_takes_and_a_48_hour_vote(make_stack, discord_double, fake_jobs):
    d, w = discord_double, discord_double.default
    st, cog = challenge_stack(make_stack, d)
    slot = datetime(2026, 11, 27, 18, 0, tzinfo=UTC).timestamp()
    before = time.time()
    brief_id, _job = st.bot.call(cog.fire(slot))

    row = get_brief(st.db, brief_id)
    brief = row["brief"]
    assert (row["source"], row["requester_id"], row["channel_id"]) == ("schedule", w.bot_id, w.general_id)
    announce = wait_msgs(d, w.general_id, is_announcement, what="the announcement")[0]
    text = d.message(announce.id).content
    assert brief["title"] in text and brief["lines"][0] in text and all(p in text for p in brief["props"])
    assert (brief["science"] or "") in text
    assert "48 hours: vote on the takes; the winning film is posted here" in text

    ballot = wait_msgs(d, w.general_id, is_ballot, what="the ballot")[0]
    takes = bot_msgs(d, w.general_id, is_take)
    assert len(takes) == 3 and all(brief["lines"][0] in m.content for m in takes)
    assert bot_msgs(d, w.films_id) == []  # everything happens in the challenge channel
    deadline = get_brief(st.db, brief_id)["vote_deadline"]
    assert before + 48 * 3600 - 60 < deadline < time.time() + 48 * 3600 + 60  # not BENJAMIN_VOTE_SECONDS
    assert f"<t:{int(deadline)}:R>" in ballot.content and "lowest take number" in ballot.content
    assert f"<@{w.bot_id}>" not in ballot.content

    # no requester: a 1-1 tie goes to the lowest take number; the film is posted in the challenge channel
    d.user_reacts(w.general_id, takes[2].id, w.member_id, number_emoji(3))
    d.user_reacts(w.general_id, takes[1].id, w.other_member_id, number_emoji(2))
    d.wait_for(lambda: len(st.rows("select * from votes where brief_id = ?", [brief_id])) == 2, what="votes")
    refused = d.click_button(ballot.id, f"benjamin:vote:close:{brief_id}", w.member_id)
    assert "Only the person who asked" in refused.wait_original().content  # nobody but admins closes it
    d.click_button(ballot.id, f"benjamin:vote:close:{brief_id}", w.admin_id)
    closed = wait_msgs(d, w.general_id, lambda m: "wins" in m.content, what="the result")[0]
    assert "**Take 2** wins" in closed.content
    wait_msgs(d, w.general_id, lambda m: any(a.filename.endswith(".mp4") for a in m.attachments), what="the film")


def test_the_same_slot_makes_one_challenge_even_across_a_restart(make_stack, discord_double):
    d, w = discord_double, discord_double.default
    st, cog = challenge_stack(make_stack, d)
    slot = datetime(2026, 11, 27, 18, 0, tzinfo=UTC).timestamp()

    async def twice():
        return await asyncio.gather(cog.fire(slot), cog.fire(slot))

    results = st.bot.call(twice)
    assert sum(r is not None for r in results) == 1
    wait_msgs(d, w.general_id, is_ballot, what="the ballot")
    st.stop_bot()
    st.start_bot()  # a new process, same database
    again = st.bot.call(st.bot.client.get_cog("Challenge").fire(slot))
    assert again is None
    assert len(schedule_briefs(st)) == 1
    assert get_guild_setting(st.db, w.guild_id, SLOT_KEY)["brief_id"] == schedule_briefs(st)[0]["id"]
    assert len(bot_msgs(d, w.general_id, is_announcement)) == 1
    # the next scheduled time is a new challenge
    assert st.bot.call(st.bot.client.get_cog("Challenge").fire(slot + 7 * 86400)) is not None
    assert len(schedule_briefs(st)) == 2


def test_the_scheduler_catches_up_a_just_missed_slot_once(make_stack, discord_double):
    """Every minute: at start-up the slot of this minute (missed while 'down') is fired by APScheduler itself."""
    d, w = discord_double, discord_double.default
    st, cog = challenge_stack(make_stack, d, BENJAMIN_CHALLENGE_CRON="* * * * *")
    assert cog.scheduler is not None and cog.scheduler.running
    wait_msgs(d, w.general_id, is_announcement, what="the caught-up announcement")
    briefs = d.wait_for(lambda: schedule_briefs(st), what="the challenge brief")
    slots = [b["brief"]["extra"]["slot"] for b in briefs]
    assert len(slots) == len(set(slots))  # one challenge per scheduled minute, never two
    assert all(s % 60 == 0 for s in slots)
    nxt = st.bot.call(lambda: asyncio.sleep(0, cog.next_time()))
    assert nxt is not None and nxt.timestamp() > slots[0]


def test_no_one_is_pinged_even_by_mention_text_in_the_lists(make_stack, discord_double, monkeypatch):
    d, w = discord_double, discord_double.default
    lists = ChallengeLists(titles=("@everyone, a film",), lines=(f"@here <@{w.member_id}> <@&{w.admin_role_id}>",),
                           props=("an @everyone badge",), science=("@here physics",))
    monkeypatch.setattr("engine.challenge.load_lists", lambda path: lists)
    st, cog = challenge_stack(make_stack, d)
    st.bot.call(cog.fire(datetime(2026, 11, 27, 18, 0, tzinfo=UTC).timestamp()))
    wait_msgs(d, w.general_id, is_ballot, what="the ballot")
    msgs = bot_msgs(d, w.general_id)
    assert any(is_announcement(m) and "everyone" in m.content for m in msgs)
    for m in msgs:
        p = d.pings(m)
        assert not p.everyone and not p.users and not p.roles, m.content


# ---- /challenge now | next ---------------------------------------------------------------------------

def test_challenge_now_is_for_admins_and_next_answers_anyone(make_stack, discord_double):
    d, w = discord_double, discord_double.default
    st, cog = challenge_stack(make_stack, d, BENJAMIN_CHALLENGE_HOURS="72")
    refused = d.invoke_slash("challenge", subcommand="now", user=w.member_id, channel_id=w.films_id).wait_original()
    assert "Only an admin" in refused.content and schedule_briefs(st) == []

    ok = d.invoke_slash("challenge", subcommand="now", user=w.admin_id, channel_id=w.films_id).wait_original()
    assert "Challenge started" in ok.content and f"<#{w.general_id}>" in ok.content
    wait_msgs(d, w.general_id, is_announcement, what="the announcement")
    wait_msgs(d, w.general_id, is_ballot, what="the ballot")
    [brief] = schedule_briefs(st)
    assert "slot" not in brief["brief"]["extra"]  # a manual challenge claims no scheduled time
    assert "72 hours: vote on the takes" in bot_msgs(d, w.general_id, is_announcement)[0].content
    deadline = d.wait_for(lambda: get_brief(st.db, brief["id"])["vote_deadline"], what="the deadline")
    assert abs(deadline - (time.time() + 72 * 3600)) < 120

    nxt = d.invoke_slash("challenge", subcommand="next", user=w.member_id, channel_id=w.films_id).wait_original()
    ts = int(cog.next_time().timestamp())
    assert f"<t:{ts}:F>" in nxt.content and f"<#{w.general_id}>" in nxt.content and "72-hour" in nxt.content
    assert datetime.fromtimestamp(ts).strftime("%a %H:%M") == "Fri 18:00"  # the bot's local time, as cron


def test_an_invalid_cron_logs_one_error_and_the_bot_runs_without_challenges(make_stack, discord_double, caplog):
    d, w = discord_double, discord_double.default
    with caplog.at_level(logging.ERROR, logger="bot.cogs.challenge"):
        st, cog = challenge_stack(make_stack, d, BENJAMIN_CHALLENGE_CRON="0 18 * * funday")
    errors = [r for r in caplog.records if r.name == "bot.cogs.challenge" and r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "BENJAMIN_CHALLENGE_CRON" in errors[0].getMessage()
    assert cog.scheduler is None
    nxt = d.invoke_slash("challenge", subcommand="next", user=w.member_id, channel_id=w.films_id).wait_original()
    assert "off" in nxt.content
    d.invoke_slash("film", user=w.member_id, channel_id=w.films_id,  # the rest of the bot works
                   options={"title": "Still here", "line": "Hello", "prop": "a hat", "takes": 1})
    wait_msgs(d, w.films_id, is_ballot, what="a /film ballot")


def test_without_a_schedule_next_says_so_and_now_uses_this_channel(make_stack, discord_double):
    d, w = discord_double, discord_double.default
    st = make_stack()
    assert st.bot.client.get_cog("Challenge").scheduler is None
    nxt = d.invoke_slash("challenge", subcommand="next", user=w.member_id, channel_id=w.films_id).wait_original()
    assert "No challenges are scheduled" in nxt.content
    ok = d.invoke_slash("challenge", subcommand="now", user=w.admin_id, channel_id=w.films_id).wait_original()
    assert f"<#{w.films_id}>" in ok.content
    wait_msgs(d, w.films_id, is_announcement, what="the announcement here")
    assert len(wait_msgs(d, w.films_id, is_take, n=3, what="three takes")) == 3
