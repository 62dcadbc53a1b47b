"""A cast member's face still from what they sent: a photo as it is, or a frame of a video."""
from __future__ import annotations

from pathlib import Path

from engine.errors import FaceError
from engine.faces.detect import check_photo

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".webp")
VIDEO_EXTS = (".mp4", ".mov", ".webm", ".mkv", ".m4v")
VIDEO_POSITIONS = (0.5, 0.25, 0.75, 0.1, 0.9)  # where in a video to look for a usable face, in order


def face_still(path: Path, out_dir: Path | None = None) -> Path:
    """A photo showing one usable face: ``path`` itself for a photo, else a frame of the video written
    to ``out_dir`` (default: beside the video). Raises FaceError saying why there is none.

    Blocking (dlib, OpenCV): call it in a thread from async code.
    """
    path = Path(path)
    if path.suffix.lower() not in VIDEO_EXTS:
        check_photo(path)
        return path
    import cv2

    if not path.is_file():
        raise FaceError(f"video {path} does not exist")
    out_dir = Path(out_dir) if out_dir else path.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    cap = cv2.VideoCapture(str(path))
    try:
        frames = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        if frames <= 0:
            raise FaceError(f"{path.name} is not a readable video")
        last_error = None
        for k, fraction in enumerate(VIDEO_POSITIONS):
            cap.set(cv2.CAP_PROP_POS_FRAMES, int(frames * fraction))
            ok, frame = cap.read()
            if not ok:
                continue
            still = out_dir / f"{path.stem}-frame{k}.jpg"
            if not cv2.imwrite(str(still), frame):
                raise FaceError(f"could not save a frame of {path.name} to {out_dir}")
            try:
                check_photo(still)
                return still
            except FaceError as e:
                last_error = e
                still.unlink(missing_ok=True)
        raise FaceError(f"no usable face in {path.name}" + (f" ({last_error})" if last_error else ""))
    finally:
        cap.release()


def media_count(paths) -> str:
    """'2 photo(s)' or '1 photo(s) and 1 video(s)' (a video is kept beside the still taken from it)."""
    videos = sum(1 for p in paths if Path(p).suffix.lower() in VIDEO_EXTS)
    text = f"{len(paths) - videos} photo(s)"
    return text + (f" and {videos} video(s)" if videos else "")
