"""A short real render: an mp4 of the timeline's length, with sound, subtitles and within the size limit."""
from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.errors import Cancelled, RenderError
from engine.render import Portrait, RenderConfig, build_timeline, probe, render_film
from engine.render.cards import title_card
from engine.render.ffmpeg import ffmpeg_exe
from engine.screenplay.document import Action, Dialogue, Scene, Screenplay
from engine.voice import voice_screenplay

SIZE = (426, 240)
SP = Screenplay("Tide", scenes=[Scene("INT. LIGHTHOUSE - NIGHT", [
    Action("Rain."),
    Dialogue("MARA", "I was never meant to keep the light."),
    Dialogue("TOMAS", "Then go.", "(whispering)"),
])])


def frame_at(mp4: Path, t: float, size=SIZE) -> np.ndarray:
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-ss", f"{t:.3f}", "-i", str(mp4), "-frames:v", "1",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(size[1], size[0], 3)


def white_share(img: np.ndarray) -> float:
    """Share of near-white pixels in the bottom quarter (where subtitles go)."""
    bottom = img[int(img.shape[0] * 0.75):]
    return float((bottom.min(axis=2) > 215).mean())


def short_timeline(tmp: Path, faces=None):
    from engine.render.timeline import TimelineConfig

    lines = voice_screenplay(SP, tmp / "voice")
    cfg = TimelineConfig(title_s=1.0, scene_card_s=0.8, action_min_s=1.0, credits_min_s=1.5, credits_max_s=2.0)
    return build_timeline(SP, lines, faces=faces, size=SIZE, fps=12, config=cfg)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("film")
    photo = tmp / "mara.png"
    Image.fromarray((np.indices((300, 200)).sum(axis=0) % 255).astype(np.uint8)).convert("RGB").save(photo)
    tl = short_timeline(tmp, faces={"MARA": photo})
    events = []
    result = render_film(tl, tmp / "out" / "film.mp4", max_mb=1.0, on_progress=events.append)
    return tl, result, events


def test_mp4_matches_the_timeline_and_fits(rendered):
    tl, result, _ = rendered
    assert 5 < tl.duration < 10
    info = probe(result.path)
    assert info["duration"] == pytest.approx(tl.duration, abs=0.2)
    assert info["has_audio"] and info["video_codec"] == "h264" and info["audio_codec"] == "aac"
    assert (info["width"], info["height"]) == SIZE == (result.width, result.height)
    assert result.size_bytes == result.path.stat().st_size <= 1.0 * 1024 * 1024
    assert sorted(p.name for p in result.path.parent.iterdir()) == ["film.contact.png", "film.mp4", "film.poster.png"]


def test_subtitles_are_burned_in_while_a_line_is_spoken(rendered):
    tl, result, _ = rendered
    sub = tl.subtitles[0]
    during = frame_at(result.path, (sub.start + sub.end) / 2)
    before = frame_at(result.path, 0.5)  # title card: no subtitle
    assert white_share(during) > 0.01
    assert white_share(before) < 0.001
    assert isinstance(tl.visual_at((sub.start + sub.end) / 2), Portrait)


def test_dialogue_audio_is_in_sync(rendered, tmp_path):
    tl, result, _ = rendered
    wav = tmp_path / "a.wav"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(result.path), "-ac", "1", "-ar", "8000", "-f", "s16le",
                    str(wav)], check=True)
    audio = np.abs(np.frombuffer(wav.read_bytes(), "<i2").astype(np.float32))
    loud = np.flatnonzero(audio > 0.05 * audio.max())
    first_sound = loud[0] / 8000
    assert first_sound == pytest.approx(tl.audio[0].start, abs=0.15)  # nothing before the first line
    assert loud[-1] / 8000 <= tl.audio[-1].start + tl.audio[-1].duration + 0.15


def test_poster_contact_sheet_and_progress(rendered):
    _, result, events = rendered
    poster = Image.open(result.poster)
    assert poster.size == SIZE
    plain = title_card(*SIZE, "Tide", "Written by Benjamin")
    assert np.abs(np.asarray(poster.convert("RGB")).astype(int) - plain).mean() > 5  # title over the cast's face
    assert Image.open(result.contact_sheet).size[0] > SIZE[0]
    fractions = [e.fraction for e in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert all(e.stage == "render" for e in events)
    assert events[-1].preview == result.poster
    assert any(e.eta_s is not None and 0 < e.fraction < 1 for e in events)


def test_impossible_size_limit_is_refused_before_any_work(tmp_path):
    tl = short_timeline(tmp_path)
    with pytest.raises(RenderError, match="cannot fit in 0.01 MB"):
        render_film(tl, tmp_path / "x.mp4", max_mb=0.01)
    assert not (tmp_path / "x.mp4").exists()


def test_unreadable_face_photo_falls_back_to_a_drawn_card(tmp_path, caplog):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not a jpeg at all")
    tl = short_timeline(tmp_path, faces={"MARA": bad})
    with caplog.at_level(logging.WARNING):
        result = render_film(tl, tmp_path / "f.mp4", max_mb=1.0)
    assert result.warnings and "MARA" in result.warnings[0] and "broken.jpg" in result.warnings[0]
    assert "drawn card" in caplog.text
    assert probe(result.path)["has_audio"]
    with pytest.raises(RenderError, match="cast photo for MARA cannot be read"):
        render_film(tl, tmp_path / "g.mp4", max_mb=1.0, config=RenderConfig(strict_media=True))


def test_cancelled_render_leaves_no_partial_file(tmp_path):
    tl = short_timeline(tmp_path)

    def cancel_half_way(p):
        if p.fraction > 0.4:
            raise Cancelled("user cancelled")

    with pytest.raises(Cancelled):
        render_film(tl, tmp_path / "out" / "film.mp4", on_progress=cancel_half_way)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["film.poster.png"]
    poster = np.asarray(Image.open(tmp_path / "out" / "film.poster.png").convert("RGB"))
    assert np.array_equal(poster, title_card(*SIZE, "Tide", "Written by Benjamin"))  # no faces: the title card


def test_overshooting_first_pass_is_reencoded_under_the_limit(tmp_path):
    from engine.render import EncodeConfig

    noise = tmp_path / "noise.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (240, 426, 3), dtype=np.uint8)).save(noise)
    tl = short_timeline(tmp_path, faces={"MARA": noise, "TOMAS": noise})
    # plan for three times the limit, so the first pass overshoots and the size check must act
    config = RenderConfig(encode=EncodeConfig(container_margin=3.0, crf=10))
    result = render_film(tl, tmp_path / "f.mp4", max_mb=0.25, config=config)
    assert result.passes >= 2
    assert result.size_bytes <= 0.25 * 1024 * 1024
    assert probe(result.path)["duration"] == pytest.approx(tl.duration, abs=0.2)


def test_footage_shot_is_shown_for_its_line(tmp_path, shared_data):
    from engine.render import FootageShot

    clip = next(iter(sorted((shared_data / "footage").glob("pd_wh_*.mp4"))))
    lines = voice_screenplay(SP, tmp_path / "voice")
    tl = build_timeline(SP, lines, footage=[FootageShot(clip, 0.5, 3.0, line=0, source="PD clip")],
                        size=SIZE, fps=12)
    result = render_film(tl, tmp_path / "f.mp4", max_mb=2.0)
    shot = tl.visuals[3]
    assert isinstance(shot, FootageShot)
    frame = frame_at(result.path, shot.start + 0.3)
    assert frame[: SIZE[1] // 2].std() > 20  # a real picture, not a flat card
    assert tl.visuals[-1].footage == ("PD clip",)


def test_an_ffmpeg_that_cannot_start_is_a_render_error(tmp_path, monkeypatch):
    from engine.render import ffmpeg as ff

    tl = short_timeline(tmp_path)
    monkeypatch.setattr(ff, "ffmpeg_exe", lambda: str(tmp_path / "no-such-ffmpeg"))
    with pytest.raises(RenderError, match="ffmpeg could not run"):
        render_film(tl, tmp_path / "out" / "film.mp4")
    assert not (tmp_path / "out" / "film.mp4").exists()
    assert not list((tmp_path / "out").glob(".render-*"))  # the work folder is cleaned up


def test_a_poster_that_cannot_be_written_leaves_no_half_file(tmp_path, monkeypatch):
    tl = short_timeline(tmp_path)
    real_save = Image.Image.save

    def save_then_fail(self, fp, *args, **kwargs):
        real_save(self, fp, *args, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", save_then_fail)
    with pytest.raises(OSError):
        render_film(tl, tmp_path / "out" / "film.mp4")
    assert list((tmp_path / "out").iterdir()) == []
