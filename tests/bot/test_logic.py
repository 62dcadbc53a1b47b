"""The bot's storage-side logic (what each Discord event writes), on an in-memory database."""
import pytest

from bot.cogs.progress import EditThrottle
from bot.text import number_emoji
from storage import jobs
from storage.briefs import get_brief, set_brief_status
from storage.db import open_db
from storage.takes import add_take, set_take_message
from storage.votes import tally
from studio.briefs import start_brief
from studio.voting import close_vote, latest_voting_brief, more_takes, record_reaction

BRIEF = {"title": "T", "lines": ["L"], "props": ["P"]}
REQUESTER, ALICE, BOB = 100, 200, 300


@pytest.fixture
def db():
    return open_db(None)


def _voting_brief(db, n_takes=3):
    brief_id, job_id = start_brief(db, BRIEF, takes=n_takes, guild_id=1, channel_id=2, requester_id=REQUESTER,
                                   source="test", cap=0)
    assert jobs.claim(db, "w")["id"] == job_id and jobs.finish(db, job_id, {})
    takes = []
    for i in range(1, n_takes + 1):
        tid = add_take(db, brief_id, index=i, fountain_path=f"/x/{i}.fountain", pdf_path=None, seed=i, score=0.0)
        set_take_message(db, tid, 1000 + i)  # take i is posted as message 1000+i
        takes.append(tid)
    set_brief_status(db, brief_id, "voting")
    return brief_id, takes


def test_throttle_allows_one_edit_per_interval():
    t = EditThrottle(5.0)
    assert t.ready(1, 100.0)
    t.mark(1, 100.0)
    assert not t.ready(1, 104.9) and t.ready(2, 104.9)  # per job
    assert t.ready(1, 105.0)


def test_start_brief_queues_a_write_job_and_respects_the_user_cap(db):
    brief_id, job_id = start_brief(db, BRIEF, takes=2, guild_id=1, channel_id=2, requester_id=ALICE,
                                   source="slash", cap=1)
    job = jobs.get_job(db, job_id)
    assert job["kind"] == "write" and job["payload"] == {"brief_id": brief_id, "takes": 2}
    assert get_brief(db, brief_id)["status"] == "writing"
    refused = start_brief(db, BRIEF, takes=2, guild_id=1, channel_id=2, requester_id=ALICE, source="slash", cap=1)
    assert isinstance(refused, str) and "limit is 1" in refused
    assert len(list(db.query("select id from briefs"))) == 1  # the refusal stored nothing


def test_same_user_twice_counts_once_and_a_new_reaction_moves_the_vote(db):
    brief_id, (t1, t2, t3) = _voting_brief(db)
    assert record_reaction(db, 1001, ALICE, 1, True) == "cast"
    assert record_reaction(db, 1001, ALICE, 1, True) == "cast"
    assert tally(db, brief_id) == {t1: 1, t2: 0, t3: 0}
    record_reaction(db, 1002, ALICE, 2, True)  # moves
    assert tally(db, brief_id) == {t1: 0, t2: 1, t3: 0}
    # removing the old reaction does not withdraw the moved vote
    assert record_reaction(db, 1001, ALICE, 1, False) is None
    assert tally(db, brief_id)[t2] == 1
    assert record_reaction(db, 1002, ALICE, 2, False) == "withdrawn"
    assert sum(tally(db, brief_id).values()) == 0


def test_other_emoji_wrong_numbers_and_closed_votes_are_not_votes(db):
    brief_id, (t1, _, _) = _voting_brief(db)
    assert record_reaction(db, 1001, ALICE, None, True) is None
    assert record_reaction(db, 1001, ALICE, 2, True) is None  # take 1's message, number 2
    assert record_reaction(db, 999, ALICE, 1, True) is None  # not a take message
    set_brief_status(db, brief_id, "producing")
    assert record_reaction(db, 1001, BOB, 1, True) is None
    assert sum(tally(db, brief_id).values()) == 0


def test_close_picks_the_winner_once_and_ties_go_to_the_requester(db):
    brief_id, (t1, t2, t3) = _voting_brief(db)
    record_reaction(db, 1001, ALICE, 1, True)
    record_reaction(db, 1003, BOB, 3, True)
    record_reaction(db, 1003, REQUESTER, 3, True)
    record_reaction(db, 1001, 400, 1, True)  # 2-2 tie between takes 1 and 3
    assert latest_voting_brief(db, 2)["id"] == brief_id
    out = close_vote(db, brief_id, max_mb=9.0)
    assert out["take"] == t3  # the requester voted 3
    job = jobs.get_job(db, out["job_id"])
    assert job["kind"] == "film" and job["payload"] == {"brief_id": brief_id, "take_id": t3, "max_mb": 9.0,
                                                        "cast_guild_id": 1}
    assert job["requester_id"] == REQUESTER and get_brief(db, brief_id)["status"] == "producing"
    assert close_vote(db, brief_id, max_mb=9.0) is None  # a second close (button + deadline) does nothing
    assert len([j for j in jobs.queue(db) if j["kind"] == "film"]) == 1


def test_more_takes_is_capped_per_brief(db):
    brief_id, _ = _voting_brief(db, n_takes=2)
    n, job_id = more_takes(db, brief_id, ALICE, max_takes=3, cap=5)
    assert n == 3 and jobs.get_job(db, job_id)["payload"]["start_index"] == 2
    refused = more_takes(db, brief_id, BOB, max_takes=3, cap=5)  # 2 written + 1 on the way = 3
    assert isinstance(refused, str) and "limit is 3" in refused
    set_brief_status(db, brief_id, "producing")
    assert "closed" in more_takes(db, brief_id, BOB, max_takes=9, cap=5)


def test_reconcile_votes_matches_the_reactions(db):
    from studio.voting import reconcile_votes
    from storage.votes import cast_vote, user_vote

    brief_id, (t1, t2, t3) = _voting_brief(db)
    cast_vote(db, brief_id, ALICE, t1)  # still reacting 1: kept
    cast_vote(db, brief_id, BOB, t2)  # took the reaction away while the bot was down: withdrawn
    changed = reconcile_votes(db, brief_id, {ALICE: [t1, t3], 400: [t2, t3]})
    assert changed == 2
    assert user_vote(db, brief_id, ALICE) == t1
    assert user_vote(db, brief_id, BOB) is None
    assert user_vote(db, brief_id, 400) == t3  # new: their last reacted take
    assert reconcile_votes(db, brief_id, {ALICE: [t1, t3], 400: [t2, t3]}) == 0


def test_a_ballot_opens_the_vote_extends_it_for_a_late_take_and_never_reopens_a_closed_one():
    from studio.voting import EXTRA_TAKE_VOTE_S, open_ballot

    db = open_db(None)
    brief_id, _job = start_brief(db, BRIEF, takes=1, guild_id=1, channel_id=2, requester_id=REQUESTER,
                                 source="test", cap=0, vote_seconds=50)
    add_take(db, brief_id, index=1, fountain_path="/x/1.fountain", pdf_path=None, seed=1, score=0.0)
    row = open_ballot(db, brief_id, 1000.0, vote_s=600)
    assert row["status"] == "voting" and row["vote_deadline"] == 1050.0  # the brief's own vote length
    assert open_ballot(db, brief_id, 1040.0, vote_s=600)["vote_deadline"] == 1040.0 + min(50, EXTRA_TAKE_VOTE_S)
    assert close_vote(db, brief_id, max_mb=8.0) is not None  # closed while a late take was being posted
    assert open_ballot(db, brief_id, 1045.0, vote_s=600) is None
    assert get_brief(db, brief_id)["status"] == "producing" and get_brief(db, brief_id)["vote_deadline"] == 1090.0


def test_a_failed_extra_take_keeps_the_vote_but_a_failed_first_write_ends_the_brief(monkeypatch, tmp_path):
    import studio.compute as compute
    import studio.handlers as runner
    from bot.settings import load_settings
    from engine.errors import EngineError

    def fails(*args, **kwargs):
        raise EngineError("the writer ran out of memory")

    monkeypatch.setattr(compute, "write", fails)
    db = open_db(None)
    settings = load_settings(None, environ={"BENJAMIN_HOME": str(tmp_path)})
    voting, _takes = _voting_brief(db, n_takes=2)
    writing, _job = start_brief(db, BRIEF, takes=1, guild_id=1, channel_id=2, requester_id=ALICE, source="test", cap=0)
    for brief_id in (voting, writing):
        job = {"id": 0, "kind": "write", "brief_id": brief_id, "guild_id": 1, "payload": {"brief_id": brief_id, "takes": 1}}
        ctx = runner.JobContext(settings=settings, db=db, job=job, job_dir=tmp_path, on_progress=lambda p: None)
        with pytest.raises(EngineError):
            runner.run_job(ctx)
    assert get_brief(db, voting)["status"] == "voting"  # its takes can still be voted on and produced
    assert get_brief(db, writing)["status"] == "failed"


def test_a_smaller_render_is_queued_within_the_cap():
    from studio.requests import queue_smaller

    db = open_db(None)
    brief_id, takes = _voting_brief(db, n_takes=1)
    job = {"requester_id": REQUESTER, "guild_id": 1, "channel_id": 2, "brief_id": brief_id}
    first = queue_smaller(db, job, {"take_id": takes[0], "smaller": True}, ALICE, cap=1)
    assert jobs.get_job(db, first)["payload"]["smaller"] is True and jobs.get_job(db, first)["requester_id"] == REQUESTER
    assert isinstance(queue_smaller(db, job, {}, REQUESTER, cap=2), int)  # the requester now has two jobs
    assert "the limit is 2" in queue_smaller(db, job, {}, REQUESTER, cap=2)  # so another click is refused
