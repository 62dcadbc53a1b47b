"""Job folders travel through the store and work where they land (done-markers name their files)."""
from pathlib import Path

from engine.pipeline import Stage
from studio.store import FileStore, RedisStore, localized, portable, pull_dir, push_dir


class _Demo(Stage):
    name = "demo"


def _job_dir(root: Path) -> Path:
    job = root / "jobs" / "7"
    out = _Demo().dir(job)
    out.mkdir(parents=True)
    (out / "a.wav").write_bytes(b"RIFF....")
    (out / "half.wav.part").write_bytes(b"torn")  # a write cut short never travels
    _Demo().mark_done(job, {"wav": str(out / "a.wav")}, [out / "a.wav"])
    return job


def _round_trip(store, tmp_path):
    here = _job_dir(tmp_path / "machine-a")
    sent = {}
    assert push_dir(store, "jobs/7", here, sent) == 2  # the wav and the marker
    assert push_dir(store, "jobs/7", here, sent) == 0  # nothing changed since
    there = tmp_path / "machine-b" / "jobs" / "7"
    pull_dir(store, "jobs/7", there)
    assert _Demo().is_done(there)  # the marker names files that exist here
    assert _Demo().load(there)["outputs"]["wav"] == str(there / "demo" / "a.wav")
    assert not list(there.rglob("*.part"))


def test_a_job_folder_moves_between_machines_through_a_file_store(tmp_path):
    _round_trip(FileStore(tmp_path / "store"), tmp_path)


def test_a_job_folder_moves_between_machines_through_redis(tmp_path, redis_url):
    import redis

    _round_trip(RedisStore(redis.Redis.from_url(redis_url)), tmp_path)


def test_outcomes_name_files_portably(tmp_path):
    a, b = tmp_path / "a" / "jobs" / "1", tmp_path / "b" / "jobs" / "1"
    outcome = {"film": {"film": str(a / "render" / "film.mp4"), "credits": ["Cast: ADA"]}, "steps": 3}
    assert localized(portable(outcome, a), b) == {"film": {"film": str(b / "render" / "film.mp4"),
                                                           "credits": ["Cast: ADA"]}, "steps": 3}
