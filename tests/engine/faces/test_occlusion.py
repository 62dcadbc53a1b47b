"""Something in front of the face stays in front of the swapped one; lips round a straw are the actor's."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from engine.faces.convert.occlusion import held_lips, toned
from engine.faces.models.geometric import GeometricMember
from engine.faces.swap import SwapOptions, swap_clip
from engine.faces.video import read_frames


def _lips_change(source, swapped, faces, actor) -> dict[int, float]:
    """Per frame: how much the actor's lips changed, other than in tone: the mean absolute difference once the
    median difference (a shift to the new face's skin) is taken off."""
    out = {}
    for (i, a), (_, b) in zip(read_frames(source, faces.first_frame / faces.fps), read_frames(swapped)):
        lm = faces.landmarks_of(actor, i)
        if lm is None:
            continue
        lips = np.zeros(a.shape[:2], np.uint8)
        cv2.fillPoly(lips, [np.round(lm[48:60]).astype(np.int32)], 1)
        diff = (a.astype(np.int16) - b.astype(np.int16))[lips > 0]
        out[i] = float(np.abs(diff - np.median(diff, axis=0)).mean())
    return out


def _under_nose(video, faces, actor) -> dict[int, float]:
    """Per frame: how much darker (grey levels) the skin between the nostrils and the upper lip is than the
    face beside the nose: a dark patch there is a moustache, or a mouth drawn where no mouth is."""
    out = {}
    for i, rgb in read_frames(video, 0.0):
        lm = faces.landmarks_of(actor, i + faces.first_frame)
        if lm is None:
            continue
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
        band, cheek = np.zeros(grey.shape, np.uint8), np.zeros(grey.shape, np.uint8)
        cv2.fillPoly(band, [np.round(lm[[31, 33, 35, 53, 52, 51, 50, 49]]).astype(np.int32)], 1)
        cv2.fillPoly(cheek, [np.round(lm[[1, 2, 3, 31, 39]]).astype(np.int32)], 1)
        out[i + faces.first_frame] = float(np.median(grey[cheek > 0]) - np.percentile(grey[band > 0], 10))
    return out


@pytest.mark.parametrize("voice", [False, True], ids=["own mouth", "voice-driven"])
def test_the_lips_round_a_straw_are_the_actors(voice, tos_clip, tos_faces, person_b, tmp_path):
    """The close-up's man drinks through a straw at its end. The cast member's lips pasted there were a small
    pink mouth floating above the straw; his own lips, round it, are kept with the straw (in the new face's
    tone, so his darker skin is not a patch on hers). Before the straw comes up, the lips are the cast
    member's. With a voice driving the mouth, the straw wins too: no open mouth is drawn above it."""
    faces = tos_faces.window(5.0, 7.3)
    actor = faces.main_identity().id
    out = tmp_path / "straw.mp4"
    mouth = (1.0, 0.0) * (faces.frame_count // 2 + 1) if voice else None  # a syllable every other frame
    swap_clip(tos_clip, GeometricMember(person_b), out, SwapOptions(start_s=5.0, end_s=7.3, mark=False, mouth=mouth),
              faces=faces)
    change = _lips_change(tos_clip, out, faces, actor)
    drinking = [change[i] for i in range(164, 173) if i in change]
    talking = [change[i] for i in range(122, 150) if i in change]
    dark = _under_nose(out, faces, actor)
    assert len(drinking) >= 6 and len(talking) >= 20
    # (where the straw itself covers the lips they are the frame's own pixels, the rest his lips in her tone)
    assert np.median(drinking) < 6.0, f"the lips round the straw are not the actor's: {np.round(drinking, 1)}"
    assert np.median(talking) > 4 * np.median(drinking), "the cast member's lips are not on the talking face"
    # nothing dark between the nostrils and the lips round the straw (a drawn-open mouth, a moustache): no
    # darker than the nostrils' own shadow there as he looks down, before the straw comes up
    patch = max(dark[i] for i in range(164, 173) if i in dark)
    assert patch < 1.2 * np.median([dark[i] for i in range(155, 161) if i in dark]), patch


def test_on_the_actors_own_face_a_voice_opens_no_mouth_over_the_straw(tos_clip, tos_faces, tmp_path):
    """With no cast member, the actor keeps his face and a voice moves his mouth (how the demo film speaks).
    When the straw comes up to his mouth, the voice opened a mouth above it anyway: a black hole under his
    nose on every loud frame. Now the straw stays in front and his mouth is his own round it; before the
    straw, the voice still opens it. (Needs no cast member: runs on a fresh clone.)"""
    from engine.faces.models.reanimate import ReanimateMember

    faces = tos_faces.window(5.0, 7.3)
    actor = faces.main_identity().id
    out = tmp_path / "own.mp4"
    mouth = (1.0, 0.0) * (faces.frame_count // 2 + 1)  # a syllable every other frame
    swap_clip(tos_clip, ReanimateMember(), out, SwapOptions(start_s=5.0, end_s=7.3, mark=False, mouth=mouth),
              faces=faces)
    change = _lips_change(tos_clip, out, faces, actor)
    drinking = [change[i] for i in range(162, 173) if i in change]
    talking = [change[i] for i in range(122, 150) if i in change]
    assert len(drinking) >= 8 and len(talking) >= 20
    assert max(drinking) < 6.0, f"the voice opened his mouth round the straw: {np.round(drinking, 1)}"
    assert max(talking) > 20.0, "the voice no longer opens his mouth before the straw"
    ours, his = _under_nose(out, faces, actor), _under_nose(tos_clip, tos_faces, actor)
    holes = [round(ours[i] - his[i]) for i in range(162, 173) if i in ours and i in his]
    assert max(holes) < 5, f"darker under his nose than in the footage, by {holes}"


def test_an_occluder_beside_the_mouth_is_not_one_in_it():
    """Only what covers the middle of the mouth brings the actor's lips; a patch beside a lip corner (the
    background past a turned cheek) does not, and the lips come in as the mouth is covered, not at once."""
    lm = np.zeros((68, 2), np.float32)
    lm[48:60] = [(60, 100), (68, 96), (76, 94), (80, 95), (84, 94), (92, 96), (100, 100),
                 (92, 106), (84, 108), (80, 108), (76, 108), (68, 106)]
    lm[60:68] = [(62, 100), (76, 98), (80, 98), (84, 98), (98, 100), (84, 102), (80, 102), (76, 102)]
    occ = np.zeros((160, 160), np.float32)
    occ[92:112, 40:63] = 1.0  # beside the left corner
    assert not held_lips(occ, lm).any()
    weights = []
    for width in (1, 4, 10):  # a straw coming in from below, getting wider as it nears the camera
        occ = np.zeros((160, 160), np.float32)
        occ[100:160, 80 - width:80 + width] = 1.0
        weights.append(held_lips(occ, lm)[102, 70])
    assert weights[0] == 0.0 and 0.0 < weights[1] < weights[2] and weights[2] > 0.9
    # hardly any of the skin above the upper lip (the shadow under his nose: on her face, a moustache)
    big = np.zeros((256, 256), np.float32)
    big[160:256, 112:144] = 1.0
    held = held_lips(big, lm * 1.6)
    assert held[int(lm[48:55, 1].min() * 1.6) - 10, 128] < 0.15 and held[162, 128] > 0.9


def test_lips_brought_in_take_the_new_faces_tone():
    """His lips, brought in round a straw, sit in her skin's tone (his darker skin round them is no patch)."""
    rng = np.random.default_rng(0)
    his = np.clip(rng.normal(0, 6, (128, 128, 3)) + (120, 80, 70), 0, 255).astype(np.uint8)
    hers = np.full((128, 128, 3), (200, 160, 150), np.uint8)
    region = np.zeros((128, 128), np.float32)
    region[50:70, 40:90] = 1.0
    out = toned(his, hers, region)
    ring = np.zeros((128, 128), bool)
    ring[45:75, 35:95] = True
    ring[50:70, 40:90] = False
    assert np.abs(np.median(out[ring].astype(float), axis=0) - (200, 160, 150)).max() < 8
    assert np.std(out[region > 0].astype(float) - his[region > 0].astype(float)) < 3  # his lips' detail, moved


def test_a_straw_batch_moves_the_colour_once_a_frame(tos_clip, tos_faces, person_b):
    """With a voice driving the mouth, a batch with a straw in it is generated twice (the second time with the
    mouth following the actor's round the straw). The face's colour, smoothed over time, must take one step per
    frame, from the second look alone: stepped twice, it ran ahead of the frames around it."""
    from engine.faces.align import ALIGN_SIZE, align
    from engine.faces.convert.colour import lab_stats
    from engine.faces.lipsync import drive
    from engine.faces.swap import _Composer, _Item, neutral_face

    class Recording:  # the real member; it remembers what it made last
        def __init__(self, member):
            self.member, self.calls, self.last = member, 0, None
            self.drivable, self.wears_glasses = member.drivable, member.wears_glasses

        def convert(self, batch):
            self.calls += 1
            self.last = self.member.convert(batch)
            return self.last

    actor = tos_faces.main_identity().id
    track = max(tos_faces.tracks_of(actor), key=lambda t: len(t.frames))
    frames, items = [], []
    for i, rgb in read_frames(tos_clip, 164 / tos_faces.fps, 172 / tos_faces.fps):
        a = align(rgb, track.at(i), ALIGN_SIZE)
        items.append(_Item(len(frames), track.id, a, drive(a.landmarks, 1.0)))
        frames.append(rgb)
    assert len(items) == 8
    member = Recording(GeometricMember(person_b))
    composer = _Composer(member, neutral_face(tos_faces, actor), SwapOptions())
    composer.run(frames, items)
    assert member.calls == 2, "the straw did not take the mouth back from the voice in this batch"
    expected, smoothing = None, composer.colour[track.id].smoothing
    for k, item in enumerate(items):
        target = lab_stats(item.aligned.crop, member.last.masks[k])
        expected = target if expected is None else smoothing * expected + (1 - smoothing) * target
    assert np.allclose(composer.colour[track.id].state, expected, atol=1e-3)
