"""Tips on a cast member's photos: what would make their face swap better. Not rejections (a photo that
cannot be used is refused by ``detect.check_photo``); the photos are kept either way.

- Lips apart in every photo (a smile, a word): the swap closes the mouth and opens it as the actor's
  opens, but a smile is also in the skin (raised cheeks, narrowed eyes), and that goes onto every face.
  The geometric member animates the photo whose lips are together when there is one (``pick_reference``).
- Turned away in every photo: a frontal face turned to the actor's pose swaps better than the reverse.
- A small face in every photo: it is enlarged to the swap's size, so the new face is soft.
- At swap time (``pose_tip``): an actor turned partly away for most of the clip, and no photo turned as far.

A video gives many faces with many expressions, so with one there is no tip about the mouth.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from engine.errors import FaceError
from engine.faces.align import mouth_opening
from engine.faces.detect import load_rgb
from engine.faces.extract import face_problems
from engine.faces.landmarks import find_faces_in_photo
from engine.faces.quality import turn
from engine.faces.still import VIDEO_EXTS

log = logging.getLogger(__name__)

LIPS_TOGETHER = 0.025  # inner-lip gap over face height: under it, the lips are together
TURNED = 0.25  # |yaw| (quality.turn) over which a face is turned away
SMALL_PX = 110  # face width (landmark extent) under which the swap's face is enlarged and soft


def photo_tips(paths: list[Path], names: dict[str, str] | None = None) -> list[str]:
    """What would swap better than these photos (empty when nothing would); ``names``: what to call a
    photo (its path as a string -> the name the person gave it), else its file name. Blocking (dlib): call
    it in a thread from async code."""
    paths = [Path(p) for p in paths]
    video = any(p.suffix.lower() in VIDEO_EXTS for p in paths)
    used, refused = [], []
    for p in paths:
        if p.suffix.lower() in VIDEO_EXTS:
            continue
        try:
            rgb = load_rgb(p)
        except FaceError as e:
            log.info("no tip from %s: %s", p.name, e)
            continue
        faces = find_faces_in_photo(rgb)
        lm = faces[0].landmarks if faces else None
        problems = face_problems(rgb, faces[0]) if faces else ["no face found"]
        if problems:  # extract.build_faceset leaves it out
            refused.append(f"{(names or {}).get(str(p), p.name)}: {'; '.join(problems)}")
        else:
            used.append((mouth_opening(lm), abs(turn(lm)), float(lm[:, 0].max() - lm[:, 0].min())))
    if refused and not used and not video:
        return [("the face swap cannot use " + ("this photo" if len(refused) == 1 else "any of these photos")
                 + f" ({', '.join(refused)}), so in films from footage the actors keep their own faces: "
                 "add a closer, sharper photo facing the camera, its eyes in plain view.")]
    tips = [f"the face swap leaves out {', '.join(refused)}."] if refused else []
    if not used:
        return tips
    one = len(used) == 1
    if not video and all(gap >= LIPS_TOGETHER for gap, _, _ in used):
        tips.append(("the photo shows" if one else "every photo shows") + " the lips apart (a smile or a word). "
                    "The swap closes the mouth and opens it with the actor's, but a smile's raised cheeks and "
                    "narrowed eyes stay, in every part: add a photo with a relaxed face and the lips together.")
    if all(yaw > TURNED for _, yaw, _ in used):
        tips.append("the face is turned away from the camera" + ("" if one else " in every photo")
                    + ": a photo facing the camera swaps best.")
    if all(px < SMALL_PX for _, _, px in used):
        tips.append(f"the face is small in {'the photo' if one else 'every photo'} "
                    f"({max(px for _, _, px in used):.0f} px wide): a closer photo gives a sharper face.")
    return tips


# how much further the actor is turned than the most turned photo before the swap says so. On the Tears of
# Steel close-up (the actor turned 0.41, median) cast A's photos reach 0.43: mouth r 0.66 and pixel flicker
# 1.20x the source's; without that photo (0.14 at most) 0.60 and 1.27x. Cast B's reach 0.20: 0.55.
TURN_GAP = 0.15


def pose_tip(cast_landmarks: np.ndarray, actor_landmarks: list[np.ndarray], where: str = "this clip") -> str | None:
    """A tip when the actor is turned from the camera for most of a clip and every photo of the cast member
    faces it more squarely (a frontal face turned to a three-quarter pose is stretched on one side and
    squeezed on the other; either side's photo will do, the swap mirrors it). None when nothing would help.
    ``where``: what the tip calls the footage (a film names the shot: its clip and the stretch it uses)."""
    if not len(cast_landmarks) or not actor_landmarks:
        return None
    actor = float(np.median([abs(turn(lm)) for lm in actor_landmarks]))
    photos = max(abs(turn(lm)) for lm in cast_landmarks)
    if actor <= TURNED or actor - photos < TURN_GAP:
        return None
    return (f"the actor is turned partly away from the camera for most of {where}, and every photo faces it "
            "more squarely: a photo turned to the side (either side) would make the mouth and cheeks follow "
            "the actor better.")
