"""/challenge commands a person can get wrong: one clear message each, nothing half-done; and the server's pool."""
from __future__ import annotations

import pytest

from storage.briefs import get_brief
from storage.jobs import get_job
from tests.bot.challenge_helpers import FRIDAY_1759, FakeClock, bot_msgs, challenge, is_ballot, start_stack, wait_msgs
from tests.discord_double.state import ATTACH_FILES, SEND_MESSAGES


def slash(d, sub, user, channel_id, **options):
    return d.invoke_slash("challenge", subcommand=sub, user=user, channel_id=channel_id,
                          options=options).wait_original().content


@pytest.fixture
def st(make_stack):
    return start_stack(make_stack, FakeClock(FRIDAY_1759))


@pytest.mark.parametrize("sub,options", [("start", {}), ("schedule", {"when": "Friday 18:00", "timezone": "UTC"}),
                                         ("unschedule", {}), ("end", {}), ("pool add", {"kind": "title", "text": "X"}),
                                         ("pool remove", {"kind": "title", "text": "Static"})])
def test_admin_commands_refuse_members(st, discord_double, sub, options):
    d, w = discord_double, discord_double.default
    assert "Only an admin (Manage Server)" in slash(d, sub, w.member_id, w.general_id, **options)
    assert st.rows("select * from challenges") == [] and st.rows("select * from challenge_schedules") == []
    assert st.rows("select * from challenge_pool") == []


@pytest.mark.parametrize("when,tz,why", [("every friday", "UTC", "5 fields"), ("0 25 * * *", "UTC", "valid crontab"),
                                         ("funday 18:00", "UTC", "not a day of the week"),
                                         ("Friday 18:00", "Mars/Olympus_Mons", "not a time zone name"),
                                         ("Friday 18:00", "Europe/Londn", "did you mean Europe/London")])
def test_a_bad_schedule_is_one_clear_message_and_nothing_stored(st, discord_double, when, tz, why):
    d, w = discord_double, discord_double.default
    assert why in slash(d, "schedule", w.admin_id, w.general_id, when=when, timezone=tz)
    assert st.rows("select * from challenge_schedules") == []


def test_time_zones_autocomplete(st, discord_double):
    d, w = discord_double, discord_double.default
    handle = d.autocomplete("challenge", "timezone", "lond", user=w.admin_id, channel_id=w.general_id,
                            subcommand="schedule", options={"when": "Friday 18:00"})
    assert handle.wait_response() and handle.choices[0] == {"name": "Europe/London", "value": "Europe/London"}


def test_a_channel_the_bot_cannot_post_in_names_the_missing_permissions(st, discord_double):
    d, w = discord_double, discord_double.default
    d.set_channel_permissions(w.films_id, w.bot_role_id, deny=SEND_MESSAGES | ATTACH_FILES)
    d.wait_for(lambda: st.bot.call(lambda: _cannot_send(st, w)), what="the overwrite to reach the bot")
    for sub, opts in (("start", {}), ("schedule", {"when": "Friday 18:00", "timezone": "UTC"})):
        text = slash(d, sub, w.admin_id, w.general_id, channel=w.films_id, **opts)
        assert f"I can't run a challenge in <#{w.films_id}>" in text
        assert "**Send Messages**, **Attach Files** permission(s)" in text
    assert st.rows("select * from challenges") == [] and st.rows("select * from challenge_schedules") == []


async def _cannot_send(st, w):
    ch = st.bot.client.get_channel(w.films_id)
    return not ch.permissions_for(ch.guild.me).send_messages


def test_one_challenge_per_channel_and_a_brief_is_whole_or_drawn(st, discord_double):
    d, w = discord_double, discord_double.default
    assert "Give a title, a line and a prop together" in slash(d, "start", w.admin_id, w.general_id, title="Only")
    ok = slash(d, "start", w.admin_id, w.general_id, title="Tin Heart", line="Wind me up", prop="a key", hours=2)
    assert "Challenge #1 started" in ok
    brief = get_brief(st.db, challenge(st)["brief_id"])["brief"]
    assert (brief["title"], brief["lines"], brief["props"]) == ("Tin Heart", ["Wind me up"], ["a key"])
    assert challenge(st)["deadline"] - challenge(st)["opened_at"] == 7200
    again = slash(d, "start", w.admin_id, w.general_id)
    assert "Challenge #1 is already running in" in again and "`/challenge end`" in again
    assert len(st.rows("select * from challenges")) == 1 and len(st.rows("select * from briefs")) == 1
    assert "Challenge #2 started" in slash(d, "start", w.admin_id, w.films_id)  # another channel is free
    wait_msgs(d, w.films_id, is_ballot, what="its ballot")  # (stopping the bot mid-upload upsets the double)
    wait_msgs(d, w.general_id, is_ballot, what="the first one's ballot")


def test_the_servers_pool_is_its_own_and_an_empty_one_is_refused(st, discord_double):
    d, w = discord_double, discord_double.default
    listed = slash(d, "pool list", w.member_id, w.general_id, kind="title")
    assert "in the shipped pool" in listed and "Static" in listed
    assert "Added to this server's titles" in slash(d, "pool add", w.admin_id, w.general_id, kind="title",
                                                   text="Moon Laundry")
    assert "already one of" in slash(d, "pool add", w.admin_id, w.general_id, kind="title", text="Moon Laundry")
    listed = slash(d, "pool list", w.member_id, w.general_id, kind="title")
    assert "this server's own pool" in listed and "Moon Laundry" in listed and "Static" in listed
    handle = d.autocomplete("challenge", "text", "laund", user=w.admin_id, channel_id=w.general_id,
                            subcommand="pool remove", options={"kind": "title"})
    handle.wait_response()
    assert handle.choices == [{"name": "Moon Laundry", "value": "Moon Laundry"}]

    st.db.execute("DELETE FROM challenge_pool WHERE kind = 'title' AND text != 'Moon Laundry'")
    slash(d, "start", w.admin_id, w.general_id)
    assert get_brief(st.db, challenge(st)["brief_id"])["brief"]["title"] == "Moon Laundry"  # drawn from its pool
    wait_msgs(d, w.general_id, is_ballot, what="the ballot")
    removed = slash(d, "pool remove", w.admin_id, w.general_id, kind="title", text="Moon Laundry")
    assert "No titles are left: challenges cannot start until one is added" in removed
    empty = slash(d, "start", w.admin_id, w.films_id)
    assert "This server's challenge pool has no titles" in empty and "`/challenge pool add`" in empty
    assert len(st.rows("select * from challenges")) == 1 and len(st.rows("select * from briefs")) == 1
    assert "not one of this server's titles" in slash(d, "pool remove", w.admin_id, w.general_id, kind="title",
                                                      text="Moon Laundry")


def test_ending_asks_first_and_then_stops_everything(st, discord_double, fake_jobs):
    d, w = discord_double, discord_double.default
    assert "no running challenge here" in slash(d, "end", w.admin_id, w.general_id)
    slash(d, "start", w.admin_id, w.general_id)
    wait_msgs(d, w.general_id, is_ballot, what="the ballot")
    ask = d.invoke_slash("challenge", subcommand="end", user=w.admin_id, channel_id=w.general_id).wait_original()
    assert "End challenge #1" in ask.content and "no film" in ask.content
    end_id, keep_id = [c["custom_id"] for c in ask.components[0]["components"]]
    d.click_button(ask.id, keep_id, w.admin_id).wait_response()
    assert challenge(st)["phase"] == "open"
    ask = d.invoke_slash("challenge", subcommand="end", user=w.admin_id, channel_id=w.general_id).wait_original()
    end_id = ask.components[0]["components"][0]["custom_id"]
    d.click_button(ask.id, end_id, w.admin_id).wait_response()
    d.wait_for(lambda: challenge(st)["phase"] == "ended", what="the end")
    ch = challenge(st)
    assert ch["ended_by"] == w.admin_id and get_brief(st.db, ch["brief_id"])["status"] == "cancelled"
    assert all(get_job(st.db, j["id"])["status"] in ("done", "cancelled") for j in st.rows("select id from jobs"))
    [said] = d.wait_for(lambda: bot_msgs(d, w.general_id, lambda m: "was ended early" in m.content), what="the end")
    assert not d.pings(said).users
    status = slash(d, "status", w.member_id, w.general_id)
    assert "**ended early**" in status


def test_a_scheduled_start_while_the_last_one_runs_is_skipped_once_saying_why(st, discord_double):
    from tests.bot.challenge_helpers import FRIDAY_6PM, posts, schedule, wake

    d, w = discord_double, discord_double.default
    schedule(d, w.admin_id, w.general_id, when="0 18 * * *", tz="Europe/London", hours=48)  # daily, 48 h each
    wake(st, FRIDAY_6PM + 1)
    wake(st, FRIDAY_6PM + 86400 + 1)
    wake(st, FRIDAY_6PM + 86400 + 60)
    [skipped] = posts(d, w.general_id, "scheduled challenge was skipped")
    assert "Challenge #1 is already running" in skipped.content
    assert len(st.rows("select * from challenges")) == 1
    wait_msgs(d, w.general_id, is_ballot, what="the ballot")
