from pathlib import Path

import pytest


def fountain(lines: int = 3, title: str = "The Test") -> str:
    """A small screenplay with ``lines`` spoken lines between two characters."""
    out = [f"Title: {title}", "", "INT. LIGHTHOUSE - NIGHT", "", "A brass telescope glints in the dark.", ""]
    for i in range(lines):
        who = "ADA" if i % 2 == 0 else "BOB"
        text = "I was never meant to keep the light." if i == 0 else f"Line number {i + 1}, said slowly."
        out += [who, text, ""]
    return "\n".join(out)


@pytest.fixture
def fountain_text():
    return fountain


@pytest.fixture
def frame_at():
    return decode_frame


def decode_frame(path: Path, t: float, size: tuple[int, int]):
    """The video frame at ``t`` seconds as an (H, W, 3) uint8 array (imageio-ffmpeg's ffmpeg)."""
    import subprocess

    import imageio_ffmpeg
    import numpy as np

    w, h = size
    raw = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-ss", f"{t:.3f}", "-i", str(path),
                          "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True, timeout=60).stdout
    return np.frombuffer(raw, np.uint8)[: w * h * 3].reshape(h, w, 3).astype(int)
