"""What of a cast member's photo goes onto the actor: their face, not their hair."""
from __future__ import annotations

import cv2
import numpy as np

from engine.faces.align import ALIGN_SIZE
from engine.faces.extract import build_faceset
from engine.faces.models.geometric import GeometricConfig, hull_mask, skin_gate


def _on_brows(faceset) -> list[float]:
    """How much of each photo's brow line (where the predictor puts the brows) is pasted."""
    c = GeometricConfig()
    out = []
    for face, lm in zip(faceset.faces, faceset.landmarks):
        gate = skin_gate(face, lm, hull_mask(lm, ALIGN_SIZE, c.brow_lift, c.feather))
        line = np.zeros(gate.shape, np.uint8)
        for brow in (lm[18:21], lm[23:26]):  # their middles: the ends may lie outside the face's outline
            cv2.polylines(line, [np.round(brow).astype(np.int32)], False, 1, 2)
        out.append(float(gate[line > 0].mean()))
    return out


def test_a_fringe_over_the_brows_stays_behind_and_brows_come_along(shared_data):
    """She wears a fringe down to her glasses, so the predictor puts her brows on her hair: pasted, it was a
    dark bar across the actor's forehead. His brows, below a bare forehead, are much of who he is."""
    faces = shared_data / "faces"
    fringe, _ = build_faceset("A", [p for p in sorted((faces / "ccby_tang_video_person_a").glob("*.jpg"))
                                    if p.name.startswith(("frame_014", "frame_021", "frame_031"))])
    brows, _ = build_faceset("B", sorted((faces / "ccby_tang_video_person_b").glob("*.jpg")))
    assert np.mean(_on_brows(fringe)) < 0.25, _on_brows(fringe)  # it was 0.40-0.46 in each photo
    assert min(_on_brows(brows)) > 0.8, _on_brows(brows)
