"""Lip-sync benchmark: does the mouth on screen move with the new voice?

    python bench/bench_lipsync.py

A line is voiced (the shipped neural voice) and laid over the close-up of the shipped Tears of Steel
excerpt. For each variant the mouth opening is measured on screen (dlib landmarks, inner-lip gap / face
height, every frame) and correlated with the line's loudness envelope per frame:
- before: the footage as it is (the actor's own old lip movements against the new line);
- after, re-animated: the actor keeps their face, the mouth is driven by the voice;
- after, swapped: a cast member's face (geometric member) driven by the voice (needs ../shared/data).
The reference row in the same run is the correlation of the envelope with itself shifted by 0.5 s
(what an unrelated mouth of the same rhythm scores).
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.faces.align import mouth_opening  # noqa: E402
from engine.faces.evaluate import _near_box  # noqa: E402
from engine.faces.landmarks import shape_at  # noqa: E402
from engine.faces.lipsync import envelope  # noqa: E402
from engine.faces.models.reanimate import ReanimateMember  # noqa: E402
from engine.faces.swap import SwapOptions, swap_clip  # noqa: E402
from engine.faces.track import track_video  # noqa: E402
from engine.faces.video import read_frames  # noqa: E402
from engine.voice.spec import PRESETS  # noqa: E402
from engine.voice.synth import synthesize  # noqa: E402

CLIP = ROOT / "assets" / "footage" / "ccby3_blender_tears_of_steel_0500.mp4"
START, END = 4.8, 7.4
LINE = "I was never meant to keep the light, but tonight the sea is glowing."
DATA = ROOT.parent / "shared" / "data"


def on_screen(video: Path, faces, actor: int, first: int) -> np.ndarray:
    out = []
    for k, (_, rgb) in enumerate(read_frames(video)):
        lm = faces.landmarks_of(actor, first + k)
        out.append(np.nan if lm is None else mouth_opening(shape_at(rgb, _near_box(rgb, lm))))
    return np.array(out)


def corr(a, b) -> float:
    ok = ~(np.isnan(a) | np.isnan(b))
    return float(np.corrcoef(a[ok], b[ok])[0, 1]) if ok.sum() > 3 else float("nan")


def main() -> int:
    audio, rate = synthesize(LINE, next(iter(PRESETS.values())))
    faces = track_video(CLIP, START, END)
    actor = faces.main_identity().id
    n = faces.frame_count
    env = envelope(audio, rate, faces.fps, n)
    mouth = tuple(float(v) for v in env)
    rows = {"reference: the envelope 0.5 s late": corr(env, np.roll(env, int(0.5 * faces.fps)))}
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "plain.mp4"
        swap_clip(CLIP, ReanimateMember(), plain, SwapOptions(start_s=START, end_s=END, mark=False), faces=faces)
        rows["before: the actor's own mouth"] = corr(env, on_screen(plain, faces, actor, faces.first_frame))
        driven = Path(tmp) / "driven.mp4"
        swap_clip(CLIP, ReanimateMember(), driven, SwapOptions(start_s=START, end_s=END, mouth=mouth), faces=faces)
        rows["after: re-animated by the voice"] = corr(env, on_screen(driven, faces, actor, faces.first_frame))
        if DATA.is_dir():
            from engine.faces.extract import build_faceset
            from engine.faces.models.geometric import GeometricMember

            cast, _ = build_faceset("cast", sorted((DATA / "faces" / "ccby_tang_video_person_b").glob("*.jpg")))
            swapped = Path(tmp) / "swapped.mp4"
            swap_clip(CLIP, GeometricMember(cast), swapped, SwapOptions(start_s=START, end_s=END), faces=faces)
            rows["before: swapped, not driven"] = corr(env, on_screen(swapped, faces, actor, faces.first_frame))
            swap_clip(CLIP, GeometricMember(cast), swapped, SwapOptions(start_s=START, end_s=END, mouth=mouth), faces=faces)
            rows["after: swapped and driven"] = corr(env, on_screen(swapped, faces, actor, faces.first_frame))
    print(f"line: {len(audio) / rate:.1f}s over {n} frames of the close-up")
    for name, r in rows.items():
        print(f"  {name:<38} r = {r:5.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
