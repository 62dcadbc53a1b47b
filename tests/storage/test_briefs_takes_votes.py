import pytest

from storage.briefs import (briefs_voting_due, create_brief, get_brief, set_brief_message, set_brief_status,
                            set_vote_deadline)
from storage.db import StorageError
from storage.takes import add_take, best_take, get_take, set_take_message, take_by_message, takes_for_brief
from storage.votes import cast_vote, tally, winner, withdraw_vote


def _brief_with_takes(db, n=3, scores=None):
    bid = create_brief(db, {"title": "T", "lines": ["Hello."], "props": ["a lamp"]}, guild_id=7, requester_id=9,
                       source="discord")
    ids = [add_take(db, bid, index=i, fountain_path=f"/f{i}.fountain", pdf_path=None, seed=i,
                    score=(scores or [0.1] * n)[i], summary={"pages": 1}) for i in range(n)]
    return bid, ids


def test_brief_round_trip_and_status(db):
    bid = create_brief(db, {"title": "T", "lines": ["L"]}, guild_id=1, channel_id=2, requester_id=3)
    row = get_brief(db, bid)
    assert row["brief"] == {"title": "T", "lines": ["L"]} and row["status"] == "writing"
    set_brief_status(db, bid, "voting")
    set_brief_message(db, bid, 555)
    assert get_brief(db, bid)["status"] == "voting" and get_brief(db, bid)["message_id"] == 555
    with pytest.raises(StorageError, match="status"):
        set_brief_status(db, bid, "lost")


def test_voting_due_only_past_deadlines(db):
    a = create_brief(db, {"title": "A"})
    b = create_brief(db, {"title": "B"})
    for bid, deadline in ((a, 100.0), (b, 300.0)):
        set_brief_status(db, bid, "voting")
        set_vote_deadline(db, bid, deadline)
    assert [r["id"] for r in briefs_voting_due(db, 200.0)] == [a]
    set_brief_status(db, a, "producing")
    assert briefs_voting_due(db, 200.0) == []


def test_add_take_is_idempotent_per_index(db):
    bid, ids = _brief_with_takes(db, 2)
    again = add_take(db, bid, index=1, fountain_path="/new.fountain", pdf_path="/p.pdf", seed=5, score=0.9,
                     summary={"x": 1})
    assert again == ids[1]
    takes = takes_for_brief(db, bid)
    assert [t["index"] for t in takes] == [0, 1]
    assert get_take(db, ids[1])["fountain_path"] == "/new.fountain" and get_take(db, ids[1])["summary"] == {"x": 1}
    set_take_message(db, ids[0], 42)
    assert take_by_message(db, 42)["id"] == ids[0] and take_by_message(db, 43) is None


def test_best_take_by_score(db):
    bid, ids = _brief_with_takes(db, 3, scores=[0.2, 0.8, 0.8])
    assert best_take(db, bid)["id"] == ids[1]  # tie -> lower index


def test_one_vote_per_user_and_moving_it(db):
    bid, (t0, t1, t2) = _brief_with_takes(db)
    cast_vote(db, bid, user_id=1, take_id=t0)
    cast_vote(db, bid, user_id=1, take_id=t0)  # the same vote twice counts once
    assert tally(db, bid) == {t0: 1, t1: 0, t2: 0}
    cast_vote(db, bid, user_id=1, take_id=t1)  # moving the vote
    cast_vote(db, bid, user_id=2, take_id=t1)
    assert tally(db, bid) == {t0: 0, t1: 2, t2: 0}
    assert not withdraw_vote(db, bid, user_id=1, take_id=t0)  # not the current vote: nothing removed
    assert withdraw_vote(db, bid, user_id=1, take_id=t1)
    assert tally(db, bid) == {t0: 0, t1: 1, t2: 0}


def test_winner_and_ties(db):
    bid, (t0, t1, t2) = _brief_with_takes(db)
    assert winner(db, bid) == t0  # no votes: lowest index
    cast_vote(db, bid, 1, t1)
    cast_vote(db, bid, 2, t2)
    assert winner(db, bid) == t1  # tie -> lowest index among the tied
    assert winner(db, bid, tiebreak_take_id=t2) == t2
    assert winner(db, bid, tiebreak_take_id=t0) == t1  # tiebreak not among the tied is ignored
    cast_vote(db, bid, 3, t2)
    assert winner(db, bid, tiebreak_take_id=t1) == t2
    empty = create_brief(db, {"title": "none"})
    assert winner(db, empty) is None
