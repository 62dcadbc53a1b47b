"""ffmpeg (imageio-ffmpeg's binary, never a system one): size budget, command builders (plain lists,
tested by equality) and the runners that execute them, kept apart."""
from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from engine.errors import RenderError

MIB = 1024 * 1024


@dataclass(frozen=True)
class EncodeConfig:
    preset: str = "veryfast"  # x264 speed/quality trade; veryfast suits 2 cores
    crf: int = 23  # quality target, capped by the bitrate budget (static cards cost almost nothing)
    threads: int = 2
    audio_rate: int = 44100
    audio_kbps: tuple[int, ...] = (96, 64, 48, 32)  # tried in order until video still gets its minimum
    min_video_kbps: int = 48  # below this a film is mush: refuse instead
    container_margin: float = 0.95  # share of the size limit planned for (mp4 overhead, VBV slack)


@dataclass(frozen=True)
class Budget:
    video_kbps: int
    audio_kbps: int


def ffmpeg_exe() -> str:
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as e:  # not installed, or its binary missing
        raise RenderError(f"ffmpeg is not available (imageio-ffmpeg): {e}") from e


def plan_budget(duration_s: float, max_mb: float, config: EncodeConfig = EncodeConfig()) -> Budget:
    """Video and audio bitrates that fit ``duration_s`` into ``max_mb`` MiB, or RenderError."""
    if duration_s <= 0:
        raise RenderError("the film is empty (zero duration)")
    if not max_mb or max_mb <= 0:
        raise RenderError(f"the size limit must be positive, not {max_mb} MB")
    total_kbps = max_mb * MIB * 8 * config.container_margin / duration_s / 1000
    for audio in config.audio_kbps:
        video = int(total_kbps - audio)
        if video >= config.min_video_kbps:
            return Budget(video, audio)
    need = (config.min_video_kbps + config.audio_kbps[-1]) * 1000 * duration_s / 8 / config.container_margin / MIB
    raise RenderError(f"a {duration_s:.0f}-second film cannot fit in {max_mb:g} MB; "
                      f"it needs at least {need:.2f} MB (raise --max-mb)")


def encode_command(exe: str, width: int, height: int, fps: int, audio_wav: Path, out: Path, budget: Budget,
                   config: EncodeConfig = EncodeConfig()) -> list[str]:
    """Raw RGB frames on stdin + a WAV -> H.264/AAC mp4, quality-targeted but capped by the budget."""
    v = budget.video_kbps
    return [exe, "-hide_banner", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", str(fps), "-i", "-",
            "-i", str(audio_wav),
            "-map", "0:v:0", "-map", "1:a:0",
            "-c:v", "libx264", "-preset", config.preset, "-crf", str(config.crf),
            "-maxrate", f"{v}k", "-bufsize", f"{v * 2}k", "-pix_fmt", "yuv420p", "-threads", str(config.threads),
            "-c:a", "aac", "-b:a", f"{budget.audio_kbps}k", "-ar", str(config.audio_rate), "-ac", "1",
            "-movflags", "+faststart", "-shortest", "-f", "mp4", str(out)]


def reencode_command(exe: str, src: Path, out: Path, budget: Budget, config: EncodeConfig = EncodeConfig()) -> list[str]:
    """Second pass when the first overshot: average bitrate, strictly capped, audio re-encoded too."""
    v = budget.video_kbps
    return [exe, "-hide_banner", "-loglevel", "error", "-y", "-i", str(src),
            "-c:v", "libx264", "-preset", config.preset, "-b:v", f"{v}k", "-maxrate", f"{v}k",
            "-bufsize", f"{v}k", "-pix_fmt", "yuv420p", "-threads", str(config.threads),
            "-c:a", "aac", "-b:a", f"{budget.audio_kbps}k", "-ar", str(config.audio_rate), "-ac", "1",
            "-movflags", "+faststart", "-f", "mp4", str(out)]


def _execute(cmd: list[str], timeout: float | None) -> subprocess.CompletedProcess:
    """Run ``cmd`` with stderr captured; RenderError (not a traceback) when it cannot start or times out."""
    try:
        return subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise RenderError(f"ffmpeg could not run: {e}") from e


def run(cmd: list[str], timeout: float | None = None, poll: Callable[[], None] | None = None,
        poll_s: float = 1.0) -> None:
    """Run an ffmpeg command; RenderError carrying ffmpeg's last words on failure.

    ``poll`` is called every ``poll_s`` seconds while it runs (a progress report); whatever it raises
    (Cancelled) stops ffmpeg before it propagates."""
    proc = _execute(cmd, timeout) if poll is None else _execute_polled(cmd, poll, poll_s)
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise RenderError("ffmpeg failed: " + " | ".join(tail))


def _execute_polled(cmd: list[str], poll: Callable[[], None], poll_s: float) -> subprocess.CompletedProcess:
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except OSError as e:
        raise RenderError(f"ffmpeg could not run: {e}") from e
    try:
        while True:
            try:
                _, err = proc.communicate(timeout=poll_s)
                return subprocess.CompletedProcess(cmd, proc.returncode, None, err)
            except subprocess.TimeoutExpired:
                poll()
    except BaseException:  # cancelled or failed: stop ffmpeg before going on
        proc.kill()
        proc.communicate()
        raise


def probe(path: Path) -> dict:
    """duration (s), has_audio, width, height, size (bytes), video/audio codec of a media file."""
    return parse_probe(probe_text(path)) | {"size": os.path.getsize(path)}


def probe_text(path: Path) -> str:
    """What ``ffmpeg -i`` says about a media file (streams, duration, rotation), for the parsers."""
    path = Path(path)
    if not path.is_file():
        raise RenderError(f"no such video: {path}")
    proc = _execute([ffmpeg_exe(), "-hide_banner", "-i", str(path)], timeout=60)  # exits 1: no output named
    return proc.stderr.decode("utf-8", "replace")


def parse_probe(text: str) -> dict:
    """Parse ``ffmpeg -i`` output (split out so it is testable on plain text)."""
    out = {"duration": 0.0, "has_audio": False, "width": 0, "height": 0, "video_codec": None, "audio_codec": None}
    m = re.search(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)", text)
    if m:
        out["duration"] = int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3])
    m = re.search(r"Stream #\S+.*?Video:\s*(\w+).*?,\s*(\d{2,5})x(\d{2,5})", text)
    if m:
        out.update(video_codec=m[1], width=int(m[2]), height=int(m[3]))
    m = re.search(r"Stream #\S+.*?Audio:\s*(\w+)", text)
    if m:
        out.update(has_audio=True, audio_codec=m[1])
    return out
