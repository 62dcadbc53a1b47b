"""Cards and overlays drawn once with PIL: title, scene heading, action, drawn character, credits,
subtitles and name tags. Each returns an RGB (cards) or RGBA (overlays) numpy array."""
from __future__ import annotations

import functools
import importlib.util
import logging
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

log = logging.getLogger(__name__)

BG = (14, 14, 18)
FG = (240, 236, 228)
DIM = (170, 165, 155)
ACCENT = (224, 180, 90)
MAX_CARD_CHARS = 600


# DejaVu Sans (Vera's metrics plus Cyrillic, Greek, Hebrew, Arabic...) where the system has it, so
# non-Latin titles and lines are not drawn as empty boxes; Linux distributions' usual places.
_WIDE_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu-sans-fonts",
                   "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF", "/usr/local/share/fonts")


@functools.lru_cache(maxsize=None)
def _font_path(bold: bool) -> str | None:
    """DejaVu Sans when installed, else Bitstream Vera from the reportlab wheel (a dependency), when present."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in _WIDE_FONT_DIRS:
        if (Path(folder) / name).is_file():
            return str(Path(folder) / name)
    spec = importlib.util.find_spec("reportlab")
    if spec and spec.submodule_search_locations:
        path = Path(list(spec.submodule_search_locations)[0]) / "fonts" / ("VeraBd.ttf" if bold else "Vera.ttf")
        if path.is_file():
            return str(path)
    return None


@functools.lru_cache(maxsize=64)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    path = _font_path(bold)
    if path:
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)  # Pillow >= 10.1: a scalable built-in font


@functools.lru_cache(maxsize=4096)
def _has_glyph(ch: str, bold: bool) -> bool:
    """Whether the card font draws ``ch`` (not its empty 'missing glyph' box)."""
    fnt = font(24, bold)
    return bytes(fnt.getmask(ch)) != bytes(fnt.getmask("\U000F0000"))  # a private-use point: always the box


def drawable(text: str, bold: bool = False) -> str:
    """``text`` without the characters the font can only draw as boxes (emoji, mostly); unchanged if that
    would leave nothing to show."""
    if text.isascii():
        return text
    kept = " ".join("".join(c for c in text if c.isspace() or _has_glyph(c, bold)).split())
    return kept if kept else text


def wrap(text: str, fnt, max_width: int) -> list[str]:
    """Greedy word wrap to ``max_width`` pixels; over-long words are split."""
    lines: list[str] = []
    cur = ""
    for word in text.split():
        while len(word) > 1 and fnt.getlength(word) > max_width:  # one huge word: hard split
            lo, hi = 1, len(word)  # longest prefix that fits, by bisection
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if fnt.getlength(word[:mid]) <= max_width:
                    lo = mid
                else:
                    hi = mid - 1
            if cur:
                lines.append(cur)
                cur = ""
            lines.append(word[:lo])
            word = word[lo:]
        trial = f"{cur} {word}".strip()
        if fnt.getlength(trial) <= max_width:
            cur = trial
        else:
            lines.append(cur)
            cur = word
    if cur:
        lines.append(cur)
    return lines or [""]


def fit_text(text: str, max_width: int, max_height: int, size: int, bold: bool = False,
             min_size: int = 10, spacing: float = 1.25) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest font (<= size) whose wrapped lines fit the box; cut with an ellipsis if even the smallest fails."""
    if len(text) > MAX_CARD_CHARS:  # nobody reads more on one card; keeps wrapping cheap
        text = text[:MAX_CARD_CHARS].rstrip() + "…"
    text = drawable(text, bold)
    while True:
        fnt = font(size, bold)
        lines = wrap(text, fnt, max_width)
        if len(lines) * size * spacing <= max_height or size <= min_size:
            break
        size = max(min_size, int(size * 0.88))
    keep = max(1, int(max_height // (size * spacing)))
    if len(lines) > keep:
        lines = lines[:keep]
        lines[-1] = lines[-1].rstrip(".,;: ") + "…"
    return fnt, lines


def _draw_block(draw: ImageDraw.ImageDraw, lines: list[str], fnt, cx: int, top: int, fill, spacing: float = 1.25,
                stroke: int = 0) -> int:
    """Centred lines from ``top``; returns the y below the block."""
    step = int(fnt.size * spacing)
    for i, line in enumerate(lines):
        draw.text((cx, top + i * step), line, font=fnt, fill=fill, anchor="mt", stroke_width=stroke,
                  stroke_fill=(0, 0, 0))
    return top + step * len(lines)


def _canvas(w: int, h: int, color=BG) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    img = Image.new("RGB", (w, h), color)
    return img, ImageDraw.Draw(img)


def title_card(w: int, h: int, title: str, byline: str, background: np.ndarray | None = None) -> np.ndarray:
    """Title and byline; over a darkened ``background`` frame when given (the poster)."""
    img, d = _canvas(w, h)
    if background is not None:
        img = Image.fromarray((background.astype(np.float32) * 0.35).astype(np.uint8))
        d = ImageDraw.Draw(img)
    fnt, lines = fit_text(title, int(w * 0.84), int(h * 0.45), size=max(16, h // 9), bold=True)
    block = len(lines) * int(fnt.size * 1.25)
    y = _draw_block(d, lines, fnt, w // 2, (h - block) // 2 - h // 12, FG, stroke=0 if background is None else 2)
    d.line([(w * 0.38, y + h * 0.03), (w * 0.62, y + h * 0.03)], fill=ACCENT, width=max(1, h // 240))
    _draw_block(d, [byline], font(max(10, h // 24)), w // 2, int(y + h * 0.07), DIM)
    return np.asarray(img)


def scene_card(w: int, h: int, heading: str, number: int) -> np.ndarray:
    img, d = _canvas(w, h)
    _draw_block(d, [f"SCENE {number}"], font(max(10, h // 28), True), w // 2, int(h * 0.36), ACCENT)
    fnt, lines = fit_text(heading.upper(), int(w * 0.86), int(h * 0.3), size=max(12, h // 15), bold=True)
    _draw_block(d, lines, fnt, w // 2, int(h * 0.46), FG)
    return np.asarray(img)


def action_card(w: int, h: int, text: str) -> np.ndarray:
    img, d = _canvas(w, h, (22, 22, 26))
    fnt, lines = fit_text(text, int(w * 0.8), int(h * 0.7), size=max(12, h // 18))
    block = len(lines) * int(fnt.size * 1.25)
    _draw_block(d, lines, fnt, w // 2, (h - block) // 2, (225, 222, 214))
    return np.asarray(img)


def character_card(w: int, h: int, name: str, color: tuple[int, int, int], parenthetical: str | None) -> np.ndarray:
    """A drawn stand-in: a silhouette circle with initials, the name beneath, on the character's colour."""
    img, d = _canvas(w, h, tuple(int(c * 0.45) for c in color))
    r = int(h * 0.2)
    cx, cy = w // 2, int(h * 0.36)
    d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=color, outline=FG, width=max(2, h // 160))
    initials = "".join(p[0] for p in name.split()[:2] if p) or "?"
    d.text((cx, cy), initials.upper(), font=font(int(r * 0.9), True), fill=FG, anchor="mm")
    fnt, lines = fit_text(name, int(w * 0.8), int(h * 0.12), size=max(12, h // 16), bold=True)
    y = _draw_block(d, lines[:1], fnt, cx, cy + r + h // 30, FG)
    if parenthetical:
        _draw_block(d, [parenthetical.strip()[:60]], font(max(10, h // 28)), cx, y + h // 80, DIM)
    return np.asarray(img)


def credits_sheet(w: int, h: int, credits) -> np.ndarray:
    """Title, cast, voices, footage and the AI-made note at a readable size: one card (h tall) when it
    fits, else a taller sheet that the renderer scrolls upwards."""
    rows: list[tuple[str, str]] = [("", "CAST")] + [(c, p) for c, p in credits.cast]
    rows += [("", ""), ("", "VOICES")] + [(c, v) for c, v in credits.voices]
    if credits.footage:
        rows += [("", ""), ("", "FOOTAGE")] + [("", f) for f in credits.footage]
    head, title = fit_text(credits.title, int(w * 0.9), int(h // 14 * 2.6), size=max(12, h // 14), bold=True)
    note_font, note = fit_text(credits.note, int(w * 0.9), int(h * 0.16), size=max(10, h // 24), bold=True)
    size = max(10, h // 24)
    rows = [(drawable(a), drawable(b)) for a, b in rows]
    pairs = [(a[:40], b[:70]) for a, b in rows if a]
    while size > 10:  # shrink until the widest name + widest credit fit side by side
        fnt = font(size)
        lw = max((fnt.getlength(a) for a, _ in pairs), default=0)
        rw = max((fnt.getlength(b) for _, b in pairs), default=0)
        if lw + rw + 2 * size <= w * 0.92:
            break
        size -= 1
    fnt, bold = font(size), font(size, True)
    lw = max((fnt.getlength(a) for a, _ in pairs), default=0)
    rw = max((fnt.getlength(b) for _, b in pairs), default=0)
    split = int((w - (lw + rw + 2 * size)) / 2 + lw + size)
    step, t_step, n_step = int(size * 1.35), int(head.size * 1.25), int(note_font.size * 1.25)
    content = t_step * len(title) + step + step * len(rows) + step + n_step * len(note)
    margin = int(h * 0.08) if content + int(h * 0.16) <= h else int(h * 0.03)
    height = max(h, content + 2 * margin)
    img, d = _canvas(w, height)
    y = margin + max(0, (h - 2 * margin - content) // 2)
    y = _draw_block(d, title, head, w // 2, y, FG) + step
    for left, right in rows:
        if not left:
            heading = right in ("CAST", "VOICES", "FOOTAGE")
            d.text((w // 2, y), right[:90], font=bold if heading else fnt, fill=ACCENT if heading else FG, anchor="mt")
        else:
            d.text((split - size // 2, y), left[:40], font=fnt, fill=DIM, anchor="rt")
            d.text((split + size // 2, y), right[:70], font=fnt, fill=FG, anchor="lt")
        y += step
    _draw_block(d, note, note_font, w // 2, y + step, ACCENT)
    return np.asarray(img)


def subtitle_overlay(w: int, h: int, text: str) -> tuple[np.ndarray, int]:
    """A boxed, outlined, wrapped subtitle (RGBA patch) and the y where it goes (bottom of frame)."""
    size = max(12, h // 17)
    fnt, lines = fit_text(text, int(w * 0.86), int(h * 0.3), size=size, min_size=max(10, h // 26))
    step = int(fnt.size * 1.25)
    pad = max(4, fnt.size // 3)
    box_h = step * len(lines) + 2 * pad
    box_w = int(max(fnt.getlength(x) for x in lines)) + 4 * pad
    img = Image.new("RGBA", (w, box_h), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle([(w - box_w) // 2, 0, (w + box_w) // 2, box_h - 1], radius=pad, fill=(0, 0, 0, 165))
    stroke = max(1, fnt.size // 12)
    _draw_block(d, lines, fnt, w // 2, pad + 1, (255, 255, 255, 255), stroke=stroke)
    y = h - box_h - max(6, h // 24)
    return np.asarray(img), y


def name_tag(w: int, h: int, name: str, parenthetical: str | None) -> np.ndarray:
    """Speaker name (and delivery) for the top-left corner of a portrait or footage shot (RGBA)."""
    text = drawable(name + (f"  {parenthetical.strip()[:40]}" if parenthetical else ""), True)
    fnt = font(max(10, h // 28), True)
    tw = int(fnt.getlength(text)) + fnt.size + 4
    img = Image.new("RGBA", (min(w, tw), int(fnt.size * 1.8)), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle([0, 0, img.width - 1, img.height - 1], radius=fnt.size // 3, fill=(0, 0, 0, 150))
    d.text((fnt.size // 2 + 2, img.height // 2), text, font=fnt, fill=(255, 255, 255, 255), anchor="lm")
    return np.asarray(img)


def blend(frame: np.ndarray, overlay: np.ndarray, x: int, y: int) -> np.ndarray:
    """Alpha-blend an RGBA ``overlay`` onto ``frame`` (RGB, modified in place) at (x, y)."""
    h, w = overlay.shape[:2]
    y0, x0 = max(0, y), max(0, x)
    y1, x1 = min(frame.shape[0], y + h), min(frame.shape[1], x + w)
    if y1 <= y0 or x1 <= x0:
        return frame
    patch = overlay[y0 - y: y1 - y, x0 - x: x1 - x]
    alpha = patch[..., 3:4].astype(np.float32) / 255.0
    region = frame[y0:y1, x0:x1].astype(np.float32)
    frame[y0:y1, x0:x1] = (region * (1 - alpha) + patch[..., :3] * alpha).astype(np.uint8)
    return frame
