"""File names made from what people typed or sent: plain letters only (accents folded), safe on any disk.
No discord here: the command line uses these without loading discord.py."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path


def slug(text: str, limit: int = 40, default: str = "film") -> str:
    """A file-name-safe slug: ``The Last Lighthouse!`` → ``the-last-lighthouse``, ``Café`` → ``cafe``
    (``default`` when nothing is left)."""
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    s = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return s[:limit].strip("-") or default


def kept_name(prefix: str, given: str, suffix: str = "") -> str:
    """A stored file's name that keeps the one it was given: ``photo_01`` and ``Me at the beach.JPG`` →
    ``photo_01-me-at-the-beach.jpg`` (``suffix`` when the given name has none), so what is later said of the
    file (the swap's notes) points at the file the user sent."""
    part = slug(Path(given).stem, 30, default="")
    return f"{prefix}{'-' + part if part else ''}{Path(given).suffix.lower() or suffix}"
