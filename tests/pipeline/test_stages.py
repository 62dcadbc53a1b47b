import json
import os
from pathlib import Path

import pytest

from engine.brief import Brief
from engine.errors import BriefError, Cancelled, FaceError
from engine.pipeline import (CastInputs, CastMember, CastStage, Stage, SwapStage, TakeInfo, WriteInputs, WriteStage,
                             assign, pick_take)
from engine.pipeline.swap import SwapInputs
from engine.pipeline.stage import from_jsonable, to_jsonable
from engine.progress import null_progress


class _Demo(Stage):
    name = "demo"


def test_marker_written_last_and_checked(tmp_path):
    stage = _Demo()
    out = stage.dir(tmp_path) / "a.txt"
    assert not stage.is_done(tmp_path)
    out.parent.mkdir(parents=True)
    out.write_text("x")
    stage.mark_done(tmp_path, {"n": 1}, [out])
    assert stage.is_done(tmp_path) and stage.load(tmp_path)["outputs"] == {"n": 1}
    assert not [p for p in stage.dir(tmp_path).iterdir() if p.name.endswith(".tmp")]  # no temp file left
    out.unlink()  # an output vanished: the stage must run again
    assert not stage.is_done(tmp_path)
    stage.marker(tmp_path).write_text("{truncated")  # a torn marker counts as not done
    assert not stage.is_done(tmp_path)


def test_voiced_lines_survive_the_marker_round_trip(tmp_path):
    from engine.voice import VoicedLine, voice_for

    line = VoicedLine(0, 1, "ADA", "Hi.", None, tmp_path / "a.wav", 1.25, voice_for("ADA"))
    back = from_jsonable(VoicedLine, json.loads(json.dumps(to_jsonable(line))))
    assert back == line and isinstance(back.wav, Path)


def test_assign_is_explicit_then_round_robin_and_only_members():
    ada, bo = CastMember("Ada"), CastMember("Bo")
    got = assign(["A", "B", "C", "D"], (ada, bo), explicit={"c": bo})
    assert got == {"A": ada, "B": bo, "C": bo, "D": ada}
    assert assign(["A", "B"], ()) == {"A": None, "B": None}  # nobody: defaults, never someone else


def test_a_character_named_after_a_member_is_played_by_that_member():
    ada, bo, cy = CastMember("Ada Lovelace", ()), CastMember("Bo", ()), CastMember("Cy", ())
    got = assign(["BO", "NURSE", "ADA LOVELACE", "GUARD"], (ada, bo, cy))
    assert got == {"BO": bo, "NURSE": cy, "ADA LOVELACE": ada, "GUARD": cy}  # the rest: members no part is named for
    assert assign(["BO", "NURSE"], (bo,)) == {"BO": bo, "NURSE": bo}  # everyone has a part: doubling as before
    assert assign(["BO"], (ada, bo), explicit={"bo": ada}) == {"BO": ada}  # an explicit choice still wins


def test_cast_stage_uses_photos_or_nothing(tmp_path):
    photo = tmp_path / "p.jpg"
    photo.write_bytes(b"jpeg")
    member = CastMember("Ada", (photo,), "neural-low")
    cast = CastStage().run(CastInputs(("ADA", "BOB"), (member,), {"BOB": CastMember("Nobody-photos")}), tmp_path,
                           null_progress)
    assert cast["ADA"].member == "Ada" and cast["ADA"].face == photo and cast["ADA"].voice == "neural-low"
    assert cast["BOB"].member == "Nobody-photos" and cast["BOB"].face is None
    assert CastStage().outputs(tmp_path) == cast


def test_cast_stage_rejects_a_member_whose_photos_are_gone(tmp_path):
    member = CastMember("Ada", (tmp_path / "gone.jpg",))
    with pytest.raises(FaceError, match="Ada"):
        CastStage().run(CastInputs(("ADA",), (member,)), tmp_path, null_progress)
    assert not CastStage().is_done(tmp_path)


def test_swap_stage_with_no_shots_swaps_nothing(tmp_path):
    out = SwapStage().run(SwapInputs((), tmp_path / "cache"), tmp_path, null_progress)
    assert out["shots"] == {} and SwapStage().is_done(tmp_path)


def test_pick_take():
    takes = [TakeInfo(i, Path(f"/{i}"), None, i, s, {}) for i, s in enumerate([0.2, 0.9, 0.9])]
    assert pick_take(takes).index == 1
    assert pick_take(takes, 2).index == 2
    with pytest.raises(BriefError, match="no take 7"):
        pick_take(takes, 7)
    with pytest.raises(BriefError):
        pick_take([])


def test_write_stage_resumes_after_its_last_saved_take(tmp_path):
    brief = Brief("The Test", lines=("I was never meant to keep the light.",), props=("a brass telescope",), pages=0.5)
    inputs = WriteInputs(brief, takes=3, seed=5)
    saved = []

    def killed_after_take_2(p):
        if p.saved:
            saved.append(p.saved)
        if p.saved == "take 2":
            raise Cancelled("the worker died")

    with pytest.raises(Cancelled):
        WriteStage().run(inputs, tmp_path, killed_after_take_2)
    folder = tmp_path / "write"
    before = {p.name: p.stat().st_mtime_ns for p in folder.glob("take-*.fountain")}
    assert sorted(before) == ["take-1.fountain", "take-2.fountain"] and not WriteStage().is_done(tmp_path)
    saved.clear()
    infos = WriteStage().run(inputs, tmp_path, lambda p: p.saved and saved.append(p.saved))
    assert saved == ["take 3"]  # takes 1 and 2 were not written again
    assert before == {p.name: p.stat().st_mtime_ns for p in folder.glob("take-[12].fountain")}
    assert [i.index for i in infos] == [1, 2, 3] and [i.seed for i in infos] == [5, 6, 7]
    assert all("I was never meant to keep the light." in i.fountain_path.read_text() for i in infos)
