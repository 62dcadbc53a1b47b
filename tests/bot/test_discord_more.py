"""Votes, mentions, @everyone, throttled progress, cancel, more takes and restarts, against the double."""
from __future__ import annotations

import threading

import studio.worker
from bot.text import number_emoji
from storage.briefs import get_brief
from storage.jobs import get_job
from storage.votes import tally, user_vote
from tests.bot.test_discord_flow import bot_msgs, custom_ids, is_ballot, is_take, start_film, wait_msgs


def _voting(d, st, user, takes=2, **opts):
    ack = start_film(d, user, takes=takes, **opts)
    brief_id = int(ack.content.split("Brief #")[1].split()[0])
    ballot = wait_msgs(d, d.default.films_id, lambda m: is_ballot(m) and f"brief #{brief_id}" in m.content)[0]
    takes = [m for m in bot_msgs(d, d.default.films_id, is_take)]
    return brief_id, ballot, takes


def test_vote_edge_cases_over_the_gateway(make_stack, discord_double):
    d, w = discord_double, discord_double.default
    st = make_stack()
    brief_id, _ballot, (m1, m2) = _voting(d, st, w.member_id)
    t1, t2 = sorted(tally(st.db, brief_id))
    ch, mo = w.films_id, w.other_member_id

    d.user_reacts(ch, m1.id, mo, number_emoji(1))
    d.wait_for(lambda: user_vote(st.db, brief_id, mo) == t1, what="vote on take 1")
    d.user_reacts(ch, m1.id, mo, "👍")  # not a vote
    d.user_reacts(ch, m2.id, mo, number_emoji(2))  # moves the vote
    d.wait_for(lambda: user_vote(st.db, brief_id, mo) == t2, what="vote moved")
    d.user_unreacts(ch, m1.id, mo, number_emoji(1))  # removing the old reaction keeps the moved vote
    d.user_reacts(ch, m1.id, w.admin_id, number_emoji(1))  # a later event, to know the one before was handled
    d.wait_for(lambda: user_vote(st.db, brief_id, w.admin_id) == t1, what="admin vote")
    assert tally(st.db, brief_id) == {t1: 1, t2: 1}
    d.user_unreacts(ch, m2.id, mo, number_emoji(2))  # withdraws
    d.wait_for(lambda: user_vote(st.db, brief_id, mo) is None, what="vote withdrawn")
    assert tally(st.db, brief_id) == {t1: 1, t2: 0}


def test_mention_form_says_what_it_understood(make_stack, discord_double):
    d, w = discord_double, discord_double.default
    st = make_stack()
    d.user_sends_message(w.general_id, w.member_id, "make a film called “Low Tide” where someone says "
                         "'The sea took the road' and there is a paper boat, 2 takes", mentions_bot=True)
    reply = wait_msgs(d, w.general_id, lambda m: "understood" in m.content, what="reply")[0]
    assert "Low Tide" in reply.content and "The sea took the road" in reply.content and "a paper boat" in reply.content
    brief = st.rows("select * from briefs")[0]
    assert brief["source"] == "mention" and brief["requester_id"] == w.member_id
    wait_msgs(d, w.general_id, is_take, n=2, what="takes from the mention")
    # something missing: the bot asks instead of guessing, and stores nothing
    d.user_sends_message(w.general_id, w.other_member_id, "make a film called Fog", mentions_bot=True)
    ask = wait_msgs(d, w.general_id, lambda m: "I still need" in m.content, what="question")[0]
    assert "line" in ask.content and "prop" in ask.content
    assert len(st.rows("select id from briefs")) == 1


def test_a_long_mention_still_gets_an_answer(make_stack, discord_double):
    d, w = discord_double, discord_double.default
    st = make_stack()
    said = " ".join(f"and someone says '{chr(65 + i)} {'*' * 250}'" for i in range(7))  # ~1900 characters
    d.user_sends_message(w.general_id, w.member_id, f"make a film called Echo {said}", mentions_bot=True)
    ask = wait_msgs(d, w.general_id, lambda m: "I still need" in m.content, what="question")[0]
    assert "Echo" in ask.content and "more" in ask.content and len(ask.content) <= 2000
    d.user_sends_message(w.general_id, w.member_id, f"make a film called Echo {said} and there is a bell",
                         mentions_bot=True)
    refusal = wait_msgs(d, w.general_id, lambda m: "can't use it" in m.content, what="refusal")[0]
    assert "at most 5 required lines" in refusal.content and len(refusal.content) <= 2000
    assert st.rows("select id from briefs") == []


def test_everyone_in_a_brief_does_not_ping(make_stack, discord_double):
    d, w = discord_double, discord_double.default
    st = make_stack()
    role = f"<@&{w.admin_role_id}>"
    ack = start_film(d, w.member_id, title="@everyone party", line=f"@here come {role} now", prop="a @everyone horn")
    wait_msgs(d, w.films_id, is_ballot, what="ballot")
    d.user_sends_message(w.general_id, w.member_id, f"film called @everyone where someone says '@here {role}' "
                         "and there is a @everyone drum", mentions_bot=True)
    wait_msgs(d, w.general_id, lambda m: "understood" in m.content, what="mention reply")
    sent = bot_msgs(d, w.films_id) + bot_msgs(d, w.general_id) + [ack]
    assert len(sent) >= 5 and any("@" in m.content and "everyone" in m.content for m in sent)
    for m in sent:
        pings = d.pings(m)
        assert not d.pings_everyone(m), m.content
        assert not pings.roles, m.content
    assert st.rows("select count(*) as n from briefs")[0]["n"] == 2


def test_progress_edits_are_throttled(make_stack, discord_double, fake_jobs, monkeypatch):
    d, w = discord_double, discord_double.default
    monkeypatch.setattr(studio.worker, "PROGRESS_EVERY_S", 0.0)  # the worker stores every report
    fake_jobs.film_steps = 60  # 60 reports, 0.05 s apart
    st = make_stack(BENJAMIN_PROGRESS_EDIT_SECONDS="1.0")
    brief_id, ballot, _ = _voting(d, st, w.member_id)
    d.click_button(ballot.id, f"benjamin:vote:close:{brief_id}", w.member_id)
    wait_msgs(d, w.films_id, lambda m: any(a.filename.endswith(".mp4") for a in m.attachments), what="film")
    progress = bot_msgs(d, w.films_id, lambda m: m.content.startswith("🎬 **film**"))[0]
    times = [e.at for e in progress.edits]
    assert len(times) >= 2  # it did move: e.g. 0% → 40% → done
    assert len(times) < 20  # far fewer edits than the 60 progress reports
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert min(gaps) >= 0.9, gaps  # at most one edit per BENJAMIN_PROGRESS_EDIT_SECONDS (network jitter aside)
    assert "%" in " ".join(e.content for e in progress.edits) and "done" in progress.content


def test_cancel_own_job_only(make_stack, discord_double, fake_jobs):
    d, w = discord_double, discord_double.default
    fake_jobs.film_gate = threading.Event()  # the film waits until cancelled
    st = make_stack()
    brief_id, ballot, _ = _voting(d, st, w.member_id)
    d.click_button(ballot.id, f"benjamin:vote:close:{brief_id}", w.member_id)
    job_id = d.wait_for(lambda: next((j["id"] for j in st.rows("select * from jobs where kind='film' and "
                                                                "status='running'")), None), what="film running")
    other = d.invoke_slash("cancel", user=w.other_member_id, channel_id=w.films_id, options={"job": job_id})
    assert "not yours" in other.wait_original().content
    assert get_job(st.db, job_id)["status"] == "running"
    mine = d.invoke_slash("cancel", user=w.member_id, channel_id=w.films_id, options={"job": job_id})
    assert f"Cancelled job #{job_id}" in mine.wait_original().content
    note = wait_msgs(d, w.films_id, lambda m: "was cancelled" in m.content, what="cancel notice")[0]
    assert f"job #{job_id}" in note.content
    assert get_job(st.db, job_id)["status"] == "cancelled"
    assert d.wait_for(lambda: get_brief(st.db, brief_id)["status"] == "cancelled", what="brief cancelled")


def test_more_takes_join_the_vote_up_to_the_cap(make_stack, discord_double):
    d, w = discord_double, discord_double.default
    st = make_stack(BENJAMIN_MAX_TAKES="3")
    brief_id, ballot, _ = _voting(d, st, w.member_id)
    d.click_button(ballot.id, f"benjamin:takes:more:{brief_id}", w.other_member_id)
    take3 = wait_msgs(d, w.films_id, lambda m: m.content.startswith("**Take 3**"), what="take 3")[0]
    new_ballot = d.wait_for(lambda: [m for m in bot_msgs(d, w.films_id, is_ballot) if m.id != ballot.id],
                            what="new ballot")[0]
    assert custom_ids(new_ballot) == [f"benjamin:vote:close:{brief_id}"]  # at the cap: no more 🔄
    assert d.message(ballot.id).deleted
    d.user_reacts(w.films_id, take3.id, w.other_member_id, number_emoji(3))
    d.wait_for(lambda: max(tally(st.db, brief_id).values()) == 1, what="vote on take 3")
    assert len(st.rows("select id from jobs where kind='write'")) == 2


def test_vote_closes_itself_at_the_deadline(make_stack, discord_double):
    d, w = discord_double, discord_double.default
    st = make_stack(BENJAMIN_VOTE_SECONDS="1")
    brief_id, _, (m1, m2) = _voting(d, st, w.member_id)
    d.user_reacts(w.films_id, m2.id, w.other_member_id, number_emoji(2))
    closed = wait_msgs(d, w.films_id, lambda m: "time is up" in m.content, what="deadline")[0]
    assert "**Take 2** wins" in closed.content
    film = d.wait_for(lambda: st.rows("select payload from jobs where kind='film'"), what="film job")
    assert '"take_id"' in film[0]["payload"]


def test_a_take_full_of_code_fences_is_still_posted(make_stack, discord_double, fake_jobs):
    d, w = discord_double, discord_double.default

    def write(ctx):  # a take whose page is all ``` (each is longer once neutralised in the excerpt)
        out = fake_jobs.write(ctx)
        for f in ctx.job_dir.glob("take*.fountain"):
            f.write_text("INT. ROOM - DAY\n\n" + ("`" * 90 + "\n") * 40, encoding="utf-8")
        return out

    make_stack(handlers={"write": write, "film": fake_jobs.film})
    start_film(d, w.member_id, title="*" * 100, takes=1)
    take = wait_msgs(d, w.films_id, is_take, what="the take")[0]
    assert len(take.content) <= 2000 and take.content.endswith("```") and "INT. ROOM" in take.content
    wait_msgs(d, w.films_id, is_ballot, what="the ballot")


def test_delivery_keeps_going_when_storage_fails_while_giving_up(make_stack, discord_double, monkeypatch):
    import sqlite3

    import storage.jobs
    from tests.discord_double.state import SEND_MESSAGES

    d, w = discord_double, discord_double.default
    real, calls = storage.jobs.mark_posted, []

    def flaky(db, job_id, message_id=None):  # the database is locked the first time
        calls.append(job_id)
        if len(calls) == 1:
            raise sqlite3.OperationalError("database is locked")
        return real(db, job_id, message_id)

    monkeypatch.setattr(storage.jobs, "mark_posted", flaky)
    st = make_stack()
    d.set_channel_permissions(w.films_id, w.bot_role_id, deny=SEND_MESSAGES)  # the takes cannot be posted
    start_film(d, w.member_id, takes=1)
    d.wait_for(lambda: st.rows("select id from jobs where kind = 'write' and posted_at is not null"),
               what="the undeliverable job given up on, after a failed first try")
    assert len(calls) >= 2


def test_an_admin_of_another_server_cannot_close_or_cancel_here(make_stack, discord_double, fake_jobs):
    from tests.discord_double.state import ADMINISTRATOR

    d, w = discord_double, discord_double.default
    fake_jobs.film_gate = threading.Event()  # the film waits until cancelled
    st = make_stack(start=False)
    other_guild = d.create_guild("Elsewhere", w.other_member_id)
    admin_role = d.create_role(other_guild, "Boss", ADMINISTRATOR)
    d.add_member(other_guild, w.other_member_id, roles=[admin_role])
    elsewhere = d.create_channel(other_guild, "films")
    st.start_worker()
    st.start_bot()
    brief_id, ballot, _ = _voting(d, st, w.member_id)
    h = d.invoke_slash("produce", user=w.other_member_id, channel_id=elsewhere, options={"brief": brief_id})
    assert f"no open vote for brief #{brief_id}" in h.wait_original().content
    assert get_brief(st.db, brief_id)["status"] == "voting"
    d.click_button(ballot.id, f"benjamin:vote:close:{brief_id}", w.member_id)
    job_id = d.wait_for(lambda: next((j["id"] for j in st.rows("select * from jobs where kind='film' and "
                                                                "status='running'")), None), what="film running")
    for name, opts in (("cancel", {}), ("job", {"subcommand": "info"})):
        h = d.invoke_slash(name, user=w.other_member_id, channel_id=elsewhere, options={"job": job_id}, **opts)
        assert f"There is no job #{job_id} here." in h.wait_original().content
    assert get_job(st.db, job_id)["status"] == "running"
    fake_jobs.film_gate.set()


def test_progress_forgets_jobs_once_they_are_reported(make_stack, discord_double, fake_jobs):
    d, w = discord_double, discord_double.default
    fake_jobs.film_steps = 6
    st = make_stack()
    brief_id, ballot, _ = _voting(d, st, w.member_id)
    d.click_button(ballot.id, f"benjamin:vote:close:{brief_id}", w.member_id)
    wait_msgs(d, w.films_id, lambda m: any(a.filename.endswith(".mp4") for a in m.attachments), what="the film")
    cog = st.bot.client.get_cog("Progress")

    async def remembered():
        return set(cog._shown) | set(cog._preview) | cog._final | set(cog.throttle._last)

    assert st.rows("select id from jobs where progress_message_id is not null")  # it did track them
    d.wait_for(lambda: not st.bot.call(remembered()), what="progress state dropped for reported jobs")


def test_a_deleted_progress_message_that_cannot_be_reposted_does_not_hold_up_the_result(make_stack, discord_double,
                                                                                         fake_jobs):
    from tests.discord_double.state import SEND_MESSAGES

    d, w = discord_double, discord_double.default
    fake_jobs.film_gate = threading.Event()
    st = make_stack()
    brief_id, ballot, _ = _voting(d, st, w.member_id)
    d.click_button(ballot.id, f"benjamin:vote:close:{brief_id}", w.member_id)
    job = d.wait_for(lambda: next(iter(st.rows("select * from jobs where kind = 'film' and progress_message_id "
                                               "is not null")), None), what="the film's progress message")
    d.user_deletes_message(job["progress_message_id"])
    d.set_channel_permissions(w.films_id, w.bot_role_id, deny=SEND_MESSAGES)
    fake_jobs.film_gate.set()
    d.wait_for(lambda: st.rows("select id from jobs where id = ? and posted_at is not null", [job["id"]]),
               what="the film job reported (given up on, as the channel refuses posts)")
