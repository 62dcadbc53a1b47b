"""Shared pieces of the learned-member and ensemble tests: face sets of two people from ../shared/data (built
with the faces core), one tiny member trained once per session, and torch on one thread (the CI box has two
cores shared with other work; two OpenMP threads then spin far longer than they compute)."""
from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from engine.faces.align import align
from engine.faces.faceset import FaceSet
from engine.faces.landmarks import embedding, find_faces
from engine.faces.models.config import preset
from engine.faces.models.train import train_member

ACTOR, CAST = "faces/ccby_tang_video_person_b", "faces/ccby_tang_video_person_c"
TINY_STEPS = 150


def faceset_from_folder(folder: Path, name: str) -> FaceSet:
    """Every photo's largest face, aligned, with landmarks and embedding."""
    faces, marks, embs, sources = [], [], [], []
    for path in sorted(Path(folder).glob("*.jpg")):
        rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        found = find_faces(rgb)
        if not found:
            continue
        aligned = align(rgb, found[0].landmarks)
        faces.append(aligned.crop)
        marks.append(aligned.landmarks)
        embs.append(embedding(aligned.crop, aligned.landmarks))
        sources.append(path.name)
    return FaceSet(name, np.stack(faces), np.stack(marks), np.stack(embs), sources)


@functools.lru_cache(maxsize=1)
def _facesets(root: Path) -> tuple[FaceSet, FaceSet]:
    return faceset_from_folder(root / ACTOR, "person_b"), faceset_from_folder(root / CAST, "person_c")


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
