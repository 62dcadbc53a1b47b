"""`bot.py make` and `bot.py cast` end to end, as a user runs them (in-process CLI, real engine)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main as cli

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["--pages", "0.5", "--size", "320x180", "--fps", "12", "--seed", "7"]


@pytest.fixture(scope="session")
def writer_checkpoint(tmp_path_factory) -> Path:
    """The shipped writer when present, else a tiny one trained here (a few seconds)."""
    from engine.screenplay.writer import default_checkpoint

    if default_checkpoint().is_file():
        return default_checkpoint()
    from engine.screenplay.corpus import default_corpus
    from engine.screenplay.train import TrainConfig, train

    out = tmp_path_factory.mktemp("writer") / "tiny.pt"
    config = TrainConfig.preset_defaults("tiny", steps=30, eval_every=30, device="cpu")
    return train(default_corpus()[:2], config, out).checkpoint


def _home() -> Path:
    return Path(os.environ["BENJAMIN_HOME"])


def _db():
    from storage.db import open_db

    return open_db(_home() / "benjamin.db")


def test_make_produces_a_film_that_honours_the_brief(writer_checkpoint, tmp_path, capsys):
    from engine.render import probe
    from storage import films, jobs, takes

    out = tmp_path / "out" / "film.mp4"
    line = "Nobody @everyone keeps the **light**."
    rc = cli(["make", "--title", "Lumière", "--line", line, "--prop", "a brass telescope", *SMALL, "--takes", "2",
              "--max-mb", "3", "--model", str(writer_checkpoint), "--out", str(out), "--json"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    result = json.loads(captured.out)  # stdout is the JSON alone
    assert Path(result["out"]) == out.resolve() and out.is_file()
    info = probe(out)
    timeline = json.loads((_home() / "jobs" / str(result["job_id"]) / "render" / "timeline.json").read_text())
    assert info["has_audio"] and (info["width"], info["height"]) == (320, 180)
    assert abs(info["duration"] - timeline["duration"]) < 0.25
    assert out.stat().st_size <= 3 * 2**20
    assert any(s["text"] == line for s in timeline["subtitles"])  # the required line is spoken, subtitled
    from engine.screenplay.fountain import parse_fountain

    fountain = Path(result["fountain"]).read_text()
    assert line in [d.text for _, d in parse_fountain(fountain).dialogue()]
    assert "brass telescope" in fountain
    db = _db()
    assert jobs.get_job(db, result["job_id"])["status"] == "done"
    stored = takes.takes_for_brief(db, result["brief_id"])
    assert [t["index"] for t in stored] == [1, 2]
    best = max(stored, key=lambda t: (t["score"], -t["index"]))
    assert result["take_index"] == best["index"]  # the best-scoring take was produced
    assert films.film_for_job(db, result["job_id"])["size_bytes"] == result["size_bytes"]


def test_impossible_size_limit_fails_the_job_with_the_reason(writer_checkpoint, capsys):
    from storage import briefs, jobs

    rc = cli(["make", "--takes", "1", *SMALL, "--max-mb", "0.01", "--model", str(writer_checkpoint), "--json"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1
    assert "cannot fit in 0.01 MB" in err[-1] and "Traceback" not in "\n".join(err)
    db = _db()
    job = jobs.get_job(db, 1)
    assert job["status"] == "failed" and "cannot fit in 0.01 MB" in job["error"]
    assert briefs.get_brief(db, job["brief_id"])["status"] == "failed"
    assert (_home() / "jobs" / "1" / "voice" / "done.json").exists()  # earlier work kept


def test_a_brief_the_writer_rejects_fails_clearly(writer_checkpoint, capsys):
    from storage import jobs

    lines = [f"This is required line number {i} and it is rather long, is it not?" for i in range(5)]
    args = ["make", "--title", "Crowded", *[a for x in lines for a in ("--line", x)], "--takes", "1", *SMALL,
            "--model", str(writer_checkpoint)]
    rc = cli(args)
    err = capsys.readouterr().err
    assert rc == 1 and "pages" in err and "Traceback" not in err
    assert jobs.get_job(_db(), 1)["status"] == "failed"


def test_bad_input_is_one_clear_line(tmp_path, capsys):
    assert cli(["make", "--title", "", "--line", "x"]) == 1
    assert "needs a title" in capsys.readouterr().err
    assert cli(["make", "--max-mb", "0"]) == 2
    assert "--max-mb" in capsys.readouterr().err
    assert cli(["make", "--cast", "Nobody"]) == 2
    assert "nobody called 'Nobody'" in capsys.readouterr().err


def test_missing_cast_photo_is_refused_before_any_work(capsys):
    from storage.cast import add_member

    add_member(_db(), guild_id=0, user_id=1, name="Ada", photos=[str(_home() / "gone.jpg")], consented_by=1)
    assert cli(["make", "--cast", "ada"]) == 2
    assert "Ada's photos are missing" in capsys.readouterr().err
    assert _db()["jobs"].count == 0


def test_cast_names_name_the_parts_after_the_cast_who_then_play_them(writer_checkpoint, tmp_path, capsys):
    from engine.screenplay.fountain import parse_fountain
    from storage.cast import add_member

    for uid, name in ((1, "Ada"), (2, "Grace Hopper")):
        add_member(_db(), guild_id=0, user_id=uid, name=name, photos=[str(_image(tmp_path / f"{uid}.png"))],
                   consented_by=uid)
    assert cli(["make", "--cast-names", "--takes", "1", *SMALL]) == 2  # nobody to name them after
    assert "--cast NAME" in capsys.readouterr().err
    rc = cli(["make", "--title", "Names", "--line", "Hold the door.", "--prop", "a key", "--cast", "Ada",
              "Grace Hopper", "--cast-names", "--takes", "1", *SMALL, "--model", str(writer_checkpoint), "--json"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    result = json.loads(captured.out)
    speakers = {d.character for _, d in parse_fountain(Path(result["fountain"]).read_text()).dialogue()}
    named = {"ADA": "Ada", "GRACE HOPPER": "Grace Hopper"}
    assert set(named) <= speakers or speakers == {"ADA"}  # the script's cues carry the cast's names (busiest first)
    cast = json.loads((_home() / "jobs" / str(result["job_id"]) / "cast" / "done.json").read_text())
    played = {row["character"]: row["member"] for row in cast["outputs"]["cast"]}
    assert all(played[c] == named[c] for c in speakers & set(named))  # each plays the part named for them


def test_unwritable_home_is_a_one_line_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    env = {**os.environ, "BENJAMIN_HOME": str(blocker / "home")}
    r = subprocess.run([sys.executable, "bot.py", "make", "--demo"], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "not writable" in r.stderr


def _image(path: Path, face: bool = False) -> Path:
    from PIL import Image

    Image.new("RGB", (320, 320), (120, 130, 140)).save(path)
    return path


def test_cast_add_rejects_photos_without_a_face_and_stores_nothing(tmp_path, capsys, shared_data):
    good = next((shared_data / "faces" / "obama").glob("wh_official_portrait*.jpg"))
    blank = _image(tmp_path / "blank.jpg")
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"\xff\xd8 not really a jpeg")
    assert cli(["cast", "add", "Ada", str(good), str(blank)]) == 2
    err = capsys.readouterr().err
    assert "no face found in blank.jpg" in err and "nothing stored" in err
    assert cli(["cast", "add", "Ada", str(corrupt)]) == 2
    assert "not a readable image" in capsys.readouterr().err
    assert _db()["cast_members"].count == 0 and not (_home() / "cast" / "0").exists()


def test_cast_add_list_voice_remove(capsys, shared_data):
    photo = next((shared_data / "faces" / "obama").glob("wh_official_portrait*.jpg"))
    assert cli(["cast", "add", "Barack  Obama", str(photo), "--voice", "neural-low"]) == 0
    assert cli(["cast", "voice", "barack obama", "neural-bass"]) == 0
    assert cli(["cast", "voice", "barack obama", "kazoo"]) == 2
    capsys.readouterr()
    assert cli(["cast", "list", "--json"]) == 0
    [member] = json.loads(capsys.readouterr().out)
    assert member["name"] == "Barack Obama" and member["voice"] == "neural-bass"
    stored = Path(member["photos"][0])
    assert stored.is_file() and stored.read_bytes() == photo.read_bytes() and _home() in stored.parents
    assert cli(["cast", "remove", "Barack Obama"]) == 0
    assert not stored.exists()
    assert cli(["cast", "remove", "Barack Obama"]) == 2


def test_ctrl_c_cancels_the_job(writer_checkpoint):
    import signal
    import time

    from storage import jobs

    # SIGINT at its default in the child, as in a terminal: a suite started in the background (`make test &`,
    # nohup) passes SIGINT on ignored, Python then never turns it into KeyboardInterrupt, and the film was made
    proc = subprocess.Popen([sys.executable, "bot.py", "make", "--takes", "1", *SMALL, "--model",
                             str(writer_checkpoint)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    # Ctrl-C while the job runs (any stage: the write stage alone lasts about half a second, and a poll on a busy
    # machine missed it once, so the signal came after the film was done)
    deadline, running = time.time() + 60, False
    while time.time() < deadline and not running:
        running = (_home() / "benjamin.db").exists() and (job := jobs.get_job(_db(), 1)) is not None \
            and job["status"] == "running"
        time.sleep(0.05)
    assert running, "the job never started running"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in err
    job = jobs.get_job(_db(), 1)
    assert job["status"] == "cancelled" and not (_home() / "jobs" / "1" / "render").exists()


def test_cast_add_takes_a_frame_with_a_face_from_a_video(capsys, shared_data, tmp_path):
    video = shared_data / "footage" / "pd_wh_weekly_address_obama_town_halls.mp4"
    assert cli(["cast", "add", "Speaker", str(video)]) == 0
    capsys.readouterr()
    assert cli(["cast", "list", "--json"]) == 0
    [member] = json.loads(capsys.readouterr().out)
    still = Path(member["photos"][0])
    assert still.suffix == ".jpg" and _home() in still.parents
    from engine.faces import check_photo

    check_photo(still)  # the stored still shows the one face
    blank = tmp_path / "blank.mp4"
    blank.write_bytes(b"not a video at all")
    assert cli(["cast", "add", "Nobody", str(blank)]) == 2
    assert "not a readable video" in capsys.readouterr().err
