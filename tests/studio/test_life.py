"""A brief's life: only the written-down steps happen."""
from storage.briefs import create_brief, get_brief
from storage.db import open_db
from studio import life
from studio.briefs import start_brief


def _brief(db):
    return create_brief(db, {"title": "T", "lines": ["A line."]}, source="test")


def test_the_life_of_a_voted_film():
    db = open_db(None)
    b = _brief(db)
    for status in ("voting", "producing", "done", "posted"):
        assert life.move(db, b, status) and get_brief(db, b)["status"] == status


def test_a_step_that_is_not_in_the_life_is_refused_and_changes_nothing():
    db = open_db(None)
    b = _brief(db)
    assert not life.move(db, b, "posted")  # writing -> posted skips the film
    assert get_brief(db, b)["status"] == "writing"
    assert life.move(db, b, "failed")
    assert not life.move(db, b, "producing")  # failed is the end
    assert get_brief(db, b)["status"] == "failed"
    assert life.move(db, b, "failed")  # asking again (a resumed job) is fine
    assert not life.move(db, 999, "voting") and not life.move(db, None, "voting")


def test_every_status_in_storage_has_its_steps_written_down():
    from storage.briefs import STATUSES

    assert set(life.TRANSITIONS) == set(STATUSES)
    assert all(set(nxt) <= set(STATUSES) for nxt in life.TRANSITIONS.values())


def test_make_and_film_start_a_brief_through_the_same_function():
    db = open_db(None)
    voted = start_brief(db, {"title": "T", "lines": ["A line."]}, takes=2, source="slash", guild_id=1)
    made = start_brief(db, {"title": "T", "lines": ["A line."]}, takes=2, source="cli", produce={"max_mb": 5})
    from storage.jobs import get_job

    assert get_job(db, voted[1])["kind"] == "write" and get_job(db, made[1])["kind"] == "make"
    assert get_job(db, made[1])["payload"] == {"max_mb": 5, "brief": {"title": "T", "lines": ["A line."]}, "takes": 2}
    assert start_brief(db, {"title": "T", "lines": ["A"]}, takes=1, source="x", cap=1).startswith("You already have")
