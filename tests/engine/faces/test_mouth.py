"""The swapped mouth: it opens when the actor's does and shuts when it shuts; a smiling cast photo does not
lend its teeth to a closed mouth."""
from __future__ import annotations

import numpy as np

from engine.faces.align import ALIGN_SIZE, INNER_LIPS, align
from engine.faces.mouth import cavity, sealed
from engine.faces.track import track_video
from engine.faces.video import read_frames

OPEN, SHUT = (91, 94, 124), (79, 133, 136, 139)  # the close-up's man talking, then listening (seen frame by frame)


def test_the_opening_is_read_from_the_picture(tos_clip):
    """On the turned close-up the predictor's inner lips are apart whether he talks or not; the dark of
    his mouth is not."""
    faces = track_video(tos_clip, 3.0, 6.0)
    actor = faces.main_identity().id
    area = {}
    for i, rgb in read_frames(tos_clip, 3.0, 6.0):
        lm = faces.landmarks_of(actor, i)
        if i in OPEN + SHUT and lm is not None:
            a = align(rgb, lm, ALIGN_SIZE)
            area[i] = float(cavity(a.crop, a.landmarks).sum())
    assert set(area) == set(OPEN + SHUT)
    assert min(area[i] for i in OPEN) > 2.5 * max(area[i] for i in SHUT), area


def test_a_smiling_photo_keeps_its_lips_but_not_its_teeth(shared_data):
    from engine.faces.extract import build_faceset

    fs, _ = build_faceset("C", sorted((shared_data / "faces" / "ccby_tang_video_person_c").glob("*.jpg")))
    k = int(np.argmax([np.ptp(lm[[62, 66], 1]) for lm in fs.landmarks]))  # the widest smile
    face, lm = fs.faces[k], fs.landmarks[k]
    out = sealed(face, lm)
    inner = np.zeros(face.shape[:2], np.uint8)
    import cv2

    cv2.fillPoly(inner, [np.round(lm[INNER_LIPS]).astype(np.int32)], 1)
    lips = np.zeros_like(inner)
    cv2.fillPoly(lips, [np.round(lm[48:60]).astype(np.int32)], 1)
    lips[cv2.dilate(inner, np.ones((5, 5), np.uint8)) > 0] = 0
    light = lambda im, m: cv2.cvtColor(im, cv2.COLOR_RGB2LAB)[..., 0][m > 0].astype(float)  # noqa: E731
    bright = np.percentile(light(face, lips), 90) + 10  # lighter than any lip: teeth
    before, after = (light(face, inner) > bright).mean(), (light(out, inner) > bright).mean()
    assert before > 0.1 and after < 0.01, (before, after)
    away = np.ones_like(inner)
    away[cv2.dilate(lips + inner, np.ones((9, 9), np.uint8)) > 0] = 0
    assert np.array_equal(out[away > 0], face[away > 0])  # nothing else of the face changed


def test_the_mouths_inside_keeps_the_scenes_colours(shared_data, tmp_path):
    """The inside of the mouth is the actor's own, already lit like the scene: matching the cast photo's
    colours to the actor's must not move it again (it turned the line between closed lips crimson)."""
    import cv2

    from engine.faces.extract import build_faceset
    from engine.faces.models.geometric import GeometricMember
    from engine.faces.swap import SwapOptions, swap_clip

    clip = shared_data / "footage" / "pd_wh_weekly_address_obama_answers_to_these_problems.mp4"
    fs, _ = build_faceset("C", sorted((shared_data / "faces" / "ccby_tang_video_person_c").glob("*.jpg")))
    result = swap_clip(clip, GeometricMember(fs), tmp_path / "c.mp4", SwapOptions(end_s=2.0))
    redder = []
    for (i, src), (_, out) in zip(read_frames(clip, 0.0, 2.0), read_frames(result.path)):
        lm = result.faces.landmarks_of(result.actor, i)
        if lm is None:
            continue
        lips = np.zeros(src.shape[:2], np.uint8)
        cv2.fillPoly(lips, [np.round(lm[48:60]).astype(np.int32)], 1)
        red = [np.percentile(cv2.cvtColor(im, cv2.COLOR_RGB2LAB)[..., 1][lips > 0], 95) for im in (src, out)]
        redder.append(red[1] - red[0])
    assert len(redder) > 40
    assert np.mean(redder) < 4.0, f"the swapped mouth is redder than the actor's by {np.mean(redder):.1f} (LAB a)"


def test_the_opening_takes_the_teeth_and_leaves_the_lips(shared_data):
    """In the town halls address he talks with his teeth showing (frames 10, 40) and pauses with his lips
    together, the upper one darker than the lower (70): the opening has the teeth in it, and a darker upper
    lip is not an opening."""
    import cv2

    clip = shared_data / "footage" / "pd_wh_weekly_address_obama_town_halls.mp4"
    faces = track_video(clip, 0.0, 3.0)
    actor = faces.main_identity().id
    seen = {}
    for i, rgb in read_frames(clip, 0.0, 3.0):
        if i in (10, 40, 70):
            a = align(rgb, faces.landmarks_of(actor, i), ALIGN_SIZE)
            seen[i] = (a.crop, a.landmarks, cavity(a.crop, a.landmarks))
    for i in (10, 40):
        crop, lm, cav = seen[i]
        mouth = np.zeros(crop.shape[:2], np.uint8)
        cv2.fillPoly(mouth, [np.round(lm[48:60]).astype(np.int32)], 1)
        light = cv2.cvtColor(crop, cv2.COLOR_RGB2LAB)[..., 0]
        teeth = (mouth > 0) & (light > np.percentile(light[mouth > 0], 85))
        assert cav[teeth].mean() > 0.2, f"frame {i}: the opening has {cav[teeth].mean():.0%} of the teeth"
    assert seen[70][2].sum() < 0.5 * min(seen[i][2].sum() for i in (10, 40))


def test_a_voice_opens_the_mouth_as_wide_as_speech_and_draws_it_in_the_faces_colours():
    """At its loudest a voice opens the mouth like a wide syllable, not a yawn (the addresses' speaker is at
    0.10-0.115 at most); where the actor's own mouth is not open enough to lend its inside, the drawn one is
    the lips' colour in deep shade, darkest in the middle, not a flat black patch."""
    from engine.faces.lipsync import drive
    from engine.faces.mouth import drawn_interior

    s = ALIGN_SIZE
    lm = np.array([[0.3 * s + 0.4 * s * k / 16, 0.5 * s + 0.35 * s * np.sin(np.pi * k / 16)] for k in range(17)] +
                  [[0.3 * s + 0.04 * s * k, 0.37 * s] for k in range(10)] +  # brows
                  [[0.5 * s, (0.42 + 0.03 * k) * s] for k in range(4)] + [[(0.46 + 0.02 * k) * s, 0.56 * s] for k in range(5)] +
                  [[0.38 * s, 0.45 * s]] * 6 + [[0.62 * s, 0.45 * s]] * 6 +  # eyes
                  [[(0.4 + 0.2 * k / 6) * s, 0.7 * s] for k in range(7)] + [[(0.6 - 0.2 * k / 6) * s, 0.72 * s] for k in range(1, 6)] +
                  [[(0.42 + 0.16 * k / 4) * s, 0.705 * s] for k in range(5)] + [[(0.54 - 0.08 * k) * s, 0.71 * s] for k in range(3)],
                  np.float32)
    from engine.faces.align import mouth_opening

    assert 0.07 <= mouth_opening(drive(lm, 1.0)) <= 0.1
    face = np.full((s, s, 3), (90, 160, 110), np.uint8)  # a green-lit face
    inner = np.array([[100, 180], [120, 178], [128, 178], [136, 178], [156, 180], [136, 200], [128, 202],
                      [120, 200]], np.float32)  # an open mouth's inner lips, corner to corner
    drawn = drawn_interior(face, inner).astype(float)
    middle, near_lip = drawn[190, 128], drawn[199, 128]
    assert middle.max() < 60 and np.argmax(middle) == 1  # dark, and green like the face around it
    assert near_lip.sum() > 1.5 * middle.sum()  # lighter towards the lips


def test_on_a_small_soft_face_the_new_mouth_shows_the_actors_teeth(shared_data, tmp_path):
    """The town halls address made small and soft (its face 116 px wide, blurred, as on a close-up shot on a
    lens): his teeth show when he talks (frames 12, 42, 51), but they are neither much less red than his lips
    nor framed by dark corners any more, so the cavity test missed them, and the new lips parted over their own
    stretched pink: a dark red mouth with no teeth (2-8% of the new gap was his). Between his inner lips is now
    his mouth's inside, moved onto the new lips; shut (48), hardly any of it."""
    import cv2

    from engine.faces.extract import build_faceset
    from engine.faces.models._base import AlignedBatch
    from engine.faces.models.geometric import GeometricMember
    from engine.faces.swap import neutral_face
    from engine.faces.video import VideoWriter

    clip = shared_data / "footage" / "pd_wh_weekly_address_obama_town_halls.mp4"
    soft = tmp_path / "soft.mp4"
    writer = VideoWriter(soft, 640, 360, 29.97)
    for _, rgb in read_frames(clip, 0.0, 1.8):
        small = cv2.resize(rgb, (320, 180), interpolation=cv2.INTER_AREA)
        writer.write(cv2.GaussianBlur(cv2.resize(small, (640, 360)), (0, 0), 1.0))
    writer.close()
    faces = track_video(soft)
    actor = faces.main_identity().id
    crops, lms = {}, {}
    for i, rgb in read_frames(soft):
        if i in (12, 42, 48, 51):
            a = align(rgb, faces.landmarks_of(actor, i), ALIGN_SIZE)
            crops[i], lms[i] = a.crop, a.landmarks
    order = sorted(crops)
    fs, _ = build_faceset("B", sorted((shared_data / "faces" / "ccby_tang_video_person_b").glob("*.jpg")))
    member = GeometricMember(fs)
    batch = AlignedBatch(np.stack([crops[i] for i in order]), np.stack([lms[i] for i in order]), None,
                         neutral_face(faces, actor))
    gen = member.convert(batch)
    ref = member.reference(batch.neutral)
    weights = member.shape_weights(ref, batch.neutral)
    his = {}
    for k, i in enumerate(order):
        gap = np.zeros((ALIGN_SIZE, ALIGN_SIZE), np.uint8)
        cv2.fillPoly(gap, [np.round(member.target_landmarks(batch, k, ref, weights)[INNER_LIPS]).astype(np.int32)], 1)
        his[i] = float(gen.own[k][gap > 0].mean())
    assert min(his[i] for i in (12, 42, 51)) > 0.3, his  # the new gap is not his exactly: the rest is her lips
    assert his[48] < 0.2, his


def test_on_a_turned_face_the_inner_lips_are_not_trusted(tos_clip, tos_faces, monkeypatch):
    """The close-up's man talks turned away (frames 91-100, a turn of about 0.3): there the predictor's inner
    lips are not where his lips part, so what lies between them is not taken for his mouth's inside; only the
    opening the picture shows (taken as well, the swap's mouth agreed less with his: r 0.56 -> 0.52)."""
    import engine.faces.mouth as mouth
    from engine.faces.quality import turn

    actor = tos_faces.main_identity().id
    seen = []
    for i, rgb in read_frames(tos_clip, 91 / 24, 101 / 24):
        lm = tos_faces.landmarks_of(actor, i)
        if lm is not None and mouth.mouth_opening(lm) > mouth.WIDE_OPEN[1] * 0.75 and abs(turn(lm)) > 0.25:
            a = align(rgb, lm, ALIGN_SIZE)
            seen.append((a.crop, a.landmarks))
    assert len(seen) >= 3

    def taken(crop, lm, **rule) -> np.ndarray:  # the share of each pixel that is his mouth's inside
        with monkeypatch.context() as m:
            for name, value in rule.items():
                m.setattr(mouth, name, value)
            return mouth.actor_mouth(np.full_like(crop, 128), lm, crop, lm)[1]

    for crop, lm in seen:
        assert np.array_equal(taken(crop, lm), taken(crop, lm, WIDE_OPEN=(1.0, 2.0)))  # the picture's opening alone
        assert taken(crop, lm, FRONTAL=(1.0, 2.0)).sum() > 1.2 * taken(crop, lm).sum()  # trusted, it takes more


def test_how_soft_a_picture_is_is_read_from_its_edges():
    """``edge_blur`` reads the width of the blur a picture's edges went through (what a drawn mouth must match)."""
    import cv2

    from engine.faces.quality import edge_blur

    rng = np.random.default_rng(3)
    sharp = np.zeros((256, 256, 3), np.uint8)
    for _ in range(40):  # hard-edged shapes, like a face's features
        x, y, r = rng.integers(20, 236, 2).tolist() + [int(rng.integers(5, 20))]
        cv2.circle(sharp, (x, y), r, [int(v) for v in rng.integers(0, 255, 3)], -1)
    region = np.ones((256, 256), np.uint8)
    for width in (1.0, 2.0, 3.0):
        read = edge_blur(cv2.GaussianBlur(sharp, (0, 0), width), region)
        assert abs(read - width) < 0.3 * width, (width, read)
    assert edge_blur(np.full((256, 256, 3), 128, np.uint8), region) is None  # no edges: nothing to tell


def test_a_drawn_mouth_is_as_soft_as_the_face_it_is_drawn_on():
    """A voice opens a mouth the actor keeps shut, so one is drawn. On a soft old close-up a crisp dark mouth
    was a cut-out (the demo film's man): its edges are now as soft as the face's own."""
    import cv2

    from engine.faces.lipsync import drive
    from engine.faces.mouth import fill_mouth

    s = ALIGN_SIZE
    jaw = [[0.2 * s + 0.6 * s * k / 16, 0.45 * s + 0.4 * s * np.sin(np.pi * k / 16)] for k in range(17)]
    brows = [[0.28 * s + 0.05 * s * k, 0.33 * s] for k in range(10)]
    nose = [[0.5 * s, (0.4 + 0.04 * k) * s] for k in range(4)] + [[(0.46 + 0.02 * k) * s, 0.57 * s] for k in range(5)]
    eyes = [[0.36 * s, 0.42 * s]] * 6 + [[0.64 * s, 0.42 * s]] * 6
    lips = [[(0.4 + 0.2 * k / 6) * s, 0.7 * s] for k in range(7)] + [[(0.6 - 0.2 * k / 6) * s, 0.72 * s] for k in range(1, 6)]
    inner = [[(0.42 + 0.16 * k / 4) * s, 0.705 * s] for k in range(5)] + [[(0.54 - 0.08 * k) * s, 0.705 * s] for k in range(3)]
    lm = np.array(jaw + brows + nose + eyes + lips + inner, np.float32)
    sharp = np.full((s, s, 3), (200, 150, 130), np.uint8)  # skin, with hard dark features
    for x, y in lm[36:48:6]:
        cv2.ellipse(sharp, (int(x), int(y)), (14, 6), 0, 0, 360, (40, 30, 30), -1)
    cv2.fillPoly(sharp, [np.round(lm[17:27]).astype(np.int32)], (60, 40, 30))
    for x in (0.46, 0.54):
        cv2.circle(sharp, (int(x * s), int(0.58 * s)), 5, (50, 30, 30), -1)
    target = drive(lm, 1.0)
    top = int(round(target[[61, 62, 63], 1].mean()))
    steepest = {}
    for name, face in (("sharp", sharp), ("soft", cv2.GaussianBlur(sharp, (0, 0), 3.0))):
        out, _ = fill_mouth(face.copy(), target, None, None)
        column = out[top - 8:top + 8, s // 2].astype(float).mean(1)
        steepest[name] = np.abs(np.diff(column)).max()
    assert steepest["soft"] < 0.6 * steepest["sharp"], steepest
