"""Ingest of one clip: probe, shots, faces, framing, thumbnails (engine only, no storage)."""
from pathlib import Path

import numpy as np
import pytest

from engine.errors import FootageError
from engine.footage import (
    ShotFace, detect_shots, framing, ingest_clip, match_actor, probe_clip, shots_from_cuts,
)
from engine.footage.probe import parse_video
from engine.footage.shots import frames_at
from tests.footage_clips import make_clip


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("footage")
    return {"odd": make_clip(d / "odd.mp4", size="161x121", seconds=3, cut=True),
            "rotated": make_clip(d / "rotated.mp4", size="160x96", seconds=2, rotation=90),
            "vfr": make_clip(d / "vfr.mp4", seconds=3, vfr=True),
            "audio": make_clip(d / "audio.mp4", seconds=2, audio=True)}


def test_an_odd_sized_clip_without_audio_is_probed_and_cut_at_its_cut(clips):
    info = probe_clip(clips["odd"])
    assert (info.width, info.height, info.has_audio, info.rotation) == (161, 121, False, 0)
    assert info.duration == pytest.approx(3.0, abs=0.1) and info.fps == 12.0 and len(info.hash) == 64
    spans = detect_shots(info)
    assert len(spans) == 2 and spans[0][0] == 0.0 and spans[-1][1] == info.duration
    assert spans[0][1] == pytest.approx(1.5, abs=0.1)


def test_a_clip_with_no_cut_is_one_shot(clips):
    info = probe_clip(clips["audio"])
    assert info.has_audio and detect_shots(info) == [(0.0, info.duration)]


def test_rotation_metadata_gives_the_size_as_shown_and_upright_frames(clips):
    info = probe_clip(clips["rotated"])
    assert info.rotation in (90, 270) and (info.width, info.height) == (96, 160)
    (_, frame), = list(frames_at(info.path, [0.5]))
    assert frame.shape[:2] == (160, 96)


def test_variable_frame_rate_is_noticed_and_still_cut(clips):
    info = probe_clip(clips["vfr"])
    assert info.variable_fps
    assert len(detect_shots(info)) == 2


def test_parse_video_reads_rate_and_rotation():
    text = ("  Stream #0:0[0x1](und): Video: h264 (High), yuv420p(progressive), 480x640, 1135 kb/s, 29.97 fps, "
            "29.97 tbr, 30k tbn (default)\n      Display Matrix: rotation of -90.00 degrees\n")
    assert parse_video(text) == {"fps": 29.97, "tbr": 29.97, "rotation": 90}


def test_shots_from_cuts_covers_the_clip_and_merges_slivers():
    assert shots_from_cuts([], 4.0) == [(0.0, 4.0)]
    assert shots_from_cuts([1.0, 1.2, 3.0], 4.0) == [(0.0, 1.2), (1.2, 3.0), (3.0, 4.0)]
    assert shots_from_cuts([3.8], 4.0) == [(0.0, 4.0)]


def test_non_videos_empty_and_oversized_files_are_refused_by_name(tmp_path, clips):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(FootageError, match="junk.mp4 is not a video"):
        probe_clip(junk)
    empty = tmp_path / "empty.mov"
    empty.write_bytes(b"")
    with pytest.raises(FootageError, match="empty.mov: the file is empty"):
        probe_clip(empty)
    with pytest.raises(FootageError, match=r"odd.mp4 is .* MB; clips may be at most 0 MB"):
        probe_clip(clips["odd"], max_bytes=1000)


def _face(ratio: float) -> ShotFace:
    return ShotFace(np.zeros(128, np.float32), ratio, (0, 0, 10, 10), 2)


def test_framing_from_face_count_and_size():
    assert framing(()) == "none"
    assert framing((_face(0.4),)) == "closeup"
    assert framing((_face(0.1),)) == "wide"
    assert framing((_face(0.2), _face(0.15))) == "two-shot"
    assert framing((_face(0.05), _face(0.04))) == "wide"
    assert framing((_face(0.3), _face(0.2), _face(0.2))) == "wide"


def test_match_actor_takes_the_nearest_within_half():
    a, b = np.zeros(128, np.float32), np.full(128, 0.1, np.float32)  # |a - b| = 1.13
    assert match_actor(a + 0.02, [(1, a), (2, b)]) == 1
    assert match_actor(b - 0.01, [(1, a), (2, b)]) == 2
    assert match_actor(np.full(128, 0.05, np.float32), [(1, a), (2, b)]) is None  # 0.57 from both


@pytest.mark.shared
def test_real_footage_two_people_make_a_two_shot(shared_data, tmp_path):
    """A group at an event: the two faces large enough are two people, framed as a two-shot, with thumbnails.
    (Close-ups and faceless shots of Tears of Steel: tests/test_footage_film.py, from the shipped copy.)"""
    clip = ingest_clip(shared_data / "footage" / "ccby_openmpf_video_01_group.mp4", tmp_path / "thumbs")
    (shot,) = clip.shots
    assert shot.framing == "two-shot" and len(shot.faces) == 2
    a, b = shot.faces
    assert a.embedding.shape == (128,) and float(np.linalg.norm(a.embedding - b.embedding)) > 0.5
    assert Path(shot.thumbnail).is_file() and a.crop is not None and a.crop.size


@pytest.mark.shared
def test_the_same_person_in_two_clips_is_one_actor_and_a_rotated_selfie_has_faces(shared_data):
    from engine.footage import analyse_shot

    folder = shared_data / "footage"
    a = ingest_clip(folder / "pd_wh_weekly_address_obama_past_few_years.mp4")
    b = ingest_clip(folder / "pd_wh_weekly_address_obama_working_families.mp4")
    (fa,), (fb,) = a.shots[0].faces, b.shots[0].faces
    assert a.shots[0].framing == "closeup" and match_actor(fb.embedding, [(7, fa.embedding)]) == 7
    selfie = probe_clip(folder / "ccby_openmpf_new_face_video-90_selfie.mp4")
    assert selfie.rotation == 90 and (selfie.width, selfie.height) == (640, 480)
    spans = detect_shots(selfie)
    assert len(spans) > 3
    first = analyse_shot(selfie, 0, *spans[0], None)
    assert first.framing == "closeup" and first.faces[0].height_ratio > 0.25
