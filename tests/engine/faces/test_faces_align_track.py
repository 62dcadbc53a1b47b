"""Landmarks, alignment, smoothing and tracking on real faces and footage."""
from __future__ import annotations

import numpy as np
import pytest

from engine.faces.align import TEMPLATE, align, five_points
from engine.faces.detect import load_rgb
from engine.faces.landmarks import detect_boxes, detect_near, distance, embedding, find_faces, shape_at, shape_robust
from engine.faces.smooth import RIGID, jitter, smooth_track
from engine.faces.track import track_video


def test_alignment_puts_eyes_nose_and_mouth_on_the_template(shared_data):
    for path in sorted((shared_data / "faces" / "obama").glob("*.jpg"))[:4]:
        rgb = load_rgb(path)
        faces = find_faces(rgb)
        assert faces, f"no face found in {path.name}"
        a = align(rgb, faces[0].landmarks)
        err = np.linalg.norm(five_points(a.landmarks) / a.crop.shape[0] - TEMPLATE, axis=1).mean()
        assert err < 0.04, f"{path.name}: aligned features are {err:.3f} of the crop off the template"


def test_embeddings_tell_people_apart(shared_data):
    def emb(folder):
        rgb = load_rgb(sorted((shared_data / "faces" / folder).glob("*.jpg"))[0])
        return embedding(rgb, find_faces(rgb)[0].landmarks)

    b1 = emb("ccby_tang_video_person_b")
    rgb = load_rgb(sorted((shared_data / "faces" / "ccby_tang_video_person_b").glob("*.jpg"))[-1])
    b2 = embedding(rgb, find_faces(rgb)[0].landmarks)
    c = emb("ccby_tang_video_person_c")
    assert distance(b1, b2) < 0.6 < distance(b1, c)


def test_one_euro_removes_shake_without_lag():
    rng = np.random.default_rng(0)
    t = np.arange(120)
    base = np.zeros((120, 68, 2), np.float32)
    base[:, :, 1] = np.linspace(0, 100, 68)[None, :]  # a face 100 px tall
    base[60:, :, 0] += 40  # a quick move at frame 60
    noisy = base + rng.normal(0, 1.5, base.shape).astype(np.float32)
    smooth = smooth_track(noisy, fps=24)
    assert jitter(smooth) < 0.5 * jitter(noisy)
    assert abs(smooth[75, :, 0].mean() - 40) < 2  # caught up with the move: no lag
    assert abs(smooth[45, :, 0].mean()) < 2


def _ring_face() -> np.ndarray:
    ring = np.linspace(0, 2 * np.pi, 68, endpoint=False)
    return np.stack([200 + 50 * np.cos(ring), 150 + 60 * np.sin(ring)], 1)  # 120 px tall


def test_a_still_head_read_with_noise_stays_still():
    """The predictor's noise on a still head (1.5 px on a face 120 px tall, as on a soft or turned face) is no
    motion: read point by point, it opened the filter and the pasted face shook a seventh as much as the
    readings (0.14x); read from the head as a whole, a twentieth. The lips and chin keep their own, quicker filter."""
    rng = np.random.default_rng(1)
    still = np.repeat(_ring_face()[None], 96, 0)
    noisy = (still + rng.normal(0, 1.5, still.shape)).astype(np.float32)
    smooth = smooth_track(noisy, fps=24)
    head = np.r_[0:4, 13:48]
    assert jitter(smooth[:, head]) < 0.08 * jitter(noisy[:, head])
    assert np.abs(smooth[:, head] - still[:, head]).mean() < 0.3


def test_a_sharp_head_is_followed_through_its_small_nods():
    """A sharp face the predictor reads steadily (0.4 px of noise on a face 240 px tall, as on the addresses)
    nodding 6 px at 1 Hz: the smoothing keeps the new face on it (1.8 px off; smoothed as hard as a noisy
    face's, 2.9 px, and the pasted face floated over the speaker's head)."""
    rng = np.random.default_rng(3)
    t = np.arange(96) / 24
    face = 2 * _ring_face() - 100
    nods = face[None] + np.stack([0 * t, 6 * np.sin(2 * np.pi * t)], 1)[:, None]
    smooth = smooth_track((nods + rng.normal(0, 0.4, nods.shape)).astype(np.float32), fps=24)
    assert np.linalg.norm(smooth[:, RIGID] - nods[:, RIGID], axis=-1).mean() < 2.3


def test_tracking_follows_the_actors_of_a_clip(tos_faces):
    faces = tos_faces
    assert faces.frame_count == 240 and (faces.width, faces.height) == (640, 360)
    main = faces.main_identity()
    assert main is not None and main.frames >= 80  # the close-up of the man in glasses
    for t in faces.tracks_of(main.id):
        assert np.diff(t.frames).max() == 1, "a track has holes: the swapped face would flicker out"
        assert jitter(t.landmarks) < jitter(t.raw)
    assert faces.landmarks_of(main.id, 130) is not None
    # the full-frame pass misses him from frame 104 to 115 (his head tipped back), though he is there all along:
    # the track goes through, so his own face does not flash up in the middle of the close-up
    held = [i for i in range(70, 170) if faces.landmarks_of(main.id, i) is not None]
    assert len(held) == 100, f"the close-up loses him at frames {sorted(set(range(70, 170)) - set(held))}"
    # the woman in the last shot is followed to the clip's last frame: its last frames are not dropped as guesses
    last = max(int(t.frames.max()) for t in faces.tracks if t.identity != main.id)
    assert last == faces.first_frame + faces.frame_count - 1



def test_a_face_is_followed_from_the_cut_to_the_cut(tos_faces):
    """The close-up runs from the cut at frame 65 to the cut at 185. The detector first finds him at frame 68
    and last at 181 (his head tips down behind a passing light): followed back to the first cut and on to the
    second, his own face does not flash up at either end of the shot, under the swapped one."""
    main = tos_faces.main_identity()
    frames = sorted(f for t in tos_faces.tracks_of(main.id) for f in t.frames.tolist())
    assert frames == list(range(65, 185)), (frames[:3], frames[-3:])
    # the woman's face comes on mid-shot: the full pass first finds it at 228, a search around it at 226
    assert min(int(t.frames[0]) for t in tos_faces.tracks if t.identity != main.id) <= 226


def test_a_face_is_followed_only_while_it_is_there(tos_clip, tmp_path):
    """A face (the woman's, from the shipped clip) comes on screen at frame 4, between two passes of the
    detector, and the robot's head (from the same clip) takes its place at frame 24, six frames before the
    clip ends. The face is followed from the frame it comes on, and not painted on the robot, though the
    clip's end closes its track there (the predictor draws a face of about that size and place on anything)."""
    import cv2

    from engine.faces.video import VideoWriter, read_frames

    robot = next(f for _, f in read_frames(tos_clip, 10 / 24, 11 / 24))
    rgb = next(f for _, f in read_frames(tos_clip, 235 / 24, 236 / 24))
    x0, y0, x1, y1 = detect_boxes(rgb)[0][0]
    m = (x1 - x0) // 3
    face = cv2.resize(rgb[max(0, y0 - m):y1 + m, max(0, x0 - m):x1 + m], (220, 220), interpolation=cv2.INTER_AREA)
    out = tmp_path / "comes_and_goes.mp4"
    w = VideoWriter(out, 640, 360, 24)
    for k in range(30):
        frame = np.full((360, 640, 3), (70, 80, 95), np.uint8)
        if 4 <= k < 24:
            frame[70:290, 210:430] = face
        elif k >= 24:
            frame[70:290, 210:430] = robot[60:280, 200:420]
        w.write(frame)
    w.close()
    faces = track_video(out)
    assert len(faces.identities) == 1
    frames = sorted(f for t in faces.tracks for f in t.frames.tolist())
    assert frames == list(range(4, 24)), (frames[:3], frames[-3:])
    # what tells them apart: the landmarks the predictor draws on the robot are about the face's size and place,
    # but not on its skin's colour; the face itself, blurred and moved a little, still is
    from engine.faces.edges import skin_chroma, still_there

    shot = dict(read_frames(out))
    box = detect_boxes(shot[20])[0][0]
    lm = shape_robust(shot[20], box)
    on_robot = shape_robust(shot[26], box)
    moved = np.roll(cv2.GaussianBlur(shot[20], (0, 0), 2.0), 6, axis=1)
    assert not still_there(shot[26], on_robot, lm, skin_chroma(shot[20], lm))
    assert still_there(moved, shape_robust(moved, box), lm, skin_chroma(shot[20], lm))


def test_the_three_friends_of_a_selfie_video_are_three_actors(selfie_faces):
    """The selfie video shows three friends in turn, across many cuts. Each must be one actor, or `swap` (and
    a film) puts the cast member on some of her shots and leaves her own face in the others: the woman in the
    orange jacket was two actors, one of her tracks known by a single poor frame."""
    assert len(selfie_faces.identities) == 3, [(i.id, i.frames) for i in selfie_faces.identities]
    orange = {t.identity for t in selfie_faces.tracks if t.at(20) is not None or t.at(200) is not None}
    assert len(orange) == 1, "her shots at frames 20 and 200 are two actors"
    # in the shot from frame 173 the detector loses her for four frames (her forehead past the frame's top): she
    # is still there, and her face stays on through them
    held = [i for i in range(173, 215) if any(t.at(i) is not None for t in selfie_faces.tracks if t.identity in orange)]
    assert len(held) == 42, sorted(set(range(173, 215)) - set(held))

def test_lips_hold_still_when_the_face_box_moves_a_little(tos_clip):
    """On the turned close-up in glasses, one box's lips jump when the box moves by 3%; the tracker's
    landmarks (the median over nudged boxes) barely move: the swapped mouth does not chatter."""
    from engine.faces.align import mouth_opening
    from engine.faces.video import read_frames

    single, robust, refound = [], [], []
    for i, rgb in read_frames(tos_clip, 2.5, 7.5):
        if i % 8:
            continue
        found = detect_boxes(rgb)
        if not found:
            continue
        box = found[0][0]
        moved = (box[0] + 0.03 * (box[2] - box[0]), box[1], box[2] + 0.03 * (box[2] - box[0]), box[3])
        single.append(abs(mouth_opening(shape_at(rgb, box)) - mouth_opening(shape_at(rgb, moved))))
        robust.append(abs(mouth_opening(shape_robust(rgb, box)) - mouth_opening(shape_robust(rgb, moved))))
        refound.append(detect_near(rgb, moved) is not None)
    assert len(single) >= 8
    assert np.mean(robust) < 0.7 * np.mean(single), (np.mean(robust), np.mean(single))
    assert np.mean(refound) >= 0.8, "the face was not found again near where it was"


def test_a_faceless_clip_has_no_actors(tmp_path):
    from engine.faces.video import VideoWriter

    out = tmp_path / "sky.mp4"
    w = VideoWriter(out, 160, 96, 24)
    for k in range(24):
        w.write(np.full((96, 160, 3), (90 + k, 140, 200), np.uint8))
    w.close()
    faces = track_video(out)
    assert faces.identities == [] and faces.main_identity() is None


def test_a_face_turned_one_way_is_mirrored_to_meet_an_actor_turned_the_other(tos_clip):
    """The geometric member animates the face of the set turned most like the actor; a set whose faces all
    look left can still play an actor who looks right, flipped (landmarks renumbered, so the left eye of
    the flipped face is where dlib finds it)."""
    from engine.faces.align import ALIGN_SIZE, MIRROR, align, mirror
    from engine.faces.faceset import FaceSet
    from engine.faces.judge import ALIGNED_BOX
    from engine.faces.models.geometric import GeometricMember
    from engine.faces.quality import measure
    from engine.faces.video import read_frames

    faces = track_video(tos_clip, 4.0, 5.0)
    actor = faces.main_identity().id
    frame, rgb = next((i, f) for i, f in read_frames(tos_clip, 4.0, 5.0) if faces.landmarks_of(actor, i) is not None)
    a = align(rgb, faces.landmarks_of(actor, frame))
    flipped, flipped_lm = mirror(a.crop, a.landmarks)
    found = shape_at(flipped, tuple(round(f * ALIGN_SIZE) for f in ALIGNED_BOX))
    unnumbered = flipped_lm[MIRROR]  # the flipped points under their old numbers: left eye called right
    assert np.abs(found - flipped_lm).mean() < 0.3 * np.abs(found - unnumbered).mean(), \
        "the flipped face's landmarks are not where dlib finds them"
    blank = np.zeros_like(a.crop)
    yaw = measure(a.landmarks, blank).yaw
    assert abs(yaw) > 0.15 and np.sign(measure(flipped_lm, blank).yaw) == -np.sign(yaw)
    member = GeometricMember(FaceSet("one way", a.crop[None], a.landmarks[None], np.zeros((1, 128), np.float32)))
    assert member.reference(a.landmarks) == 0  # turned as the set is: the face itself
    assert member.reference(flipped_lm) == 1  # turned the other way: its mirror image
