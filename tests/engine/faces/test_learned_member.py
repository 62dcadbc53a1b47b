"""A trained learned member converts aligned actor crops into the cast member's face: 256 px uint8 faces, masks
in [0, 1] that cover the face, a realism score per face; bad input and bad checkpoints are clear errors."""
from __future__ import annotations

import numpy as np
import pytest

from learned_fixtures import facesets, one_thread, tiny_member  # noqa: F401 (fixtures)
from engine.errors import FaceError, ModelError
from engine.faces.models._base import AlignedBatch
from engine.faces.models.augment import hull_mask
from engine.faces.models.learned import LearnedMember


def test_convert_gives_faces_masks_and_realism(tiny_member, facesets):
    actor, _ = facesets
    member = LearnedMember(tiny_member, device="cpu", chunk=2)  # 3 faces in two chunks
    out = member.convert(AlignedBatch(actor.faces, actor.landmarks))
    n = len(actor)
    assert out.faces.shape == (n, 256, 256, 3) and out.faces.dtype == np.uint8
    assert out.masks.shape == (n, 256, 256) and out.masks.dtype == np.float32
    assert out.masks.min() >= 0.0 and out.masks.max() <= 1.0
    assert out.realism.shape == (n,) and ((out.realism >= 0) & (out.realism <= 1)).all()
    assert out.member == member.name and (member.actor, member.cast) == ("person_b", "person_c")
    assert out.faces.std() > 10  # a face, not a flat colour


def test_the_predicted_mask_covers_the_face_and_not_the_background(tiny_member, facesets):
    actor, _ = facesets
    out = LearnedMember(tiny_member, device="cpu").convert(AlignedBatch(actor.faces, actor.landmarks))
    for mask, lm in zip(out.masks, actor.landmarks):
        hull = hull_mask(lm, 256) > 0.5
        assert mask[hull].mean() > 0.6 and mask[~hull].mean() < 0.3


def test_an_empty_batch_gives_empty_outputs(tiny_member):
    out = LearnedMember(tiny_member, device="cpu").convert(
        AlignedBatch(np.zeros((0, 256, 256, 3), np.uint8), np.zeros((0, 68, 2), np.float32)))
    assert out.faces.shape == (0, 256, 256, 3) and out.masks.shape == (0, 256, 256)


def test_bad_input_and_checkpoints_are_clear(tiny_member, tmp_path):
    member = LearnedMember(tiny_member, device="cpu")
    with pytest.raises(FaceError, match="aligned crops"):
        member.convert(AlignedBatch(np.zeros((2, 256, 200, 3), np.uint8), np.zeros((2, 68, 2), np.float32)))
    with pytest.raises(ModelError, match="no face model checkpoint"):
        LearnedMember(tmp_path / "missing.pt", device="cpu")
    (tmp_path / "other.pt").write_bytes(b"\x00" * 64)
    with pytest.raises(ModelError, match="not a readable face model"):
        LearnedMember(tmp_path / "other.pt", device="cpu")
