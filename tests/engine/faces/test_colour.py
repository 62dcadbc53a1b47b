"""Colour matching: the cast member's face takes the scene's light, not the actor's skin blotches."""
from __future__ import annotations

import cv2
import numpy as np

from engine.faces.convert.colour import lab_stats, transfer


def _lab(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)


def test_a_tint_in_the_cast_photo_is_not_blown_up_into_a_blotch():
    rng = np.random.default_rng(0)
    face = np.full((96, 96, 3), (205, 160, 140), np.uint8)  # pale skin
    face[60:80, 30:66] = (180, 170, 160)  # a teal jacket's reflection on the chin
    face = np.clip(face + rng.normal(0, 2, face.shape), 0, 255).astype(np.uint8)
    actor = np.full((96, 96, 3), (150, 100, 75), np.uint8)  # darker skin, stronger colour
    actor[40:56, 20:76] = (130, 45, 45)  # darker, redder lips
    actor = np.clip(actor + rng.normal(0, 6, actor.shape), 0, 255).astype(np.uint8)
    mask = np.ones((96, 96), np.float32)
    own, target = lab_stats(face, mask), lab_stats(actor, mask)
    assert (target[1][1:] / own[1][1:]).max() > 1.5  # the actor's colour spreads far more widely

    out = transfer(face, own, target)
    lab_in, lab_out = _lab(face), _lab(out)
    tint_in = lab_in[60:80, 30:66, 1:].mean((0, 1)) - lab_in[10:30, 10:86, 1:].mean((0, 1))
    tint_out = lab_out[60:80, 30:66, 1:].mean((0, 1)) - lab_out[10:30, 10:86, 1:].mean((0, 1))
    assert np.linalg.norm(tint_out) <= 1.3 * np.linalg.norm(tint_in), (tint_in, tint_out)
    # ...while the face as a whole takes the actor's light and skin tone
    skin = lab_out[10:30, 10:86].mean((0, 1))
    assert np.abs(skin - _lab(actor)[5:35, 5:90].mean((0, 1))).max() < 12, skin
