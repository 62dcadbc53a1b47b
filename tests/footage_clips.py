"""Small synthetic clips made with imageio-ffmpeg's binary, for the footage tests (no faces in them)."""
from __future__ import annotations

import subprocess
from pathlib import Path


def ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def make_clip(out: Path, *, size: str = "160x120", seconds: float = 2.0, cut: bool = False, audio: bool = False,
              rotation: int | None = None, vfr: bool = False) -> Path:
    """A test-pattern clip; ``cut``: a hard cut to colour bars half way; ``vfr``: its frame rate changes there."""
    half = seconds / 2
    inputs = ["-f", "lavfi", "-i", f"testsrc=size={size}:rate={10 if vfr else 12}",
              "-f", "lavfi", "-i", f"{'testsrc2' if vfr else 'smptebars'}=size={size}:rate={30 if vfr else 12}"]
    if cut or vfr:
        graph = (f"[0:v]trim=0:{half}[a];[1:v]trim=0:{half},setpts=PTS-STARTPTS[b];[a][b]concat=n=2:v=1[v]")
    else:
        graph = f"[0:v]trim=0:{seconds}[v]"
    cmd = [ffmpeg(), "-loglevel", "error", "-y", *inputs]
    if audio:
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=330:duration={seconds}"]
    cmd += ["-filter_complex", graph, "-map", "[v]"] + (["-map", "2:a", "-c:a", "aac"] if audio else [])
    cmd += ["-fps_mode", "vfr"] if vfr else []
    cmd += ["-c:v", "libx264", "-pix_fmt", "yuv444p", "-t", str(seconds)]
    plain = out if rotation is None else out.with_name(f"plain_{out.name}")
    subprocess.run(cmd + [str(plain)], check=True)
    if rotation is not None:
        subprocess.run([ffmpeg(), "-loglevel", "error", "-y", "-display_rotation", str(rotation), "-i", str(plain),
                        "-c", "copy", str(out)], check=True)
        plain.unlink()
    return out
