"""Films cut from footage: the demo from the shipped Tears of Steel excerpt; the shipped index is current."""
import json
import os
from pathlib import Path

import pytest

from bot.cli import main as cli
from bot.library import SHIPPED_DIR, build_shipped_index, shipped_library

TOS_CREDIT = "Tears of Steel (c) Blender Foundation, mango.blender.org, CC BY 3.0"


def test_the_shipped_library_has_faces_faceless_shots_and_its_credit():
    lib = shipped_library()
    (clip,) = lib.clips
    assert clip.path == SHIPPED_DIR / "ccby3_blender_tears_of_steel_0500.mp4" and clip.path.is_file()
    assert clip.credit_line() == TOS_CREDIT
    framings = {s.framing for s in lib.shots}
    assert {"closeup", "none"} <= framings and len(lib.actors) >= 2
    assert all(len(a.embedding) == 128 for a in lib.actors)


@pytest.mark.slow
def test_the_shipped_index_is_what_ingest_finds_today():
    """assets/footage/index.json is regenerated with `python -m bot.library` when ingest changes."""
    saved = json.loads((SHIPPED_DIR / "index.json").read_text(encoding="utf-8"))
    fresh = build_shipped_index()
    strip = lambda idx: [(c["file"], c["hash"], [(s["start"], s["end"], s["framing"], s["actors"]) for s in c["shots"]])
                         for c in idx["clips"]]
    assert strip(fresh) == strip(saved)
    for a, b in zip(fresh["actors"], saved["actors"]):
        assert max(abs(x - y) for x, y in zip(a["embedding"], b["embedding"])) < 0.02


@pytest.mark.slow
def test_make_demo_cuts_its_film_from_the_shipped_footage(capsys):
    from engine.render.ffmpeg import probe

    assert cli(["make", "--demo", "--takes", "1", "--pages", "0.5", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert f"Footage: {TOS_CREDIT}" in result["credits"]
    assert result["credits"][0].startswith("Cast: ") and "Actor 1" in result["credits"][0]
    job = Path(os.environ["BENJAMIN_HOME"]) / "jobs" / str(result["job_id"])
    timeline = json.loads((job / "render" / "timeline.json").read_text())
    plan = json.loads((job / "footage-plan.json").read_text())
    shots = [v for v in timeline["visuals"] if "src_start" in v]
    spoken = {s["line"] for s in shots if s["line"] is not None}
    assert spoken == set(range(len(timeline["audio"])))  # every line is on footage
    assert all(Path(s["path"]).name == "ccby3_blender_tears_of_steel_0500.mp4" for s in shots)
    casting = dict((c, a) for c, a in plan["casting"])
    assert all(p["actor"] == casting[p["character"]] for p in plan["shots"] if p["line"] is not None)
    assert all(0.8 <= s["speed"] <= 1.0 for s in shots)
    assert not any("heading" in v for v in timeline["visuals"])  # headings are establishing shots, not cards
    film = probe(Path(result["out"]))
    assert film["duration"] == pytest.approx(timeline["duration"], abs=0.3)
    assert result["duration_s"] == pytest.approx(timeline["duration"], abs=0.3) and film["has_audio"]
