"""Face-swap benchmark: identity, expression, jitter and speed of each swap variant, with the controls
measured in the same run (see issue 8 and shared/notes/faces-calibration.md).

    python bench/bench_faces.py                    # geometric + controls (+ the tiny ensemble with --learned)
    python bench/bench_faces.py --learned tiny     # also train and measure the learned ensemble (tiny preset)
    python bench/bench_faces.py --cases 0,soft     # only some cases (CASES by number; soft: the SOFT case)

Rows: no swap (control), the cast member's average face pasted on (control), the actor's own face from the
clip put back on them by the geometric member (control: the mouth r of a swap that changed nobody), the
geometric member (and again with the actor's glasses left off: dlib's identity reads glasses as much as a face),
the learned ensemble (when asked). Columns: identity (share of frames closer to the cast member than to
the actor; share within 0.6), mouth-opening correlation with the source (and its floor: the untouched
source against itself measured from a box 3% to the side; no swap can be measured above it; and, per clip, how
well two readings of the source agree, as it is and mirrored: a swap is read with errors of its own; and, on a
clip where something passes in front of the mouth (COVERED), the same over the frames where the mouth is in view), jitter (swapped shake / source
shake of the landmarks read from each; 1.0 = as steady), flicker (the same for the face's pixels: no predictor in
between, whose reading noise on a generated face is no shake a viewer sees), conversion frames/s (tracking included) and its ratio to a plain decode +
encode of the same clip in this process. The last case (SOFT) is an address made small and soft, as the
close-up is: its mouth is also scored against the sharp original's, which the predictor reads reliably. Uses ../shared/data (internal only: the swapped videos are
written to a temporary folder and deleted; never publish swaps of these people).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.faces.align import ALIGN_SIZE  # noqa: E402
from engine.faces.castswap import actor_faceset  # noqa: E402
from engine.faces.convert.glasses import GlassesConfig  # noqa: E402
from engine.faces.convert.silhouette import SilhouetteConfig  # noqa: E402
from engine.faces.evaluate import agreement, mouth_against_sharp, mouth_readings, score_swap  # noqa: E402
from engine.faces.extract import build_faceset  # noqa: E402
from engine.faces.models._base import AlignedBatch, Generated  # noqa: E402
from engine.faces.models.geometric import GeometricMember, hull_mask  # noqa: E402
from engine.faces.swap import SwapOptions, swap_clip  # noqa: E402
from engine.faces.track import track_video  # noqa: E402
from engine.faces.video import VideoWriter, clip_info, read_frames  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
CASES = [  # (clip, cast member's photos folder)
    ("ccby3_blender_tears_of_steel_0500.mp4", "ccby_tang_video_person_b"),
    ("pd_wh_weekly_address_obama_town_halls.mp4", "ccby_tang_video_person_b"),
    ("pd_wh_weekly_address_obama_answers_to_these_problems.mp4", "ccby_tang_video_person_c"),
    # a cast member in glasses of her own: hers stay on and the actor's are left off in both geometric rows
    ("ccby3_blender_tears_of_steel_0500.mp4", "ccby_tang_video_person_a"),
    # a group of five (small faces; the cast member wears glasses of her own), and a selfie video that moves and turns
    ("ccby_openmpf_video_01_group.mp4", "ccby_tang_video_person_a"),
    ("ccby_openmpf_new_face_video-90_selfie.mp4", "ccby_tang_video_person_c"),
]
# frames where something stands in front of the actor's mouth, as seen in them: the predictor's mouth there is a
# guess, in the source and the swap alike (the close-up: from 0:06.6 he drinks through a straw behind a blurred
# green foreground that rises over his mouth and chin). Mouth r is also given without them ("in view").
COVERED = {"ccby3_blender_tears_of_steel_0500.mp4": frozenset(range(158, 240))}
# a small, soft copy of an address (its face ~116 px wide, blurred, as on the close-up): the mouth is also scored
# against the sharp original, where the predictor reads it reliably (two readings agree at 0.99)
SOFT = ("pd_wh_weekly_address_obama_town_halls.mp4", "ccby_tang_video_person_b")
SOFT_SIZE, SOFT_BLUR, SOFT_S = (320, 180), 1.0, 8.0


class NoSwap:
    name = "no swap"

    def convert(self, batch: AlignedBatch) -> Generated:
        return Generated(batch.faces.copy(), np.zeros(batch.faces.shape[:3], np.float32), self.name)


class MeanPaste:
    """Control: the cast member's average aligned face, pasted on with no expression at all."""
    name = "average face pasted"

    def __init__(self, faceset) -> None:
        self.face = faceset.faces.astype(np.float32).mean(0).astype(np.uint8)
        self.mask = hull_mask(faceset.landmarks.mean(0), ALIGN_SIZE, 0.1, 0.06)

    def convert(self, batch: AlignedBatch) -> Generated:
        n = len(batch.faces)
        return Generated(np.repeat(self.face[None], n, 0), np.repeat(self.mask[None], n, 0), self.name)


class OwnFace(GeometricMember):
    """Control: the actor's own face (the clip's frames of them) animated back onto them by the geometric member.
    Its identity reads 0%, and its mouth r is what a swap that changed nobody scores: the ceiling the clip and the
    measure set (on the Tears of Steel close-up 0.78, as its two readings of the source agree)."""
    name = "the actor's own face"


def passthrough_fps(clip: Path, out: Path) -> float:
    t0 = time.monotonic()
    frames = list(read_frames(clip))
    w = VideoWriter(out, frames[0][1].shape[1], frames[0][1].shape[0], 24)
    for _, f in frames:
        w.write(f)
    w.close()
    return len(frames) / (time.monotonic() - t0)


def soft_copy(clip: Path, out: Path) -> Path:
    """The clip's first SOFT_S seconds at 640x360, from a SOFT_SIZE copy, blurred: a small, soft face."""
    import cv2

    writer = VideoWriter(out, 640, 360, clip_info(clip).fps)
    for _, rgb in read_frames(clip, 0.0, SOFT_S):
        small = cv2.resize(rgb, SOFT_SIZE, interpolation=cv2.INTER_AREA)
        writer.write(cv2.GaussianBlur(cv2.resize(small, (640, 360), interpolation=cv2.INTER_LINEAR), (0, 0), SOFT_BLUR))
    return writer.close()


def run_case(clip: Path, photos: list[Path], learned: str | None, tmp: Path, sharp: Path | None = None) -> list[dict]:
    covered = COVERED.get(clip.name, frozenset())
    cast, _ = build_faceset("cast", photos)
    variants = [NoSwap(), MeanPaste(cast), GeometricMember(cast)]
    t0 = time.monotonic()
    faces = track_video(clip)
    track_s = time.monotonic() - t0
    actor = faces.main_identity().id
    # the ceiling control: the actor's own face (their frames of this clip) put back on them, nobody changed
    own = actor_faceset(faces, actor)
    variants.insert(2, OwnFace(own))
    if learned:
        from engine.faces.ensemble import ensemble_for

        t1 = time.monotonic()
        models = tmp / "models" / f"{clip.stem}-{photos[0].parent.name}"  # per clip and cast member
        variants.append(ensemble_for(GeometricMember(cast), cast, own, learned, None,
                                     models, "cpu"))
        print(f"    trained the {learned} ensemble in {time.monotonic() - t1:.0f}s", flush=True)
    reference = passthrough_fps(clip, tmp / "plain.mp4")
    rows = []
    bare = SwapOptions(glasses=GlassesConfig(enabled=False))
    runs = [(m, SwapOptions(), getattr(m, "name", type(m).__name__)) for m in variants]
    runs.insert(4, (variants[3], bare, "geometric, no glasses"))  # what keeping the actor's glasses costs
    # what the turned head's outline costs on identity (the far eye behind the nose is no longer pasted on)
    runs.insert(5, (variants[3], SwapOptions(silhouette=SilhouetteConfig(enabled=False)), "geometric, frontal outline"))
    readings = mouth_readings(faces, actor)
    in_view = f" ({agreement(readings, covered):.2f} where the mouth is in view)" if covered else ""
    print(f"  two readings of the source's mouth (as it is, mirrored) agree at r {agreement(readings):.2f}" + in_view,
          flush=True)
    for member, options, name in runs:
        out = tmp / "swapped.mp4"
        t1 = time.monotonic()
        result = swap_clip(clip, member, out, options, faces=faces)
        fps = result.frames / (time.monotonic() - t1 + track_s)
        score = score_swap(faces, actor, out, cast.mean_embedding, every=1, limit=240,  # every face: r is steadier
                           covered=covered)
        truth = mouth_against_sharp(faces, actor, out, sharp) if sharp else None
        rows.append({"variant": name, "size": f"{faces.width}x{faces.height}",
                     "fps": fps, "ratio": fps / reference, **score.as_dict(), "mouth_vs_sharp": truth})
        print(f"  {rows[-1]['variant']:<26} identity {score.identity_closer:5.0%} closer, {score.identity_within:5.0%} within 0.6 | "
              f"mouth r {score.mouth_correlation:5.2f} (floor {score.mouth_floor:4.2f}"
              + (f"; in view {score.mouth_in_view:4.2f}" if covered else "") + f") | jitter x{score.jitter_ratio:4.2f}, "
              f"flicker x{score.flicker_ratio:4.2f} | "
              f"{fps:5.1f} frames/s at {rows[-1]['size']} ({fps / reference:.2f}x a plain decode+encode at {reference:.0f})"
              + (f" | mouth r {truth:5.2f} against the sharp original" if sharp else ""), flush=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learned", choices=["tiny", "small"], help="also train and measure this learned ensemble")
    parser.add_argument("--cases", default="all", help="which cases, e.g. 0,2,soft (the order of CASES; default all)")
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"needs the shared data at {DATA}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        chosen = set(args.cases.split(",")) if args.cases != "all" else {*map(str, range(len(CASES))), "soft"}
        for clip, person in [c for k, c in enumerate(CASES) if str(k) in chosen]:
            print(f"{clip} <- {person}", flush=True)
            run_case(DATA / "footage" / clip, sorted((DATA / "faces" / person).glob("*.jpg")), args.learned, Path(tmp))
        if "soft" not in chosen:
            return 0
        clip, person = SOFT
        print(f"{clip}, small and soft ({SOFT_SIZE[0]}x{SOFT_SIZE[1]} blurred, shown at 640x360) <- {person}", flush=True)
        run_case(soft_copy(DATA / "footage" / clip, Path(tmp) / "soft.mp4"), sorted((DATA / "faces" / person).glob("*.jpg")),
                 args.learned, Path(tmp), sharp=DATA / "footage" / clip)
    return 0


if __name__ == "__main__":
    sys.exit(main())
