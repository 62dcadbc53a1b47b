"""Faces. For now detection, to check that a cast photo (or a frame of a video) shows one usable face."""
from engine.faces.detect import DetectConfig, FaceBox, check_photo, detect_faces
from engine.faces.still import IMAGE_EXTS, VIDEO_EXTS, face_still

__all__ = ["DetectConfig", "FaceBox", "IMAGE_EXTS", "VIDEO_EXTS", "check_photo", "detect_faces", "face_still"]
