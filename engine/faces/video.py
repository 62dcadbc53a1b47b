"""Reading a clip's frames (OpenCV, rotation metadata applied) and writing frames back to an mp4 (the
ffmpeg of imageio-ffmpeg, raw RGB piped in), muxing the source clip's audio and an AI-made tag."""
from __future__ import annotations

import logging
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from engine.errors import FaceError, RenderError
from engine.render.ffmpeg import ffmpeg_exe

log = logging.getLogger(__name__)

AI_TAG = "AI-generated: faces in this video were synthetically swapped by Benjamin"


@dataclass(frozen=True)
class ClipInfo:
    fps: float
    width: int
    height: int
    frames: int  # as reported by the container (may be an estimate)


def open_clip(path: Path) -> tuple[cv2.VideoCapture, ClipInfo]:
    path = Path(path)
    if not path.is_file():
        raise FaceError(f"no such video: {path}")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise FaceError(f"{path.name} is not a readable video")
    fps = cap.get(cv2.CAP_PROP_FPS) or 0.0
    if not 1.0 <= fps <= 240.0:
        fps = 25.0
    ok, frame = cap.read()
    if not ok or frame is None:
        cap.release()
        raise FaceError(f"{path.name} has no decodable video frames")
    cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
    h, w = frame.shape[:2]
    return cap, ClipInfo(float(fps), w, h, int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0))


def clip_info(path: Path) -> ClipInfo:
    cap, info = open_clip(path)
    cap.release()
    return info


def read_frames(path: Path, start_s: float = 0.0, end_s: float | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """(frame index, RGB frame) from ``start_s`` to ``end_s`` (upright: rotation metadata applied)."""
    cap, info = open_clip(path)
    try:
        first = int(round(start_s * info.fps))
        last = None if end_s is None else int(round(end_s * info.fps))
        if first:
            cap.set(cv2.CAP_PROP_POS_FRAMES, first)
        i = first
        while last is None or i < last:
            ok, frame = cap.read()
            if not ok or frame is None:
                break
            yield i, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            i += 1
    finally:
        cap.release()


def writer_command(exe: str, width: int, height: int, fps: float, out: Path, audio_from: Path | None,
                   start_s: float = 0.0, duration_s: float | None = None, crf: int = 18,
                   comment: str = AI_TAG) -> list[str]:
    """ffmpeg reading raw RGB frames on stdin (and the source's audio, when asked) into an H.264 mp4."""
    cmd = [exe, "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
           "-s", f"{width}x{height}", "-r", f"{fps:g}", "-i", "-"]
    if audio_from is not None:
        cmd += ["-ss", f"{start_s:.3f}"]
        if duration_s is not None:
            cmd += ["-t", f"{duration_s:.3f}"]
        cmd += ["-i", str(audio_from), "-map", "0:v:0", "-map", "1:a:0?", "-c:a", "aac", "-b:a", "128k"]
    cmd += ["-c:v", "libx264", "-preset", "veryfast", "-crf", str(crf), "-pix_fmt", "yuv420p",
            "-movflags", "+faststart", "-metadata", f"comment={comment}", "-metadata", f"description={comment}",
            "-shortest" if audio_from is not None else "-y", str(out)]
    return cmd


class VideoWriter:
    """Frames in, an mp4 out; written to ``out.part.mp4`` and moved into place by ``close()``."""

    def __init__(self, out: Path, width: int, height: int, fps: float, audio_from: Path | None = None,
                 start_s: float = 0.0, duration_s: float | None = None) -> None:
        self.out = Path(out)
        self.part = self.out.with_name(self.out.stem + ".part.mp4")
        self.size = (width, height)
        cmd = writer_command(ffmpeg_exe(), width, height, fps, self.part, audio_from, start_s, duration_s)
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        self.frames = 0

    def write(self, rgb: np.ndarray) -> None:
        if rgb.shape[1::-1] != self.size:
            raise RenderError(f"frame of {rgb.shape[1]}x{rgb.shape[0]} does not fit a {self.size} video")
        try:
            self.proc.stdin.write(np.ascontiguousarray(rgb, dtype=np.uint8).tobytes())
        except BrokenPipeError:
            raise RenderError(f"ffmpeg stopped: {self._err()}") from None
        self.frames += 1

    def _err(self) -> str:
        return (self.proc.stderr.read() or b"").decode("utf-8", "replace").strip()[-400:]

    def close(self) -> Path:
        self.proc.stdin.close()
        code = self.proc.wait()
        if code != 0:
            self.part.unlink(missing_ok=True)
            raise RenderError(f"ffmpeg could not write {self.out.name}: {self._err()}")
        self.part.replace(self.out)
        return self.out

    def abort(self) -> None:
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        self.proc.kill()
        self.proc.wait()
        self.part.unlink(missing_ok=True)
