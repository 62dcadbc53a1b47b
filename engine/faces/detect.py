"""Face detection with dlib's frontal (HOG) detector, for validating cast photos."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from engine.errors import FaceError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DetectConfig:
    max_side: int = 1024  # larger photos are scaled down first (speed; HOG needs no more)
    min_side: int = 64  # smaller images cannot show a usable face
    upsample: int = 1  # dlib upsampling passes: finds faces down to ~40 px
    min_face_fraction: float = 0.04  # a face narrower than this share of the photo is too small to use
    # detector confidence a face needs: as much as the face set's finder asks (landmarks.FindConfig), so a photo
    # the swap would learn from is not refused here (a selfie in glasses scored -0.15 and was refused at 0)
    min_score: float = -0.2
    max_bytes: int = 25 * 1024 * 1024  # refuse huge files outright


@dataclass(frozen=True)
class FaceBox:
    left: int
    top: int
    right: int
    bottom: int
    score: float  # detector confidence (higher is surer)

    @property
    def width(self) -> int:
        return self.right - self.left


def load_rgb(path: Path, config: DetectConfig = DetectConfig()):
    """The photo as an RGB uint8 array (EXIF rotation applied, scaled to max_side), or FaceError."""
    import numpy as np
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    try:
        if path.stat().st_size > config.max_bytes:
            raise FaceError(f"{path.name} is larger than {config.max_bytes // (1024 * 1024)} MB")
        with Image.open(path) as img:
            img = ImageOps.exif_transpose(img)
            if img.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit grey: scale down, don't clip to white
                deep = np.asarray(img, dtype=np.uint32)
                img = Image.fromarray((deep >> 8 if deep.max() > 255 else deep).clip(0, 255).astype(np.uint8))
            img = img.convert("RGB")  # also grey, palette, CMYK, RGBA
            img.thumbnail((config.max_side, config.max_side))
            arr = np.asarray(img, dtype=np.uint8).copy()
    except FileNotFoundError:
        raise FaceError(f"photo {path} does not exist") from None
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as e:
        raise FaceError(f"{path.name} is not a readable image ({type(e).__name__})") from None
    if min(arr.shape[:2]) < config.min_side:
        raise FaceError(f"{path.name} is too small ({arr.shape[1]}x{arr.shape[0]}) to show a face")
    return arr


def detect_faces(path: Path, config: DetectConfig = DetectConfig()) -> list[FaceBox]:
    """Faces in the photo, largest first (coordinates in the scaled image)."""
    return _detect(load_rgb(path, config), config)


def _detect(image, config: DetectConfig) -> list[FaceBox]:
    """Found as the face set and the photo tips find them (``landmarks.find_faces_in_photo``): a photo `cast
    add` accepts is one the swap learns from, and one it refuses, the swap could not use either."""
    from engine.faces.landmarks import FindConfig, find_faces_in_photo

    faces = find_faces_in_photo(image, FindConfig(upsample=config.upsample, min_score=config.min_score))
    return [FaceBox(*f.box, f.score) for f in faces]


def check_photo(path: Path, config: DetectConfig = DetectConfig()) -> FaceBox:
    """The one face of a cast photo, or FaceError saying why the photo cannot be used."""
    path = Path(path)
    image = load_rgb(path, config)
    faces = [f for f in _detect(image, config) if f.width >= config.min_face_fraction * image.shape[1]]
    if not faces:
        raise FaceError(f"no face found in {path.name}; use a clear, front-facing photo of one person")
    if len(faces) > 1 and faces[1].width > 0.6 * faces[0].width:
        raise FaceError(f"{path.name} shows {len(faces)} faces; use a photo with only the one person in it")
    return faces[0]
