import json
import os
from pathlib import Path

import pytest

from engine.brief import DEFAULT_BRIEF
from engine.errors import RenderError
from engine.pipeline import CastMember, ProductionPlan, produce
from engine.render import probe

SIZE = (320, 180)


def _plan(text, **kw):
    return ProductionPlan(DEFAULT_BRIEF, text, size=SIZE, fps=12, max_mb=kw.pop("max_mb", 2.0), **kw)


def test_film_has_audio_duration_of_the_timeline_subtitles_and_fits(tmp_path, fountain_text, frame_at):
    reports = []
    film = produce(_plan(fountain_text(3)), tmp_path / "job", reports.append)
    timeline = json.loads((tmp_path / "job" / "render" / "timeline.json").read_text())
    info = probe(film.path)
    assert info["has_audio"] and (info["width"], info["height"]) == SIZE
    assert abs(info["duration"] - timeline["duration"]) < 0.25
    assert abs(film.duration_s - timeline["duration"]) < 0.25
    assert film.size_bytes == os.path.getsize(film.path) <= 2.0 * 2**20
    assert film.poster and Path(film.poster).is_file()
    assert film.credits[-1].startswith("An AI-made film") and film.credits[0].startswith("Cast: ADA (")
    assert any(line.startswith("Voices: ADA: Neural voice") for line in film.credits)
    assert [s["text"] for s in timeline["subtitles"]][0] == "I was never meant to keep the light."
    assert {r.stage for r in reports} >= {"cast", "voice", "swap", "render"}
    assert [r.preview for r in reports if r.preview][-1] == film.poster
    assert reports[-1].stage == "render" and reports[-1].saved == "render stage"  # a job resumes after it
    # the subtitle is burned in while the line is spoken and gone in the pause after it
    sub = timeline["subtitles"][0]
    shot = next(v for v in timeline["visuals"] if v["start"] <= sub["start"] < v["start"] + v["duration"])
    with_text = frame_at(film.path, (sub["start"] + sub["end"]) / 2, SIZE)
    after = frame_at(film.path, min(shot["start"] + shot["duration"], sub["end"] + 0.3) - 0.05, SIZE)
    h = SIZE[1]
    bottom = abs(with_text[int(h * 0.7):] - after[int(h * 0.7):]).mean()
    top = abs(with_text[: int(h * 0.3)] - after[: int(h * 0.3)]).mean()
    assert bottom > 3 * top + 2


def test_second_run_redoes_nothing_and_a_lost_render_is_redone(tmp_path, fountain_text):
    job = tmp_path / "job"
    plan = _plan(fountain_text(2))
    first = produce(plan, job)
    markers = {s: (job / s / "done.json").stat().st_mtime_ns for s in ("cast", "voice", "swap", "render")}
    again = produce(plan, job)
    assert again.stages_s == {"cast": 0.0, "voice": 0.0, "swap": 0.0, "render": 0.0}
    assert again.path == first.path
    first.path.unlink()  # the film vanished: only render runs again
    third = produce(plan, job)
    assert third.path.is_file() and third.stages_s["render"] > 0
    assert all((job / s / "done.json").stat().st_mtime_ns == markers[s] for s in ("cast", "voice", "swap"))


def test_cast_member_face_and_voice_reach_the_film(tmp_path, fountain_text, shared_data):
    photo = next((shared_data / "faces" / "obama").glob("wh_official_portrait*.jpg"))
    plan = _plan(fountain_text(2), members=(CastMember("Barack", (photo,), "neural-bass"),))
    film = produce(plan, tmp_path / "job")
    assert film.credits[0].startswith("Cast: ADA (Barack); BOB (Barack)")
    timeline = json.loads((tmp_path / "job" / "render" / "timeline.json").read_text())
    portraits = [v for v in timeline["visuals"] if v.get("photo")]
    assert portraits and all(v["photo"] == str(photo) for v in portraits)
    credits = timeline["visuals"][-1]
    assert ["ADA", "Barack"] in credits["cast"] and ["BOB", "Barack"] in credits["cast"]
    assert "AI" in credits["note"]
    from engine.voice import PRESETS

    assert ["ADA", PRESETS["neural-bass"].label()] in credits["voices"]  # the member's chosen voice is credited


def test_impossible_size_limit_is_a_clear_error(tmp_path, fountain_text):
    with pytest.raises(RenderError, match="MB"):
        produce(_plan(fountain_text(2), max_mb=0.01), tmp_path / "job")
    assert not (tmp_path / "job" / "render" / "done.json").exists()
    assert (tmp_path / "job" / "voice" / "done.json").exists()  # finished work is kept


def test_footage_is_cut_in_and_credited(tmp_path, fountain_text, shared_data):
    clips = tuple(sorted((shared_data / "footage").glob("pd_wh_*.mp4")))[:2]
    film = produce(_plan(fountain_text(3), footage=clips), tmp_path / "job")
    timeline = json.loads((tmp_path / "job" / "render" / "timeline.json").read_text())
    used = [v["path"] for v in timeline["visuals"] if v.get("path")]
    assert used[:2] == [str(c) for c in clips]  # the first spoken lines play over the clips, in order
    assert [c.name for c in clips] == timeline["visuals"][-1]["footage"]
    info = probe(film.path)
    assert info["has_audio"] and abs(info["duration"] - timeline["duration"]) < 0.25
