"""Render benchmark: how fast a film renders relative to real time (and to a bare encode).

    python bench/bench_render.py                  # ~60 s film, 854x480, 24 fps, drawn cards
    python bench/bench_render.py --faces DIR      # portraits with pan/zoom from photos in DIR
    python bench/bench_render.py --seconds 20

Prints render wall time / film duration (below 1.0 is faster than real time) for the full render
(frames + subtitles + x264 + size check + contact sheet), and the same ratio for a reference run in
this process: ffmpeg encoding one static frame repeated for the same duration (the encode floor).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.render import build_timeline, render_film  # noqa: E402
from engine.render.ffmpeg import ffmpeg_exe  # noqa: E402
from engine.screenplay.document import Action, Dialogue, Scene, Screenplay  # noqa: E402
from engine.voice import voice_screenplay  # noqa: E402

LINES = [
    ("MARA", "I was never meant to keep the light.", None),
    ("TOMAS", "Then why are you still here, after all these years?", "(whispering)"),
    ("MARA", "Because somebody has to watch the sea, and tonight it glows.", None),
    ("TOMAS", "That glow is alive. Plankton, millions of them, lighting up when the waves break.", None),
    ("MARA", "Give me the brass telescope.", "(shouting)"),
    ("TOMAS", "You will not find a ship out there.", "(softly)"),
]


def screenplay(target_s: float) -> Screenplay:
    """Scenes of action + dialogue until roughly ``target_s`` seconds of film."""
    scenes, est, n = [], 5.0, 0
    while est < target_s:
        els = [Action("Waves hit the rocks below. The lamp turns, slow and patient.")]
        for who, text, paren in LINES:
            els.append(Dialogue(who, text, paren))
            est += 0.07 * len(text) + 0.35
        scenes.append(Scene(f"INT. LIGHTHOUSE - NIGHT {n + 1}", els))
        est += 2 + 4
        n += 1
    return Screenplay("The Last Lighthouse", scenes=scenes)


def reference_encode(width: int, height: int, fps: int, seconds: float, out: Path) -> float:
    """Wall seconds for ffmpeg to encode a static frame for ``seconds`` (same preset and threads)."""
    frame = np.full((height, width, 3), 40, np.uint8).tobytes()
    cmd = [ffmpeg_exe(), "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}",
           "-r", str(fps), "-i", "-", "-c:v", "libx264", "-preset", "veryfast", "-threads", "2",
           "-pix_fmt", "yuv420p", str(out)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    for _ in range(int(seconds * fps)):
        proc.stdin.write(frame)
    proc.stdin.close()
    proc.wait()
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--faces", type=Path, help="folder of photos to use as cast faces")
    ap.add_argument("--size", default="854x480")
    ap.add_argument("--fps", type=int, default=24)
    ap.add_argument("--max-mb", type=float, default=10.0)
    args = ap.parse_args()
    w, h = (int(x) for x in args.size.lower().split("x"))
    sp = screenplay(args.seconds)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        lines = voice_screenplay(sp, tmp / "voice")
        voice_s = time.perf_counter() - t0
        faces = None
        if args.faces:
            photos = sorted(p for p in args.faces.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
            faces = {c: photos[i % len(photos)] for i, c in enumerate(sp.characters())} if photos else None
        tl = build_timeline(sp, lines, faces=faces, size=(w, h), fps=args.fps)
        speech = sum(x.duration_s for x in lines)
        print(f"film {tl.duration:.1f} s at {w}x{h} {args.fps} fps, {len(lines)} lines "
              f"({'portraits' if faces else 'drawn cards'}); voicing took {voice_s:.1f} s "
              f"(RTF {voice_s / speech:.3f})")
        ref = reference_encode(w, h, args.fps, tl.duration, tmp / "ref.mp4")
        t0 = time.perf_counter()
        result = render_film(tl, tmp / "film.mp4", max_mb=args.max_mb)
        render_s = time.perf_counter() - t0
    print(f"reference encode (static frame): {ref:.1f} s = {ref / tl.duration:.3f} x real time")
    print(f"render_film:                     {render_s:.1f} s = {render_s / tl.duration:.3f} x real time "
          f"({render_s / ref:.1f} x the reference)")
    print(f"output {result.size_bytes / 1024 / 1024:.2f} MiB (limit {args.max_mb:g}), {result.passes} pass(es), "
          f"video cap {result.video_kbps} kb/s, audio {result.audio_kbps} kb/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
