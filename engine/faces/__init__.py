"""Faces: detection, landmarks and alignment, tracking through clips, the face-swap members and their
ensemble, and converting clips (see the README's *Faces*). This package root keeps the light entry points
used to check cast photos; ``engine.faces.castswap.swap_cast_member`` swaps a cast member onto a clip."""
from engine.faces.detect import DetectConfig, FaceBox, check_photo, detect_faces
from engine.faces.still import IMAGE_EXTS, VIDEO_EXTS, face_still

__all__ = ["DetectConfig", "FaceBox", "IMAGE_EXTS", "VIDEO_EXTS", "check_photo", "detect_faces", "face_still"]
