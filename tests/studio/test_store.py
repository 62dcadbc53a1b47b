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


def test_gpu_work_goes_to_the_gpu_queue():
    from studio.remote import queue_for

    film = {"footage": ["a.mp4"], "members": [{"name": "Ada", "photos": ["a.png"]}]}
    assert queue_for("train", {}) == "gpu" and queue_for("write", {}) == "cpu"
    assert queue_for("film", {**film, "face_preset": "small"}) == "gpu"
    assert queue_for("film", {**film, "face_preset": "auto"}) == "cpu"  # geometric on a CPU worker
    assert queue_for("film", {"footage": ["a.mp4"], "members": [], "face_preset": "large"}) == "cpu"


def test_a_footage_library_travels_with_its_clips(tmp_path):
    from bot.library import shipped_library
    from studio.remote import fetch_inputs, ship_inputs

    library = shipped_library()
    assert library.clips, "the shipped footage library is empty"
    store = FileStore(tmp_path / "store")
    shipped = ship_inputs(store, 3, {"brief": {"title": "T"}, "_library": library, "footage": []})
    assert shipped["library"].startswith("store:") and "_library" not in shipped
    import json

    json.dumps(shipped)  # what goes into the Celery message is plain JSON
    local = fetch_inputs(store, 3, shipped, tmp_path / "worker" / "inputs", tmp_path / "worker" / "footage-cache")
    there = local["_library"]
    assert [c.id for c in there.clips] == [c.id for c in library.clips] and there.shots == library.shots
    for mine, theirs in zip(library.clips, there.clips):
        assert theirs.path.is_file() and theirs.path.read_bytes() == mine.path.read_bytes()
        assert theirs.path.is_relative_to(tmp_path / "worker")
