"""ffmpeg commands are built as plain lists (checked by equality) apart from running them; the size
budget and the probe parser are plain functions too."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import RenderError
from engine.render import Budget, EncodeConfig, encode_command, plan_budget, reencode_command
from engine.render.ffmpeg import parse_probe


def test_encode_command():
    cmd = encode_command("ffmpeg", 854, 480, 24, Path("/w/a.wav"), Path("/w/out.mp4"), Budget(900, 96))
    assert cmd == [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "854x480", "-r", "24", "-i", "-",
        "-i", "/w/a.wav", "-map", "0:v:0", "-map", "1:a:0",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-maxrate", "900k", "-bufsize", "1800k",
        "-pix_fmt", "yuv420p", "-threads", "2",
        "-c:a", "aac", "-b:a", "96k", "-ar", "44100", "-ac", "1",
        "-movflags", "+faststart", "-shortest", "-f", "mp4", "/w/out.mp4",
    ]


def test_reencode_command_caps_the_bitrate():
    cmd = reencode_command("ffmpeg", Path("/w/p1.mp4"), Path("/w/p2.mp4"), Budget(300, 48), EncodeConfig(threads=1))
    assert cmd == [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", "/w/p1.mp4",
        "-c:v", "libx264", "-preset", "veryfast", "-b:v", "300k", "-maxrate", "300k", "-bufsize", "300k",
        "-pix_fmt", "yuv420p", "-threads", "1",
        "-c:a", "aac", "-b:a", "48k", "-ar", "44100", "-ac", "1",
        "-movflags", "+faststart", "-f", "mp4", "/w/p2.mp4",
    ]


def test_budget_fits_discords_limit():
    b = plan_budget(300.0, 10.0)  # a 5-minute film in 10 MiB
    assert b.audio_kbps == 96
    total_bytes = (b.video_kbps + b.audio_kbps) * 1000 * 300 / 8
    assert 0.9 * 10 * 1024 * 1024 < total_bytes <= 0.96 * 10 * 1024 * 1024


def test_tight_budget_trades_audio_bitrate_for_video():
    b = plan_budget(60.0, 0.9)  # 0.9 MiB for a minute: ~119 kb/s in all
    assert b.audio_kbps < 96 and b.video_kbps >= EncodeConfig().min_video_kbps


@pytest.mark.parametrize("max_mb", [0.01, 0, -1])
def test_impossible_limits_say_what_is_needed(max_mb):
    with pytest.raises(RenderError, match="MB"):
        plan_budget(60.0, max_mb)


def test_impossible_limit_message_names_the_minimum():
    with pytest.raises(RenderError, match=r"cannot fit in 0.01 MB; it needs at least 0\.\d\d MB"):
        plan_budget(60.0, 0.01)


FFMPEG_SAYS = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'film.mp4':
  Duration: 00:01:02.54, start: 0.000000, bitrate: 312 kb/s
  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), 854x480, 210 kb/s, 24 fps
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, mono, fltp, 96 kb/s
"""


def test_parse_probe():
    assert parse_probe(FFMPEG_SAYS) == {"duration": 62.54, "has_audio": True, "width": 854, "height": 480,
                                        "video_codec": "h264", "audio_codec": "aac"}
    silent = "\n".join(x for x in FFMPEG_SAYS.splitlines() if "Audio" not in x)
    assert parse_probe(silent)["has_audio"] is False


def test_probe_reports_an_unusable_ffmpeg_as_a_render_error(tmp_path, monkeypatch):
    """A broken or hung ffmpeg is a RenderError a user can read, not a traceback."""
    import subprocess

    from engine.render import ffmpeg as ff

    video = tmp_path / "film.mp4"
    video.write_bytes(b"not really a film")
    monkeypatch.setattr(ff, "ffmpeg_exe", lambda: str(tmp_path / "no-such-ffmpeg"))
    with pytest.raises(RenderError, match="ffmpeg could not run"):
        ff.probe(video)

    def hang(cmd, **kw):
        raise subprocess.TimeoutExpired(cmd, kw.get("timeout"))

    monkeypatch.setattr(ff.subprocess, "run", hang)
    with pytest.raises(RenderError, match="ffmpeg could not run"):
        ff.probe(video)


def test_a_long_ffmpeg_run_polls_and_stops_when_cancelled():
    """A re-encode keeps reporting while it runs, and a cancel from the report stops ffmpeg at once."""
    from engine.errors import Cancelled
    from engine.render import ffmpeg as ff

    minute_of_real_time = [ff.ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi",
                           "-i", "anullsrc=r=8000:cl=mono", "-t", "60", "-f", "null", "-"]
    calls = []

    def cancel_on_second_report():
        calls.append(1)
        if len(calls) == 2:
            raise Cancelled("stop")

    with pytest.raises(Cancelled):
        ff.run(minute_of_real_time, poll=cancel_on_second_report, poll_s=0.1)
    assert len(calls) == 2


def test_a_polled_run_reports_ffmpeg_failures_like_run(tmp_path):
    from engine.render import ffmpeg as ff

    with pytest.raises(RenderError, match="ffmpeg failed"):
        ff.run([ff.ffmpeg_exe(), "-i", str(tmp_path / "missing.mp4"), "-f", "null", "-"], poll=lambda: None)
