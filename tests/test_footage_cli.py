"""`bot.py footage add/list/remove` as a user runs them: bad files named, duplicates skipped, resumable."""
import json
import os
from pathlib import Path

import pytest

from bot.cli import main as cli
from tests.footage_clips import make_clip


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("clips")
    make_clip(d / "cut.mp4", size="161x121", seconds=3, cut=True)
    make_clip(d / "plain.mov", seconds=2, audio=True)
    (d / "notes.txt").write_text("not a clip")
    return d


def _json(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


def test_add_a_folder_then_list_and_remove(folder, tmp_path, capsys):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(os.urandom(3000))
    rc = cli(["footage", "add", str(folder), str(broken), "--credit", "Test Films", "--licence", "CC0", "--json"])
    out = _json(capsys)
    assert rc == 0 and len(out["added"]) == 2 and out["skipped"] == []
    assert len(out["failed"]) == 1 and "broken.mp4" in out["failed"][0]
    assert cli(["footage", "list", "--json"]) == 0
    listed = _json(capsys)
    assert [c["name"] for c in listed["clips"]] == ["cut", "plain"]
    cut = listed["clips"][0]
    assert [s["framing"] for s in cut["shots"]] == ["none", "none"] and cut["credit"] == "Test Films"
    assert (cut["width"], cut["height"], cut["has_audio"]) == (161, 121, False)
    assert listed["clips"][1]["has_audio"] is True
    assert all(Path(s["thumbnail"]).is_file() for s in cut["shots"])

    assert cli(["footage", "add", str(folder / "cut.mp4"), "--json"]) == 0  # the same clip again
    again = _json(capsys)
    assert again["added"] == [] and "already in the library" in again["skipped"][0]

    assert cli(["footage", "remove", "cut"]) == 0
    assert "removed" in capsys.readouterr().out
    assert cli(["footage", "list", "--json"]) == 0
    assert [c["name"] for c in _json(capsys)["clips"]] == ["plain"]
    assert not Path(cut["path"]).exists()  # its stored copy went with it
    assert cli(["footage", "remove", "cut"]) == 2
    assert "no clip 'cut'" in capsys.readouterr().err


def test_a_folder_of_non_videos_is_one_clear_message(tmp_path, capsys):
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "b.jpg").write_bytes(b"\xff\xd8")
    assert cli(["footage", "add", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "has no video files" in err[0] and "Traceback" not in err[0]


def test_a_1_gb_file_is_refused_with_its_size(tmp_path, capsys):
    big = tmp_path / "feature.mp4"
    with open(big, "wb") as f:  # sparse: takes no disk
        f.truncate(1024 ** 3)
    assert cli(["footage", "add", str(big)]) == 1
    out = capsys.readouterr().out
    assert "feature.mp4 is 1.0 GB; clips may be at most 500 MB" in out


def test_an_interrupted_ingest_resumes_at_the_shot_it_stopped_at(folder, monkeypatch, capsys):
    from engine.footage import ingest

    real, seen = ingest.analyse_shot, []

    def interrupted(info, index, *a, **k):
        seen.append(index)
        if index == 1 and seen.count(1) == 1:
            raise KeyboardInterrupt  # Ctrl-C (or a kill) half way through the clip
        return real(info, index, *a, **k)

    monkeypatch.setattr(ingest, "analyse_shot", interrupted)
    assert cli(["footage", "add", str(folder / "cut.mp4")]) == 130
    assert cli(["footage", "list", "--json"]) == 0
    (clip,) = _json(capsys)["clips"]
    assert clip["status"] == "ingesting" and len(clip["shots"]) == 1
    assert cli(["footage", "add", str(folder / "cut.mp4"), "--json"]) == 0
    assert len(_json(capsys)["added"]) == 1
    assert seen == [0, 1, 1]  # shot 0 was not analysed again
    assert cli(["footage", "list", "--json"]) == 0
    (clip,) = _json(capsys)["clips"]
    assert clip["status"] == "done" and len(clip["shots"]) == 2


def test_a_credits_file_beside_the_clips_gives_each_its_name_credit_and_licence(tmp_path, capsys):
    """A folder like assets/footage (videos + credits.json): each clip keeps its credit, which the films'
    credits then carry; a flag given on the command line still wins."""
    d = tmp_path / "credited"
    d.mkdir()
    make_clip(d / "a.mp4", seconds=1)
    make_clip(d / "b.mp4", seconds=1, size="161x121")
    (d / "credits.json").write_text(json.dumps({"a.mp4": {"name": "Clip A", "credit": "A Films", "licence": "CC BY 4.0"}}))
    assert cli(["footage", "add", str(d), "--json"]) == 0
    capsys.readouterr()
    assert cli(["footage", "list", "--json"]) == 0
    clips = {c["name"]: c for c in _json(capsys)["clips"]}
    assert clips["Clip A"]["credit"] == "A Films" and clips["Clip A"]["licence"] == "CC BY 4.0"
    assert clips["b"]["credit"] == ""  # not in the file: as before
