"""Probe a clip before ingest: its hash, size, duration, frame rate (variable or not), size as shown
(rotation applied) and audio. Anything that is not a usable video is a FootageError naming the file."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from engine.errors import FootageError, RenderError
from engine.footage.model import ClipInfo
from engine.render.ffmpeg import parse_probe, probe_text

MAX_CLIP_BYTES = 500 * 1024 * 1024  # a clip bigger than this is refused (cut it shorter first)
MIN_CLIP_S = 0.5  # shorter than this is not a shot


def content_hash(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _mb(n: int) -> str:
    return f"{n / 2**30:.1f} GB" if n >= 2**30 else f"{n / 2**20:.0f} MB"


def check_size(path: Path, max_bytes: int = MAX_CLIP_BYTES) -> int:
    """The file's size in bytes, or FootageError when it is empty or over the limit."""
    try:
        size = Path(path).stat().st_size
    except OSError as e:
        raise FootageError(f"{Path(path).name}: cannot be read ({e.strerror or e})") from None
    if size == 0:
        raise FootageError(f"{Path(path).name}: the file is empty")
    if size > max_bytes:
        raise FootageError(f"{Path(path).name} is {_mb(size)}; clips may be at most {_mb(max_bytes)} "
                           f"(cut it into shorter clips)")
    return size


def parse_video(text: str) -> dict:
    """Frame rate (average and base), rotation from ``ffmpeg -i`` text (split out to test on plain text)."""
    out = {"fps": 0.0, "tbr": 0.0, "rotation": 0}
    video = next((line for line in text.splitlines() if re.search(r"Stream #\S+.*?Video:", line)), "")
    m = re.search(r"([\d.]+)\s*fps", video)
    if m:
        out["fps"] = float(m[1])
    m = re.search(r"([\d.]+)k?\s*tbr", video)
    if m:
        out["tbr"] = float(m[1]) * (1000 if "k tbr" in video else 1)
    m = re.search(r"rotation of (-?[\d.]+) degrees", text) or re.search(r"rotate\s*:\s*(-?\d+)", text)
    if m:  # the display matrix turns counter-clockwise; players show the clip turned by -angle
        out["rotation"] = int(round(-float(m[1]) if "rotation of" in m[0] else float(m[1]))) % 360
    return out


def probe_clip(path: Path, max_bytes: int = MAX_CLIP_BYTES, with_hash: bool = True) -> ClipInfo:
    """What ingest needs to know about a clip, or FootageError saying why it cannot be used."""
    path = Path(path)
    if not path.is_file():
        raise FootageError(f"{path.name}: no such file")
    size = check_size(path, max_bytes)
    try:
        text = probe_text(path)
    except RenderError as e:
        raise FootageError(f"{path.name}: {e}") from None
    base, video = parse_probe(text), parse_video(text)
    if not base["video_codec"] or not base["width"]:
        raise FootageError(f"{path.name} is not a video (or is damaged): no picture could be read")
    if base["duration"] < MIN_CLIP_S:
        raise FootageError(f"{path.name} is {base['duration']:.2f} s long; a clip needs at least {MIN_CLIP_S} s")
    fps = video["fps"] or video["tbr"]
    if not fps:
        raise FootageError(f"{path.name}: its frame rate cannot be read")
    w, h = base["width"], base["height"]
    if video["rotation"] in (90, 270):
        w, h = h, w
    vfr = bool(video["tbr"]) and abs(video["tbr"] - fps) > 0.01 * max(fps, 1.0)
    return ClipInfo(path=path, hash=content_hash(path) if with_hash else "", size_bytes=size,
                    duration=round(base["duration"], 3), fps=round(fps, 3), variable_fps=vfr, width=w, height=h,
                    rotation=video["rotation"], has_audio=bool(base["has_audio"]))
