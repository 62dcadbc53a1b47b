"""Faces. For now only detection, to check that a cast photo shows one usable face (no face swap yet)."""
from engine.faces.detect import DetectConfig, FaceBox, check_photo, detect_faces

__all__ = ["DetectConfig", "FaceBox", "check_photo", "detect_faces"]
