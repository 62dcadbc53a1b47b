"""Frames of a Timeline: cards drawn once and reused, portraits zoomed per frame, footage decoded by
moviepy, subtitles blended on top. ``FrameSource.frame(t)`` is the whole picture at time t."""
from __future__ import annotations

import logging
from collections import OrderedDict
from pathlib import Path

import numpy as np

from engine.render import cards
from engine.render.timeline import (
    ActionCard, CharacterCard, Credits, FootageShot, Portrait, SceneCard, TitleCard, Timeline, card_color,
)

log = logging.getLogger(__name__)
FADE_S = 0.5  # fade from black at the start, to black at the end


def load_photo(path: Path, min_side: int | None = None) -> np.ndarray:
    """An RGB array of a photo (EXIF rotation applied); raises OSError/ValueError when unreadable.
    ``min_side``: let JPEG decode at a reduced scale that still keeps at least this many pixels a side."""
    from PIL import Image, ImageOps

    with Image.open(path) as im:
        if min_side:
            im.draft("RGB", (min_side, min_side))  # JPEG DCT scaling: much faster for big photos
        im = ImageOps.exif_transpose(im)
        im.load()
        return np.asarray(im.convert("RGB"))


def check_media(timeline: Timeline) -> dict[int, str]:
    """Visuals whose file cannot be used, by index, with the reason (checked before rendering).
    Each file is checked once, however many shots use it (a speaker's photo serves all their lines)."""
    problems: dict[int, str] = {}
    errors: dict[Path, Exception | None] = {}  # file -> why it cannot be used (None: fine)
    for i, v in enumerate(timeline.visuals):
        if not isinstance(v, (Portrait, FootageShot)):
            continue
        path = Path(v.photo if isinstance(v, Portrait) else (v.replacement or v.path))
        if path not in errors:
            errors[path] = _media_error(path, isinstance(v, Portrait))
        if errors[path] is not None:
            what = f"cast photo for {v.character}" if isinstance(v, Portrait) else "footage"
            problems[i] = f"{what} cannot be read ({path.name}: {errors[path]})"
    return problems


def _media_error(path: Path, photo: bool) -> Exception | None:
    try:
        if photo:
            if min(load_photo(path, min_side=64).shape[:2]) < 16:
                raise ValueError("image is too small")
        elif not path.is_file():
            raise FileNotFoundError("file not found")
    except Exception as e:
        return e
    return None


class FrameSource:
    """Composes frames for ``timeline``; visuals listed in ``fallback`` are drawn as character cards."""

    def __init__(self, timeline: Timeline, fallback: set[int] | None = None) -> None:
        self.tl = timeline
        self.w, self.h = timeline.width, timeline.height
        self.fallback = fallback or set()
        self._cache: OrderedDict[tuple, object] = OrderedDict()
        self._clips: dict[str, object] = {}
        self._starts = [v.start for v in timeline.visuals]

    def close(self) -> None:
        for clip in self._clips.values():
            try:
                clip.close()
            except Exception:  # closing a broken reader must not mask the real error
                pass
        self._clips.clear()

    def _cached(self, key: tuple, make):
        if key not in self._cache:
            self._cache[key] = make()
            while len(self._cache) > 24:  # a few cards and overlays at a time
                self._cache.popitem(last=False)
        self._cache.move_to_end(key)
        return self._cache[key]

    def visual_index(self, t: float) -> int | None:
        import bisect

        i = bisect.bisect_right(self._starts, t) - 1
        if i >= 0 and t < self.tl.visuals[i].start + self.tl.visuals[i].duration:
            return i
        return None

    def frame(self, t: float) -> np.ndarray:
        i = self.visual_index(t)
        if i is None:
            img = np.zeros((self.h, self.w, 3), np.uint8)
        else:
            img = self._visual_frame(i, t)
        fade = min(1.0, t / FADE_S, (self.tl.duration - t) / FADE_S)  # fade in from and out to black
        if fade < 1.0:
            img = (img.astype(np.float32) * max(0.0, fade)).astype(np.uint8)
        sub = self.tl.subtitle_at(t)
        if sub is not None:
            overlay, y = self._cached(("sub", sub.start, sub.text), lambda: cards.subtitle_overlay(self.w, self.h, sub.text))
            img = cards.blend(img if img.flags.writeable else img.copy(), overlay, 0, y)
        return img

    def visual_frame_at(self, t: float) -> np.ndarray:
        """The picture at t without subtitles or fades (for posters)."""
        i = self.visual_index(t)
        return np.zeros((self.h, self.w, 3), np.uint8) if i is None else self._visual_frame(i, t, tags=False)

    def _visual_frame(self, i: int, t: float, tags: bool = True) -> np.ndarray:
        v = self.tl.visuals[i]
        w, h = self.w, self.h
        if i in self.fallback and isinstance(v, (Portrait, FootageShot)):
            name = getattr(v, "character", "") or getattr(v, "speaker", "") or "…"
            return self._cached(("fb", i), lambda: cards.character_card(w, h, name, card_color(name), None))
        if isinstance(v, TitleCard):
            return self._cached(("v", i), lambda: cards.title_card(w, h, v.title, v.byline))
        if isinstance(v, SceneCard):
            return self._cached(("v", i), lambda: cards.scene_card(w, h, v.heading, v.number))
        if isinstance(v, ActionCard):
            return self._cached(("v", i), lambda: cards.action_card(w, h, v.text))
        if isinstance(v, CharacterCard):
            return self._cached(("v", i), lambda: cards.character_card(w, h, v.character, v.color, v.parenthetical))
        if isinstance(v, Credits):
            return self._credits(i, v, t)
        if isinstance(v, Portrait):
            return self._portrait(i, v, t, tags)
        if isinstance(v, FootageShot):
            return self._footage(i, v, t, tags)
        raise TypeError(f"unknown visual {type(v).__name__}")

    def _credits(self, i: int, v: Credits, t: float) -> np.ndarray:
        """Static when the credits fit one card; else scrolled up, holding a second at each end."""
        sheet = self._cached(("v", i), lambda: cards.credits_sheet(self.w, self.h, v))
        extra = sheet.shape[0] - self.h
        if extra <= 0:
            return sheet
        hold = min(1.0, v.duration / 4)
        p = min(1.0, max(0.0, (t - v.start - hold) / max(1e-6, v.duration - 2 * hold)))
        y = int(round(p * extra))
        return sheet[y:y + self.h]

    def _portrait(self, i: int, v: Portrait, t: float, tags: bool = True) -> np.ndarray:
        import cv2

        zmax = max(v.zoom)
        need = int(max(self.w, self.h) * zmax)
        base = self._cached(("base", str(v.photo), zmax),  # per photo: reused by every line of that speaker
                            lambda: _portrait_base(load_photo(v.photo, need), self.w, self.h, zmax))
        tag = self._cached(("tag", i), lambda: cards.name_tag(self.w, self.h, v.character, v.parenthetical))
        p = min(1.0, max(0.0, (t - v.start) / max(v.duration, 1e-6)))
        p = p * p * (3 - 2 * p)  # ease in/out
        z = v.zoom[0] + (v.zoom[1] - v.zoom[0]) * p
        k = z / zmax  # base pixels -> output pixels
        bh, bw = base.shape[:2]
        slack_x, slack_y = max(0.0, (k * bw - self.w) / 2), max(0.0, (k * bh - self.h) / 2)
        dx = float(np.clip(v.pan[0] * self.w * (p - 0.5), -slack_x, slack_x))
        dy = float(np.clip(v.pan[1] * self.h * (p - 0.5), -slack_y, slack_y))
        m = np.float32([[k, 0, self.w / 2 - k * bw / 2 + dx], [0, k, self.h / 2 - k * bh / 2 + dy]])
        img = cv2.warpAffine(base, m, (self.w, self.h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        return cards.blend(img, tag, max(6, self.h // 40), max(6, self.h // 40)) if tags else img

    def _footage(self, i: int, v: FootageShot, t: float, tags: bool = True) -> np.ndarray:
        # the swapped version of the stretch, when there is one, plays from its own start
        key = str(v.replacement or v.path)
        if key not in self._clips:
            from moviepy import VideoFileClip

            self._clips[key] = VideoFileClip(key, audio=False)  # the footage's own sound is never used
        clip = self._clips[key]
        first, last = (0.0, v.src_end - v.src_start) if v.replacement else (v.src_start, v.src_end)
        src = min(first + (t - v.start) * v.speed, last, clip.duration - 1.0 / max(1.0, clip.fps or 24))
        img = cover(np.asarray(clip.get_frame(max(0.0, src)))[..., :3], self.w, self.h)
        if v.speaker and tags:
            tag = self._cached(("tag", i), lambda: cards.name_tag(self.w, self.h, v.speaker, None))
            img = cards.blend(img, tag, max(6, self.h // 40), max(6, self.h // 40))
        return img


def cover(img: np.ndarray, w: int, h: int) -> np.ndarray:
    """Scale to cover (w, h) and centre-crop."""
    import cv2

    ih, iw = img.shape[:2]
    s = max(w / iw, h / ih)
    img = cv2.resize(img, (max(w, round(iw * s)), max(h, round(ih * s))), interpolation=cv2.INTER_AREA)
    y, x = (img.shape[0] - h) // 2, (img.shape[1] - w) // 2
    return np.ascontiguousarray(img[y:y + h, x:x + w])


def _portrait_base(photo: np.ndarray, w: int, h: int, scale: float) -> np.ndarray:
    """The photo fitted whole (not cropped) over a blurred, darkened cover of itself, at zoom scale."""
    import cv2

    bw, bh = int(round(w * scale)), int(round(h * scale))
    bg = cover(photo, bw // 8 or 1, bh // 8 or 1)
    bg = cv2.GaussianBlur(bg, (0, 0), 3)
    bg = (cv2.resize(bg, (bw, bh), interpolation=cv2.INTER_LINEAR) * 0.45).astype(np.uint8)
    ph, pw = photo.shape[:2]
    s = min(bw / pw, bh * 0.96 / ph)
    fg = cv2.resize(photo, (max(1, round(pw * s)), max(1, round(ph * s))), interpolation=cv2.INTER_AREA)
    y, x = (bh - fg.shape[0]) // 2, (bw - fg.shape[1]) // 2
    bg[y:y + fg.shape[0], x:x + fg.shape[1]] = fg
    return bg
