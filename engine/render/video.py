"""Turn a Timeline into an H.264/AAC mp4 that fits a size limit, plus a poster and a contact sheet.

Frames are composed with numpy/PIL/OpenCV (cards drawn once) and piped raw into ffmpeg, which muxes
the dialogue track mixed here. The mp4 is written in a temp folder beside ``out_path`` and moved into
place at the end, so a killed render never leaves half a film where the finished one belongs.
"""
from __future__ import annotations

import logging
import math
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.clock import minutes_seconds
from engine.errors import RenderError
from engine.progress import EtaClock, Progress, ProgressFn, null_progress
from engine.render import ffmpeg as ff
from engine.render.frames import FrameSource, check_media
from engine.render.timeline import FootageShot, Portrait, TitleCard, Timeline
from engine.voice.audio import read_wav, resample, write_wav

log = logging.getLogger(__name__)

AUDIO_RATE = 24000


@dataclass(frozen=True)
class RenderConfig:
    encode: ff.EncodeConfig = ff.EncodeConfig()
    progress_every: int = 12  # frames between progress reports
    retries: int = 2  # re-encodes allowed when the first pass overshoots the size limit
    strict_media: bool = False  # True: unreadable photos/footage raise; False: drawn card + warning
    contact_cols: int = 4
    contact_max: int = 12  # frames on the contact sheet


@dataclass(frozen=True)
class RenderResult:
    path: Path
    duration_s: float
    size_bytes: int
    width: int
    height: int
    has_audio: bool
    poster: Path
    contact_sheet: Path
    video_kbps: int = 0
    audio_kbps: int = 0
    passes: int = 1
    warnings: tuple[str, ...] = ()


def render_film(timeline: Timeline, out_path: Path, max_mb: float = 10.0, on_progress: ProgressFn = null_progress,
                config: RenderConfig = RenderConfig()) -> RenderResult:
    """Render ``timeline`` to ``out_path`` (mp4) within ``max_mb`` MiB; RenderError if it cannot."""
    out_path = Path(out_path)
    budget = ff.plan_budget(timeline.duration, max_mb, config.encode)  # impossible limits fail before any work
    problems = check_media(timeline)
    if problems and config.strict_media:
        raise RenderError("; ".join(problems.values()))
    for msg in problems.values():
        log.warning("%s; using a drawn card instead", msg)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".render-", dir=out_path.parent))
    source = FrameSource(timeline, fallback=set(problems))
    try:
        poster = _write_png(_poster_frame(timeline, source), out_path.with_name(out_path.stem + ".poster.png"))
        on_progress(Progress("render", 0.0, "mixing dialogue", None, poster))
        wav = mix_audio(timeline, work / "dialogue.wav")
        first = work / "pass1.mp4"
        _encode(timeline, source, wav, first, budget, on_progress, poster, config)
        final, budget, passes = _fit(first, work, timeline.duration, max_mb, budget, on_progress, poster, config)
        on_progress(Progress("render", 0.97, "drawing the contact sheet", None, poster))
        sheet = _write_png(contact_sheet(timeline, source, config), out_path.with_name(out_path.stem + ".contact.png"))
        os.replace(final, out_path)
    finally:
        source.close()
        shutil.rmtree(work, ignore_errors=True)
    info = ff.probe(out_path)
    on_progress(Progress("render", 1.0, f"rendered {info['duration']:.1f} s, {info['size'] / ff.MIB:.2f} MB", 0.0,
                         poster))
    return RenderResult(out_path, info["duration"], info["size"], info["width"], info["height"], info["has_audio"],
                        poster, sheet, budget.video_kbps, budget.audio_kbps, passes, tuple(problems.values()))


def mix_audio(timeline: Timeline, out: Path, rate: int = AUDIO_RATE) -> Path:
    """All dialogue cues placed at their start times in one mono track as long as the film."""
    track = np.zeros(int(math.ceil(timeline.duration * rate)) + 1, np.float32)
    for cue in timeline.audio:
        try:
            audio, sr = read_wav(cue.path)
        except Exception as e:
            raise RenderError(f"a voiced line cannot be read ({Path(cue.path).name}: {e}); voice the film again") from e
        audio = resample(audio, sr, rate)
        a = int(round(cue.start * rate))
        n = max(0, min(audio.size, track.size - a))
        track[a:a + n] += audio[:n]
    write_wav(out, np.clip(track, -1.0, 1.0), rate)
    return out


def _encode(tl: Timeline, source: FrameSource, wav: Path, out: Path, budget: ff.Budget, on_progress: ProgressFn,
            poster: Path, config: RenderConfig) -> None:
    """Pipe every frame into ffmpeg; progress by frames written (0..0.9 of the stage)."""
    cmd = ff.encode_command(ff.ffmpeg_exe(), tl.width, tl.height, tl.fps, wav, out, budget, config.encode)
    n_frames = max(1, int(round(tl.duration * tl.fps)))
    clock = EtaClock()
    with open(out.with_suffix(".log"), "wb") as err:
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err)
        except OSError as e:
            raise RenderError(f"ffmpeg could not run: {e}") from e
        try:
            for n in range(n_frames):
                if n % config.progress_every == 0:
                    f = n / n_frames
                    on_progress(Progress("render", 0.9 * f, f"frame {n}/{n_frames}", clock.eta(f), poster))
                proc.stdin.write(np.ascontiguousarray(source.frame(n / tl.fps)).tobytes())
            proc.stdin.close()
            code = proc.wait()
        except BrokenPipeError:  # ffmpeg stopped reading; its log says why
            code = proc.wait()
        except BaseException:  # cancelled or failed: stop ffmpeg, leave nothing behind
            proc.kill()
            proc.wait()
            raise
        finally:
            try:
                proc.stdin.close()  # no-op when already closed; flushing into a dead pipe raises
            except OSError:
                pass
    if code != 0:
        tail = out.with_suffix(".log").read_text("utf-8", "replace").strip().splitlines()[-3:]
        raise RenderError("ffmpeg failed while encoding: " + " | ".join(tail))


def _fit(first: Path, work: Path, duration: float, max_mb: float, budget: ff.Budget, on_progress: ProgressFn,
         poster: Path, config: RenderConfig) -> tuple[Path, ff.Budget, int]:
    """Re-encode at a lower bitrate while the file is over the limit."""
    limit = max_mb * ff.MIB
    current, passes = first, 1
    while os.path.getsize(current) > limit:
        if passes > config.retries:
            raise RenderError(f"could not get the film under {max_mb:g} MB after {passes} passes "
                              f"({os.path.getsize(current) / ff.MIB:.2f} MB); raise --max-mb")
        ratio = limit / os.path.getsize(current)
        video = int(budget.video_kbps * ratio * 0.9)
        if video < config.encode.min_video_kbps:
            raise RenderError(f"a {duration:.0f}-second film cannot fit in {max_mb:g} MB at watchable quality; "
                              "raise --max-mb")
        budget = ff.Budget(video, budget.audio_kbps)
        report = Progress("render", 0.92, f"over {max_mb:g} MB: re-encoding at {video} kb/s", None, poster)
        on_progress(report)
        nxt = work / f"pass{passes + 1}.mp4"
        ff.run(ff.reencode_command(ff.ffmpeg_exe(), current, nxt, budget, config.encode),
               poll=lambda: on_progress(report))  # keeps cancel prompt through a long re-encode
        current, passes = nxt, passes + 1
    return current, budget, passes


def _poster_frame(tl: Timeline, source: FrameSource) -> np.ndarray:
    """The title over the first face (or footage) shot, darkened; the plain title card without one."""
    from engine.render.cards import title_card

    title = next((v for v in tl.visuals if isinstance(v, TitleCard)), None)
    shot = next((v for i, v in enumerate(tl.visuals)
                 if isinstance(v, (Portrait, FootageShot)) and i not in source.fallback), None)
    background = source.visual_frame_at(shot.start + shot.duration / 2) if shot else None
    if title is None:
        return source.frame(tl.duration / 2)
    return title_card(tl.width, tl.height, title.title, title.byline, background)


def contact_sheet(tl: Timeline, source: FrameSource, config: RenderConfig = RenderConfig()) -> np.ndarray:
    """A grid of frames from the middle of evenly chosen shots, each labelled with its time."""
    from PIL import Image, ImageDraw

    from engine.render.cards import font

    picks = tl.visuals
    if len(picks) > config.contact_max:
        idx = np.linspace(0, len(picks) - 1, config.contact_max).round().astype(int)
        picks = tuple(picks[i] for i in idx)
    cols = min(config.contact_cols, len(picks))
    rows = math.ceil(len(picks) / cols)
    tw = max(120, tl.width // 3)
    th = int(tw * tl.height / tl.width)
    gap = 6
    sheet = Image.new("RGB", (cols * (tw + gap) + gap, rows * (th + gap) + gap), (8, 8, 10))
    draw = ImageDraw.Draw(sheet)
    fnt = font(max(10, th // 12), True)
    for k, v in enumerate(picks):
        t = v.start + v.duration / 2
        thumb = Image.fromarray(source.frame(t)).resize((tw, th), Image.Resampling.BILINEAR)
        x, y = gap + (k % cols) * (tw + gap), gap + (k // cols) * (th + gap)
        sheet.paste(thumb, (x, y))
        draw.text((x + tw - 4, y + 3), minutes_seconds(t), font=fnt, fill=(255, 220, 120),
                  stroke_width=2, stroke_fill=(0, 0, 0), anchor="rt")
    return np.asarray(sheet)


def _write_png(img: np.ndarray, path: Path) -> Path:
    from PIL import Image

    tmp = path.with_name(path.name + ".part")
    try:
        Image.fromarray(img).save(tmp, format="PNG")
        os.replace(tmp, path)
    except BaseException:  # a full disk (or a cancel) leaves no half picture beside the film
        tmp.unlink(missing_ok=True)
        raise
    return path
