"""storage.challenges: schedules, one challenge per channel, steps claimed once, held films, stage samples, pools."""
from __future__ import annotations

import pytest

from storage import jobs
from storage.briefs import create_brief
from storage.challenges import (active_in_channel, claim_slot, claim_step, create_challenge, disable_schedule,
                                film_stage_samples, get_challenge, get_schedule, held_film_job_ids, pool_add,
                                pool_lists, pool_remove, set_schedule, sync_env_schedule)
from storage.db import StorageError

SHIPPED = {"title": ["A", "B"], "line": ["l"], "prop": ["p"], "science": []}


def new_challenge(db, channel_id=10, guild_id=1):
    brief_id = create_brief(db, {"title": "T"}, guild_id=guild_id, channel_id=channel_id)
    return create_challenge(db, guild_id=guild_id, channel_id=channel_id, brief_id=brief_id, opened_at=0.0,
                            remind_at=50.0, close_at=60.0, deadline=100.0, estimate={"production_s": 1})


def test_a_server_has_one_schedule_and_its_admins_win_over_the_env_default(db):
    env = sync_env_schedule(db, 1, channel_id=10, cron="0 18 * * FRI", timezone="UTC", hours=48, last_slot_ts=5.0)
    assert (env["origin"], env["last_slot_ts"]) == ("env", 5.0)
    assert claim_slot(db, env["id"], 7.0) and not claim_slot(db, env["id"], 7.0) and not claim_slot(db, env["id"], 6.0)
    own = set_schedule(db, 1, channel_id=11, cron="0 9 * * MON", timezone="Europe/London", hours=24, created_by=3)
    assert own["id"] == env["id"] and own["origin"] == "discord" and own["last_slot_ts"] == 7.0
    assert sync_env_schedule(db, 1, channel_id=10, cron="* * * * *", timezone="UTC", hours=1)["cron"] == "0 9 * * MON"
    assert disable_schedule(db, 1) and not disable_schedule(db, 1)
    assert sync_env_schedule(db, 1, channel_id=10, cron="* * * * *", timezone="UTC", hours=1) is None  # stays off
    assert not claim_slot(db, own["id"], 99.0)  # a disabled schedule claims nothing
    assert get_schedule(db, 2) is None


def test_one_running_challenge_per_channel_and_each_step_is_claimed_once(db):
    cid = new_challenge(db)
    with pytest.raises(StorageError, match="already running"):
        new_challenge(db)
    assert new_challenge(db, channel_id=11)  # another channel
    assert claim_step(db, cid, "announced_at", 1.0) and not claim_step(db, cid, "announced_at", 2.0)
    assert get_challenge(db, cid)["announced_at"] == 1.0
    assert claim_step(db, cid, "closed_at", 60.0, phases=("open",), phase="producing")
    assert not claim_step(db, cid, "reminded_at", 61.0, phases=("open",))  # no longer open
    assert claim_step(db, cid, "ended_at", 70.0, phase="ended", ended_by=4)
    assert active_in_channel(db, 10) is None and get_challenge(db, cid)["ended_by"] == 4
    with pytest.raises(StorageError):
        claim_step(db, cid, "phase", 1.0)
    with pytest.raises(StorageError):
        claim_step(db, cid, "premiered_at", 1.0, phase="bogus")


def test_only_a_running_challenges_finished_film_is_held_back(db):
    cid = new_challenge(db)
    brief_id = get_challenge(db, cid)["brief_id"]
    film = jobs.enqueue(db, "film", {"brief_id": brief_id}, brief_id=brief_id, channel_id=10)
    other = jobs.enqueue(db, "film", {"brief_id": 99}, brief_id=None, channel_id=10)
    assert held_film_job_ids(db) == set()  # not finished: nothing to hold
    for j in (film, other):
        jobs.claim(db, "w")
        jobs.finish(db, j, {})
    assert held_film_job_ids(db) == {film}
    claim_step(db, cid, "premiered_at", 100.0)
    db["challenges"].update(cid, {"phase": "premiered"})
    assert held_film_job_ids(db) == set()


def test_stage_samples_measure_each_stage_of_finished_films(db):
    j = jobs.enqueue(db, "film", {})
    jobs.claim(db, "w")
    for stage, ts in (("cast", 100.0), ("voice", 110.0), ("render", 150.0)):
        db["job_events"].insert({"job_id": j, "ts": ts, "kind": "stage", "data": f'{{"stage": "{stage}"}}'})
    jobs.finish(db, j, {})
    db["jobs"].update(j, {"started_at": 99.0, "finished_at": 200.0})
    k = jobs.enqueue(db, "film", {})
    jobs.claim(db, "w")
    jobs.finish(db, k, {})
    db["jobs"].update(k, {"started_at": 0.0, "finished_at": 30.0})
    assert film_stage_samples(db) == [{"film": 30.0}, {"cast": 10.0, "voice": 40.0, "render": 50.0}]


def test_a_servers_pool_starts_as_a_copy_of_the_shipped_lists(db):
    assert pool_lists(db, 1) is None
    assert pool_add(db, 1, "title", "C", added_by=3, shipped=SHIPPED)
    assert not pool_add(db, 1, "title", "C", added_by=3, shipped=SHIPPED)
    assert pool_lists(db, 1) == {"title": ["A", "B", "C"], "line": ["l"], "prop": ["p"], "science": []}
    assert pool_remove(db, 1, "title", "A", shipped=SHIPPED) and not pool_remove(db, 1, "title", "A", shipped=SHIPPED)
    assert pool_lists(db, 1)["title"] == ["B", "C"] and pool_lists(db, 2) is None
    with pytest.raises(StorageError, match="pool kind"):
        pool_add(db, 1, "villain", "X", added_by=3, shipped=SHIPPED)
