"""face_still: a cast member's video gives a saved frame showing their face."""
from __future__ import annotations

import pytest

from engine.errors import FaceError
from engine.faces import face_still

SELFIE = "footage/ccby_openmpf_new_face_video-90_selfie.mp4"


def test_video_frame_is_saved_into_a_folder_that_does_not_exist_yet(shared_data, tmp_path):
    out_dir = tmp_path / "stills" / "ada"
    still = face_still(shared_data / SELFIE, out_dir)
    assert still.parent == out_dir and still.suffix == ".jpg" and still.stat().st_size > 1000


def test_a_video_that_is_not_one_is_a_face_error(tmp_path):
    fake = tmp_path / "clip.mp4"
    fake.write_bytes(b"\x00" * 4096)
    with pytest.raises(FaceError):
        face_still(fake, tmp_path / "out")
