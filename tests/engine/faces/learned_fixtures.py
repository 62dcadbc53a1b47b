"""Shared pieces of the learned-member and ensemble tests: face sets of two people from ../shared/data (built
with engine.faces.extract), one tiny member trained once per session, and torch on one thread (the CI box has two
cores shared with other work; two OpenMP threads then spin far longer than they compute)."""
from __future__ import annotations

import functools
from pathlib import Path

import pytest
import torch

from engine.faces.extract import build_faceset
from engine.faces.faceset import FaceSet
from engine.faces.models.config import preset
from engine.faces.models.train import train_member

ACTOR, CAST = "faces/ccby_tang_video_person_b", "faces/ccby_tang_video_person_c"
TINY_STEPS = 150


@functools.lru_cache(maxsize=1)
def _facesets(root: Path) -> tuple[FaceSet, FaceSet]:
    return (build_faceset("person_b", sorted((root / ACTOR).glob("*.jpg")))[0],
            build_faceset("person_c", sorted((root / CAST).glob("*.jpg")))[0])


@functools.lru_cache(maxsize=1)
def _tiny_member(root: Path, folder: Path) -> Path:
    actor, cast = _facesets(root)
    with torch.random.fork_rng(devices=[]):
        return train_member(actor, cast, preset("tiny"), folder / "tiny.pt", steps=TINY_STEPS, device="cpu")


@pytest.fixture
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def facesets(shared_data) -> tuple[FaceSet, FaceSet]:
    """(actor, cast): person_b's 3 and person_c's 5 aligned faces."""
    return _facesets(shared_data)


@pytest.fixture
def tiny_member(shared_data, tmp_path_factory, one_thread) -> Path:
    """A tiny member (person_b -> person_c) trained for TINY_STEPS steps, once per session (a few seconds)."""
    return _tiny_member(shared_data, tmp_path_factory.getbasetemp())
