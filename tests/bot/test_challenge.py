"""Challenges: the schedule and the close estimate (pure), and the host-wide default from the environment."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest

from bot.challenge_schedule import (cron_trigger, get_timezone, latest_slot, parse_when, schedule_problem,
                                    timezone_choices)
from bot.cli import main as cli_main
from bot.settings import SettingsError, load_settings
from engine.challenge import ChallengeLists
from storage.challenges import get_schedule
from storage.settings import set_guild_setting
from studio.challenges import Estimate, LifeConfig, estimate_production, plan_times
from tests.bot.challenge_helpers import bot_msgs, is_ballot, posts, wait_msgs

UTC = timezone.utc
FRIDAY_6PM = "0 18 * * FRI"


# ---- the schedule (pure) -----------------------------------------------------------------------------

def test_crontab_days_mean_what_crontab_says():
    friday = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    for expr in ("0 18 * * FRI", "0 18 * * 5", "0 18 * * fri"):  # APScheduler 3 alone reads 5 as Saturday
        assert cron_trigger(expr, tz=UTC).get_next_fire_time(None, friday) == friday.replace(hour=18), expr
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


@pytest.mark.parametrize("text,cron", [("Friday 18:00", "0 18 * * FRI"), ("fri 6pm", "0 18 * * FRI"),
                                       ("every Saturday at 9:30", "30 9 * * SAT"), ("0 18 * * FRI", "0 18 * * FRI"),
                                       ("sun 12am", "0 0 * * SUN")])
def test_a_start_is_a_weekday_and_time_or_a_crontab(text, cron):
    assert parse_when(text) == cron


@pytest.mark.parametrize("text,why", [("funday 18:00", "not a day of the week"), ("fri 25:00", "not a time of day"),
                                      ("fri 13pm", "1-12"), ("tomorrow", "5 fields")])
def test_a_bad_start_says_what_is_wrong(text, why):
    with pytest.raises(ValueError, match=why):
        parse_when(text)


def test_time_zones_are_iana_names_with_suggestions():
    assert get_timezone("europe/london").key == "Europe/London"
    with pytest.raises(ValueError, match="did you mean Europe/London"):
        get_timezone("Europe/Londn")
    with pytest.raises(ValueError, match="not a time zone"):
        get_timezone("GMT+25")
    assert timezone_choices("lond")[0] == "Europe/London"
    assert "America/New_York" in timezone_choices("new_y") and len(timezone_choices("a")) == 25
    assert "UTC" in timezone_choices("")


def test_latest_slot_is_the_due_time_within_the_window():
    trig = cron_trigger(FRIDAY_6PM, tz=UTC)
    fired = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    assert latest_slot(trig, fired, 3600) == fired
    assert latest_slot(trig, fired + timedelta(minutes=59), 3600) == fired
    assert latest_slot(trig, fired + timedelta(hours=2), 3600) is None
    assert latest_slot(trig, fired + timedelta(hours=20), 24 * 3600) == fired  # half of a 48-hour challenge
    assert latest_slot(trig, fired - timedelta(seconds=1), 3600) is None


# ---- the close estimate (pure) -----------------------------------------------------------------------

def test_production_is_the_80th_percentile_of_each_measured_stage_plus_a_margin():
    first = estimate_production([])
    assert (first.production_s, first.margin_s, first.jobs) == (600.0, 900.0, 0)
    samples = [{"cast": 10.0, "voice": 100.0 * i, "render": 1000.0 + i} for i in range(1, 11)]
    est = estimate_production(samples)
    assert est.stages == {"cast": 10.0, "voice": 800.0, "render": 1008.0}
    assert est.production_s == 1818.0 and est.margin_s == 909.0 and est.jobs == 10
    assert estimate_production([{"film": 60.0}]).margin_s == 900.0  # at least 15 minutes to spare


def test_the_vote_closes_when_production_must_start_but_stays_open_half_the_challenge():
    est = Estimate(production_s=1800.0, margin_s=900.0, jobs=3)
    remind, close = plan_times(0.0, 48 * 3600.0, est)
    assert close == 48 * 3600 - 2700 and remind == close - 3600
    remind, close = plan_times(0.0, 3600.0, est)  # a one-hour challenge: the estimate would leave no vote
    assert close == 1800.0 and remind == close - 180.0
    assert plan_times(0.0, 10.0, est, LifeConfig(min_vote_fraction=0.8))[1] == 8.0


def test_schedule_problem_names_the_setting():
    ok = load_settings(None, environ={"BENJAMIN_CHALLENGE_CRON": FRIDAY_6PM, "BENJAMIN_CHALLENGE_CHANNEL": "42"})
    assert ok.challenge_hours == 48 and schedule_problem(ok) is None
    assert schedule_problem(load_settings(None, environ={})) is None  # off
    bad = load_settings(None, environ={"BENJAMIN_CHALLENGE_CRON": "fridays", "BENJAMIN_CHALLENGE_CHANNEL": "42"})
    assert "BENJAMIN_CHALLENGE_CRON" in schedule_problem(bad)
    no_channel = load_settings(None, environ={"BENJAMIN_CHALLENGE_CRON": FRIDAY_6PM})
    assert "BENJAMIN_CHALLENGE_CHANNEL" in schedule_problem(no_channel)
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


# ---- the host-wide default (environment), real time -----------------------------------------------------

def env_stack(make_stack, d, **env):
    env = {"BENJAMIN_CHALLENGE_CRON": "* * * * *", "BENJAMIN_CHALLENGE_CHANNEL": str(d.default.general_id), **env}
    return make_stack(**env)


def test_the_env_schedule_is_the_servers_default_and_a_just_missed_start_is_caught_up_once(make_stack,
                                                                                         discord_double):
    d, w = discord_double, discord_double.default
    st = env_stack(make_stack, d, BENJAMIN_CHALLENGE_HOURS="72")
    sched = d.wait_for(lambda: get_schedule(st.db, w.guild_id), what="the env schedule row")
    assert (sched["origin"], sched["cron"], sched["channel_id"], sched["hours"]) == ("env", "* * * * *",
                                                                                   w.general_id, 72)
    [opened] = wait_msgs(d, w.general_id, lambda m: "72-hour challenge #1!" in m.content, what="the caught-up start")
    wait_msgs(d, w.general_id, is_ballot, what="its ballot")
    [row] = st.rows("select * from challenges")
    assert row["slot_ts"] % 60 == 0 and row["deadline"] == row["slot_ts"] + 72 * 3600
    nxt = d.invoke_slash("challenge", subcommand="next", user=w.member_id, channel_id=w.films_id).wait_original()
    assert "72-hour challenge starts" in nxt.content and f"<#{w.general_id}>" in nxt.content
    # an admin's /challenge unschedule outlives restarts: the env default does not come back
    d.invoke_slash("challenge", subcommand="unschedule", user=w.admin_id, channel_id=w.films_id).wait_original()
    st.stop_bot()
    st.start_bot()
    nxt = d.invoke_slash("challenge", subcommand="next", user=w.member_id, channel_id=w.films_id).wait_original()
    assert "No challenges are scheduled" in nxt.content
    assert len(posts(d, w.general_id, "challenge #1!")) == 1


def test_a_legacy_claimed_slot_is_not_set_again(make_stack, discord_double):
    d, w = discord_double, discord_double.default
    st = make_stack(start=False, BENJAMIN_CHALLENGE_CRON="0 0 1 1 *", BENJAMIN_CHALLENGE_CHANNEL=str(w.general_id))
    set_guild_setting(st.db, w.guild_id, "challenge_slot", {"ts": 1.7e9, "brief_id": 3})
    st.start_worker()
    st.start_bot()
    sched = d.wait_for(lambda: get_schedule(st.db, w.guild_id), what="the env schedule row")
    assert sched["last_slot_ts"] == 1.7e9


def test_an_invalid_env_cron_logs_one_error_and_the_bot_runs(make_stack, discord_double, caplog):
    d, w = discord_double, discord_double.default
    with caplog.at_level(logging.ERROR, logger="bot.cogs.challenge"):
        st = env_stack(make_stack, d, BENJAMIN_CHALLENGE_CRON="0 18 * * funday")
        nxt = d.invoke_slash("challenge", subcommand="next", user=w.member_id, channel_id=w.films_id).wait_original()
    errors = [r for r in caplog.records if r.name == "bot.cogs.challenge" and r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "BENJAMIN_CHALLENGE_CRON" in errors[0].getMessage()
    assert "No challenges are scheduled" in nxt.content and get_schedule(st.db, w.guild_id) is None
    d.invoke_slash("film", user=w.member_id, channel_id=w.films_id,
                   options={"title": "Still here", "line": "Hello", "prop": "a hat", "takes": 1})
    wait_msgs(d, w.films_id, is_ballot, what="a /film ballot")


def test_no_one_is_pinged_even_by_mention_text_in_the_lists(make_stack, discord_double, monkeypatch):
    d, w = discord_double, discord_double.default
    lists = ChallengeLists(titles=("@everyone, a film",), lines=(f"@here <@{w.member_id}> <@&{w.admin_role_id}>",),
                           props=("an @everyone badge",), science=("@here physics",))
    monkeypatch.setattr("studio.challenges.load_lists", lambda path=None: lists)
    monkeypatch.setattr("engine.challenge.load_lists", lambda path=None: lists)
    make_stack()
    d.invoke_slash("challenge", subcommand="start", user=w.admin_id, channel_id=w.general_id).wait_original()
    wait_msgs(d, w.general_id, is_ballot, what="the ballot")
    msgs = bot_msgs(d, w.general_id)
    assert any("challenge #1!" in m.content and "everyone" in m.content for m in msgs)
    for m in msgs:
        p = d.pings(m)
        assert not p.everyone and not p.users and not p.roles, m.content
