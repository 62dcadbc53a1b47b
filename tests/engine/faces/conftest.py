"""Fixtures for the faces engine: real faces and footage (../shared/data; skipped without it) and the
shipped Tears of Steel excerpt (in the repo)."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
TOS = ROOT / "assets" / "footage" / "ccby3_blender_tears_of_steel_0500.mp4"


@pytest.fixture(scope="session")
def tos_clip() -> Path:
    assert TOS.is_file(), "the shipped Tears of Steel excerpt is missing from assets/footage"
    return TOS


@pytest.fixture(scope="session")
def person_b(shared_data):
    """A face set of one person (3 photos). Internal test only: never publish swaps of these people."""
    from engine.faces.extract import build_faceset

    fs, notes = build_faceset("B", sorted((shared_data / "faces" / "ccby_tang_video_person_b").glob("*.jpg")))
    return fs


@pytest.fixture(scope="session")
def address_clip(shared_data) -> Path:
    return shared_data / "footage" / "pd_wh_weekly_address_obama_working_families.mp4"


@pytest.fixture(scope="session")
def selfie_faces(shared_data):
    """The selfie video of three friends (17 s, 13 cuts) tracked whole, once (about 30 s on 2 cores)."""
    from engine.faces.track import track_video

    return track_video(shared_data / "footage" / "ccby_openmpf_new_face_video-90_selfie.mp4")
