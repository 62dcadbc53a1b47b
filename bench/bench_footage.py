"""Footage benchmark: ingest speed (seconds of footage per second) and planning time.

    python bench/bench_footage.py                      # the shipped clip (assets/footage)
    python bench/bench_footage.py --clips DIR          # every video in DIR (e.g. ../shared/data/footage)
    python bench/bench_footage.py --lines 400          # a longer screenplay for planning

Ingest = probe + hash + shot detection + face tracking per shot + framing (no database, no thumbnails).
The reference in the same run is a plain decode of every frame of the same clips (OpenCV), the floor
any ingest that looks at the whole clip sits on: ingest/decode says how much the analysis costs on top.
Planning is timed on a synthetic library (many clips, shots and actors) and on the shipped one.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.library import SHIPPED_DIR, VIDEO_EXTS, shipped_library  # noqa: E402
from engine.footage import Library, LibraryActor, LibraryClip, LibraryShot, ingest_clip  # noqa: E402
from engine.footage.plan import plan_film  # noqa: E402
from engine.screenplay.document import Action, Dialogue, Scene, Screenplay  # noqa: E402


def decode_all(path: Path) -> int:
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.grab():
        cap.retrieve()
        n += 1
    cap.release()
    return n


def bench_ingest(clips: list[Path]) -> dict:
    t0 = time.perf_counter()
    frames = sum(decode_all(c) for c in clips)
    decode_s = time.perf_counter() - t0
    seconds, shots, faces, t0 = 0.0, 0, 0, time.perf_counter()
    for c in clips:
        got = ingest_clip(c)
        seconds += got.info.duration
        shots += len(got.shots)
        faces += sum(len(s.faces) for s in got.shots)
    ingest_s = time.perf_counter() - t0
    return {"clips": len(clips), "footage_s": round(seconds, 2), "frames": frames, "shots": shots,
            "people_in_shots": faces, "ingest_s": round(ingest_s, 2),
            "footage_s_per_s": round(seconds / ingest_s, 2), "decode_only_footage_s_per_s": round(seconds / decode_s, 2),
            "ingest_over_decode": round(ingest_s / decode_s, 1)}


def synthetic_library(clips: int, shots_per_clip: int, actors: int, seed: int = 0) -> Library:
    rng = random.Random(seed)
    out_clips, out_shots = [], []
    for c in range(1, clips + 1):
        out_clips.append(LibraryClip(c, Path(f"/lib/{c}.mp4"), f"clip {c}", "Someone", "CC BY"))
        t = 0.0
        for _ in range(shots_per_clip):
            d = round(rng.uniform(0.8, 8.0), 3)
            framing = rng.choice(["closeup", "closeup", "two-shot", "wide", "none"])
            n = {"closeup": 1, "two-shot": 2, "wide": rng.randint(1, 4), "none": 0}[framing]
            who = tuple(rng.sample(range(1, actors + 1), n))
            out_shots.append(LibraryShot(len(out_shots) + 1, c, round(t, 3), round(t + d, 3), framing, who))
            t += d
    return Library(tuple(out_clips), tuple(out_shots), tuple(LibraryActor(a, f"Actor {a}") for a in range(1, actors + 1)))


def screenplay(lines: int, characters: int = 6, seed: int = 0) -> tuple[Screenplay, list[float]]:
    rng = random.Random(seed)
    names = [f"CHARACTER {i}" for i in range(1, characters + 1)]
    scenes, durations = [], []
    for k in range(0, lines, 8):
        els = [Action("The brass telescope turns toward the sea.")]
        for _ in range(min(8, lines - k)):
            words = rng.randint(2, 30)
            els.append(Dialogue(rng.choice(names), " ".join(["word"] * words) + "."))
            durations.append(round(words * 0.35, 2))
        scenes.append(Scene(f"INT. ROOM {k // 8 + 1} - NIGHT", els))
    return Screenplay("Bench", scenes=scenes), durations


def bench_plan(lines: int) -> dict:
    sp, durations = screenplay(lines)
    out = {}
    for name, lib in [("synthetic_200_clips_4000_shots_60_actors", synthetic_library(200, 20, 60)),
                      ("shipped", shipped_library())]:
        t0 = time.perf_counter()
        plan = plan_film(sp, lib, durations, members={"CHARACTER 1": "Ada"}, props=("brass telescope",))
        out[name] = {"lines": lines, "planned_shots": len(plan.shots), "plan_ms": round(1000 * (time.perf_counter() - t0), 1)}
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clips", type=Path, default=SHIPPED_DIR, help="a folder of clips (default: the shipped footage)")
    p.add_argument("--lines", type=int, default=200, help="spoken lines in the planning screenplay")
    args = p.parse_args()
    clips = sorted(c for c in args.clips.iterdir() if c.suffix.lower() in VIDEO_EXTS)
    if not clips:
        sys.exit(f"no video clips in {args.clips}")
    print(json.dumps({"ingest": bench_ingest(clips), "plan": bench_plan(args.lines)}, indent=1))


if __name__ == "__main__":
    main()
