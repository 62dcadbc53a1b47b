"""Nothing is pasted past a turned head's far cheek: the predictor draws the far side of a turned face out in
the background, and a face pasted there was a see-through ghost of the cast member's far cheek and eye."""
from __future__ import annotations

import cv2
import numpy as np

from engine.faces.convert.silhouette import SilhouetteConfig, SilhouetteKeeper, beyond
from engine.faces.models.geometric import GeometricMember
from engine.faces.swap import SwapOptions, swap_clip
from engine.faces.video import read_frames

SIZE = 256


def _landmarks(nose_shift: float) -> np.ndarray:
    """68 points of an upright face in a SIZE crop (the predictor's frontal outline), its nose moved by
    ``nose_shift`` of the eye distance (negative: turned to the left of the picture)."""
    lm = np.zeros((68, 2), np.float32)
    t = np.linspace(np.pi, 0, 17)
    lm[0:17] = np.c_[128 + 86 * np.cos(t), 110 + 100 * np.sin(t)]  # the jaw, ear to ear under the face
    lm[17:22] = np.c_[np.linspace(60, 115, 5), [92, 86, 84, 86, 90]]
    lm[22:27] = np.c_[np.linspace(141, 196, 5), [90, 86, 84, 86, 92]]
    for start, cx in ((36, 91), (42, 165)):
        a = np.linspace(0, 2 * np.pi, 7)[:-1]
        lm[start:start + 6] = np.c_[cx + 16 * np.cos(a + np.pi), 104 + 5 * np.sin(a + np.pi)]
    eye_distance = 74.0
    shift = nose_shift * eye_distance
    lm[27:31] = np.c_[128 + shift * np.linspace(0.2, 1.0, 4), np.linspace(104, 150, 4)]
    lm[31:36] = np.c_[128 + shift + np.linspace(-18, 18, 5), [156, 158, 160, 158, 156]]
    a = np.linspace(0, 2 * np.pi, 13)[:-1]
    lm[48:60] = np.c_[128 + shift * 0.6 + 30 * np.cos(a + np.pi), 185 + 10 * np.sin(a + np.pi)]
    b = np.linspace(0, 2 * np.pi, 9)[:-1]
    lm[60:68] = np.c_[128 + shift * 0.6 + 22 * np.cos(b + np.pi), 185 + 3 * np.sin(b + np.pi)]
    return lm


def _turned_head() -> tuple[np.ndarray, np.ndarray]:
    """A head turned to the left of the picture on a blue wall: its real outline ends just past the nose on
    the left, while the frontal outline drawn for it takes in wall there."""
    rng = np.random.default_rng(0)
    crop = np.clip(rng.normal(0, 4, (SIZE, SIZE, 3)) + (40, 70, 160), 0, 255).astype(np.uint8)
    skin = np.zeros((SIZE, SIZE), np.uint8)
    cv2.ellipse(skin, (150, 140), (72, 120), 0, 0, 360, 1, -1)
    crop[skin > 0] = np.clip(rng.normal(0, 4, (int(skin.sum()), 3)) + (205, 160, 140), 0, 255).astype(np.uint8)
    return crop, _landmarks(-0.5)


def test_the_wall_past_a_turned_heads_far_cheek_is_cut_and_the_face_is_not():
    crop, lm = _turned_head()
    cut = SilhouetteKeeper()(crop, lm)
    outline = np.zeros((SIZE, SIZE), np.uint8)
    cv2.fillConvexPoly(outline, cv2.convexHull(np.round(np.vstack([lm[:17], lm[17:27]])).astype(np.int32)), 1)
    skin = np.zeros((SIZE, SIZE), np.uint8)
    cv2.ellipse(skin, (150, 140), (72, 120), 0, 0, 360, 1, -1)
    # inside the outline, on the wall, on the far side
    wall_far = (outline > 0) & (skin == 0) & (np.arange(SIZE)[None, :] < 70)
    assert wall_far.sum() > 500
    assert cut[wall_far].mean() > 0.8, "the wall inside the frontal outline, past the far cheek, would be pasted over"
    inner = cv2.erode(skin, np.ones((9, 9), np.uint8)) > 0
    assert cut[inner].max() < 0.05, "the turned head's own face was cut"
    # the near side is trusted as the predictor draws it
    assert cut[:, 200:].max() == 0.0


def test_a_frontal_face_is_not_cut_and_the_cut_fades_with_the_turn():
    crop, _ = _turned_head()
    assert SilhouetteKeeper()(crop, _landmarks(0.0)).max() == 0.0
    keeper = SilhouetteKeeper(SilhouetteConfig(keep=0.0))
    strength = [float(keeper(crop, _landmarks(-yaw)).max()) for yaw in
                (0.45, 0.26, 0.24, 0.1, 0.1, 0.1, 0.1, 0.1, 0.28, 0.3)]
    # turned from the first frame: cut at once; a wobble of the measured turn between the thresholds changes
    # nothing; back to the front, it fades over four frames; a half turn does not bring it back
    assert strength[0] > 0.9 and strength[1] > 0.9 and strength[2] > 0.9
    assert strength[2] > strength[3] > strength[4] > strength[5] > 0.0
    assert strength[7:] == [0.0, 0.0, 0.0]


def _far_changes(source, swapped, faces, actor) -> list[int]:
    """Per frame: pixels changed (by more than 12 levels) left of the nose, from under the far lens of his
    glasses to the chin: the close-up man faces left, and past his nose is the wall behind him. (Behind the far
    lens itself the cast member's far eye stays, as the glasses are kept.)"""
    out = []
    for (i, a), (_, b) in zip(read_frames(source, faces.first_frame / faces.fps), read_frames(swapped)):
        lm = faces.landmarks_of(actor, i)
        if lm is None:
            continue
        h = lm[8, 1] - lm[27, 1]
        ys, xs = np.mgrid[0:a.shape[0], 0:a.shape[1]]
        far = (xs < lm[27:31, 0].min() - 0.08 * h) & (ys > lm[36:42, 1].max() + 0.2 * h) & (ys < lm[8, 1])
        out.append(int((far & (np.abs(a.astype(int) - b.astype(int)).max(-1) > 12)).sum()))
    return out


def test_the_wall_behind_the_close_ups_turned_head_stays_the_wall(tos_clip, tos_faces, person_b, tmp_path):
    """From 3.3 s to 4.8 s the close-up's man faces left, his far eye hidden by his nose. The cast member's
    far cheek and eye were pasted, half see-through, over the wall beside his nose; now the wall below the far
    lens of his glasses stays the wall (behind that lens her far eye stays: his glasses are kept)."""
    start, end = 3.3, 4.8
    faces = tos_faces.window(start, end)
    actor = faces.main_identity().id
    changed = {}
    for name, config in (("outline", SilhouetteConfig()), ("frontal outline", SilhouetteConfig(enabled=False))):
        out = tmp_path / f"{name}.mp4"
        swap_clip(tos_clip, GeometricMember(person_b), out,
                  SwapOptions(start_s=start, end_s=end, mark=False, silhouette=config), faces=faces)
        changed[name] = _far_changes(tos_clip, out, faces, actor)
    assert len(changed["outline"]) >= 30
    assert np.mean(changed["frontal outline"]) > 150, "the ghost this test looks for is not there to remove"
    assert sum(changed["outline"]) < 0.45 * sum(changed["frontal outline"]), changed


def test_the_outline_is_the_same_whatever_ran_before():
    """GrabCut's colour models start from OpenCV's global random state: the same turned head gave a different
    outline after other work had drawn on it (one bench row scored mouth r 0.51, the same swap alone 0.56)."""
    crop, lm = _turned_head()
    first = beyond(crop, lm)
    cv2.setRNGSeed(12345)  # as if other work had moved it
    cv2.kmeans(np.random.default_rng(1).random((50, 2), np.float32), 3, None,
               (cv2.TERM_CRITERIA_MAX_ITER, 5, 1.0), 2, cv2.KMEANS_RANDOM_CENTERS)
    assert np.array_equal(beyond(crop, lm), first)
