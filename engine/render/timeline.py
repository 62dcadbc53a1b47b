"""The film as plain data: what is on screen when, which subtitles, which audio. Built by one pure
function (``build_timeline``) and tested by equality; ``engine.render.video`` turns it into an mp4."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Union

from engine.errors import RenderError
from engine.screenplay.document import Action, Dialogue, Screenplay
from engine.voice.synth import VoicedLine

AI_NOTE = "An AI-made film. Written, voiced and rendered by Benjamin."


@dataclass(frozen=True)
class TimelineConfig:
    title_s: float = 3.0  # title card
    scene_card_s: float = 2.0  # scene heading card
    line_gap_s: float = 0.35  # pause after each spoken line
    action_wps: float = 3.0  # reading speed for action cards, words per second
    action_min_s: float = 2.0
    action_max_s: float = 6.0
    action_max_words: int = 40  # longer action is split over several cards
    credits_min_s: float = 5.0
    credits_per_row_s: float = 0.35  # extra time per credits row
    credits_max_s: float = 14.0  # long credits scroll
    zoom: tuple[float, float] = (1.0, 1.12)  # portrait slow zoom (start, end)
    subtitle_max_chars: int = 90  # longer lines are shown as successive subtitles (about two rows each)


# ---- visuals: each occupies [start, start + duration) -------------------------------------
@dataclass(frozen=True)
class TitleCard:
    start: float
    duration: float
    title: str
    byline: str = "Written by Benjamin"


@dataclass(frozen=True)
class SceneCard:
    start: float
    duration: float
    heading: str
    number: int  # 1-based


@dataclass(frozen=True)
class ActionCard:
    start: float
    duration: float
    text: str
    scene: int


@dataclass(frozen=True)
class Portrait:
    """The speaker's cast face photo, with a slow zoom and pan (Ken Burns)."""
    start: float
    duration: float
    character: str
    photo: Path
    zoom: tuple[float, float] = (1.0, 1.12)  # scale at start, at end
    pan: tuple[float, float] = (0.0, 0.0)  # drift across the shot, fraction of the frame (x, y)
    parenthetical: str | None = None


@dataclass(frozen=True)
class CharacterCard:
    """A drawn card for a speaker without a photo: initials on a colour from the name."""
    start: float
    duration: float
    character: str
    color: tuple[int, int, int]
    parenthetical: str | None = None


@dataclass(frozen=True)
class FootageShot:
    """A stretch of a video file. Given to build_timeline as (path, src_start, src_end), optionally
    tied to a spoken line (``line`` = VoicedLine.index) or a planned beat (``beat``); the builder sets
    start/duration. Planned shots come with ``start`` = their offset into the beat and ``duration`` =
    their share of it (0: the rest), so one long beat can be cut into several shots."""
    path: Path
    src_start: float
    src_end: float
    start: float = 0.0
    duration: float = 0.0
    line: int | None = None
    source: str = ""  # credit text, e.g. "White House weekly address (public domain)"
    speaker: str = ""  # set by the builder: who speaks over this shot (shown as a name tag)
    speed: float = 1.0  # source seconds per screen second (under 1: slowed); past src_end the last frame holds
    beat: str = ""  # the planned beat it carries ("scene 1", "action 1.2", "line 3"); "" = untied
    replacement: Path | None = None  # the same stretch with faces swapped (plays from its 0), when made


@dataclass(frozen=True)
class Credits:
    title: str
    cast: tuple[tuple[str, str], ...] = ()  # (character, performer)
    voices: tuple[tuple[str, str], ...] = ()  # (character, voice label)
    footage: tuple[str, ...] = ()  # footage sources
    note: str = AI_NOTE
    start: float = 0.0
    duration: float = 0.0


Visual = Union[TitleCard, SceneCard, ActionCard, Portrait, CharacterCard, FootageShot, Credits]


def credits_text(credits: Credits) -> tuple[str, ...]:
    """The credits as a few lines of plain text (for a post beside the film), in the order the film shows them."""
    lines = []
    if credits.cast:
        lines.append("Cast: " + "; ".join(f"{who} ({performer})" for who, performer in credits.cast))
    if credits.voices:
        lines.append("Voices: " + "; ".join(f"{who}: {label}" for who, label in credits.voices))
    if credits.footage:
        lines.append("Footage: " + "; ".join(credits.footage))
    lines.append(credits.note)
    return tuple(lines)


@dataclass(frozen=True)
class Subtitle:
    start: float
    end: float
    text: str
    speaker: str


@dataclass(frozen=True)
class AudioCue:
    start: float
    path: Path
    duration: float


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    fps: int
    duration: float
    visuals: tuple[Visual, ...]
    subtitles: tuple[Subtitle, ...]
    audio: tuple[AudioCue, ...]
    title: str = ""

    def visual_at(self, t: float) -> Visual | None:
        for v in self.visuals:
            if v.start <= t < v.start + v.duration:
                return v
        return None

    def subtitle_at(self, t: float) -> Subtitle | None:
        for s in self.subtitles:
            if s.start <= t < s.end:
                return s
        return None


def _r(x: float) -> float:
    return round(x, 3)  # milliseconds: stable equality across platforms


def card_color(name: str) -> tuple[int, int, int]:
    """A muted colour fixed by the name (same character, same colour)."""
    h = hashlib.sha256(name.upper().encode("utf-8")).digest()
    base = (h[0] % 6, h[1], h[2])
    palette = ((38, 70, 83), (42, 157, 143), (120, 72, 40), (94, 48, 95), (55, 65, 120), (130, 50, 50))
    r, g, b = palette[base[0]]
    return (min(255, r + base[1] % 30), min(255, g + base[2] % 30), b)


def reading_time(text: str, c: TimelineConfig) -> float:
    return min(c.action_max_s, max(c.action_min_s, len(text.split()) / c.action_wps + 0.5))


def _chunks(text: str, n: int) -> list[str]:
    words = text.split()
    return [" ".join(words[i:i + n]) for i in range(0, len(words), n)] or [""]


@dataclass(frozen=True)
class Beat:
    """One step of the film in screen time: a scene heading, an action paragraph or a spoken line."""
    key: str  # "scene 2" (heading of scene 2), "action 2.3" (element 3 of scene 2), "line 5" (spoken line 5)
    kind: str  # heading | action | line
    duration: float
    text: str
    scene: int  # 1-based scene number
    line: int | None = None  # VoicedLine.index for a spoken line
    character: str | None = None
    chunks: tuple[tuple[str, float], ...] = ()  # action: (text, seconds) cards or captions


def film_beats(screenplay: Screenplay, line_durations: list[float],
               config: TimelineConfig = TimelineConfig()) -> list[Beat]:
    """The film's beats in order with their durations (a line: its voice plus the pause after it).
    ``line_durations``: the voiced seconds of each spoken line, in order."""
    beats: list[Beat] = []
    index = 0
    for number, scene in enumerate(screenplay.scenes, 1):
        if scene.heading.strip():
            beats.append(Beat(f"scene {number}", "heading", config.scene_card_s, scene.heading.strip(), number))
        for k, el in enumerate(scene.elements):
            if isinstance(el, Action) and el.text.strip():
                chunks = tuple((c, _r(reading_time(c, config))) for c in _chunks(el.text, config.action_max_words))
                beats.append(Beat(f"action {number}.{k}", "action", _r(sum(d for _, d in chunks)), el.text.strip(),
                                  number, chunks=chunks))
            elif isinstance(el, Dialogue):
                d = _r(line_durations[index] + config.line_gap_s)
                beats.append(Beat(f"line {index}", "line", d, el.text, number, index, el.character))
                index += 1
    return beats


def build_timeline(screenplay: Screenplay, lines: list[VoicedLine], faces: dict[str, Path] | None = None,
                   footage: list[FootageShot] | None = None, credits: Credits | None = None,
                   size: tuple[int, int] = (854, 480), fps: int = 24,
                   config: TimelineConfig = TimelineConfig()) -> Timeline:
    """Lay the screenplay out in time: title, scene cards, action cards (reading time), one shot per
    spoken line (footage, else face photo, else drawn card) lasting the line plus a pause, credits.
    Footage planned for a heading or an action (``FootageShot.beat``) replaces its card, the text as a caption."""
    width, height = _even(size)
    expected = [(s, d.character, d.text) for s, d in screenplay.dialogue()]
    if [(x.scene, x.character, x.text) for x in lines] != expected:
        raise RenderError("the voiced lines do not match the screenplay's dialogue; voice it again")
    faces = faces or {}
    shots = _assign_footage(lines, footage or [])
    planned: dict[str, list[FootageShot]] = {}
    for s in footage or []:
        if s.beat and s.line is None:
            planned.setdefault(s.beat, []).append(s)
    visuals: list = [TitleCard(0.0, config.title_s, screenplay.title or "Untitled")]
    subtitles: list[Subtitle] = []
    audio: list[AudioCue] = []
    t = config.title_s
    for beat in film_beats(screenplay, [x.duration_s for x in lines], config):
        if beat.kind == "line":
            line = lines[beat.line]
            visuals.extend(_line_visuals(line, _r(t), beat.duration, faces, shots.get(line.index, []), config))
            subtitles.extend(_subtitles(line, t, config.subtitle_max_chars))
            audio.append(AudioCue(_r(t), Path(line.wav), _r(line.duration_s)))
        elif beat.key in planned:  # establishing or action footage, its text as a caption
            visuals.extend(_cut(planned[beat.key], _r(t), beat.duration))
            start = t
            for text, d in beat.chunks or ((beat.text, beat.duration),):
                subtitles.append(Subtitle(_r(start), _r(start + d), text, ""))
                start += d
        elif beat.kind == "heading":
            visuals.append(SceneCard(_r(t), beat.duration, beat.text, beat.scene))
        else:
            start = t
            for text, d in beat.chunks:
                visuals.append(ActionCard(_r(start), d, text, beat.scene - 1))
                start += d
        t += beat.duration
    used = [s for group in list(shots.values()) + list(planned.values()) for s in group]
    credits = _complete_credits(credits, screenplay, lines, faces, used)
    rows = len(credits.cast) + len(credits.voices) + len(credits.footage)
    cd = _r(min(config.credits_max_s, config.credits_min_s + config.credits_per_row_s * rows))
    visuals.append(replace(credits, start=_r(t), duration=cd))
    duration = _r(t + cd)
    return Timeline(width, height, int(fps), duration, tuple(visuals), tuple(subtitles), tuple(audio),
                    screenplay.title or "Untitled")


def split_subtitle(text: str, max_chars: int) -> list[str]:
    """Break a long line into readable pieces: at sentence ends, then commas, then between words."""
    text = " ".join(text.split())
    if len(text) <= max_chars:
        return [text]
    pieces = [p for p in re.split(r"(?<=[.!?…])\s+", text) if p]
    out: list[str] = []
    for piece in pieces:
        parts = re.split(r"(?<=[,;:—])\s+", piece) if len(piece) > max_chars else [piece]
        for part in parts:
            words = part.split()
            while words:  # greedy by words; a single over-long word stands alone
                cur = words.pop(0)
                while words and len(cur) + 1 + len(words[0]) <= max_chars:
                    cur += " " + words.pop(0)
                if out and len(out[-1]) + 1 + len(cur) <= max_chars:
                    out[-1] += " " + cur
                else:
                    out.append(cur)
    return out


def _subtitles(line: VoicedLine, t: float, max_chars: int) -> list[Subtitle]:
    """The line's subtitles, sharing its spoken time in proportion to their length."""
    pieces = [p for p in split_subtitle(line.text, max_chars) if p]  # a wordless line gets no (empty) box
    total = sum(len(p) for p in pieces) or 1
    out, start = [], t
    for k, piece in enumerate(pieces):
        end = t + line.duration_s if k == len(pieces) - 1 else start + line.duration_s * len(piece) / total
        out.append(Subtitle(_r(start), _r(end), piece, line.character))
        start = end
    return out


def _even(size: tuple[int, int]) -> tuple[int, int]:
    w, h = int(size[0]), int(size[1])
    if w < 64 or h < 64 or w > 3840 or h > 2160:
        raise RenderError(f"video size {w}x{h} is out of range (64x64 to 3840x2160)")
    return w - w % 2, h - h % 2  # H.264 4:2:0 needs even sides


def _line_visuals(line: VoicedLine, start: float, duration: float, faces: dict[str, Path],
                  shots: list[FootageShot], c: TimelineConfig) -> list:
    if shots:
        return [replace(v, line=line.index, speaker=line.character) for v in _cut(shots, start, duration)]
    photo = faces.get(line.character)
    if photo is not None:
        # alternate drift direction per line so consecutive portraits do not move the same way
        sign = 1 if line.index % 2 == 0 else -1
        return [Portrait(start, duration, line.character, Path(photo), c.zoom, (0.03 * sign, -0.02),
                         line.parenthetical)]
    return [CharacterCard(start, duration, line.character, card_color(line.character), line.parenthetical)]


def _cut(shots: list[FootageShot], start: float, duration: float) -> list[FootageShot]:
    """A beat's shots in screen time. A planned shot's ``start`` is its offset into the beat and its
    ``duration`` its share (0: the rest of the beat); each source is trimmed to what its time plays."""
    out = []
    for k, shot in enumerate(sorted(shots, key=lambda s: s.start)):
        offset = min(shot.start, duration)
        last = k == len(shots) - 1
        d = _r(duration - offset if last or not shot.duration else min(shot.duration, duration - offset))
        if d > 0:
            src_end = _r(min(shot.src_end, shot.src_start + d * shot.speed))
            out.append(replace(shot, start=_r(start + offset), duration=d, src_end=src_end))
    return out


def _assign_footage(lines: list[VoicedLine], footage: list[FootageShot]) -> dict[int, list[FootageShot]]:
    """Shots tied to a line go there (several: cut in turn); untied shots fill the remaining lines in order."""
    out: dict[int, list[FootageShot]] = {}
    for s in footage:
        if s.line is not None:
            out.setdefault(s.line, []).append(s)
    free = iter(s for s in footage if s.line is None and not s.beat)
    for line in lines:
        if line.index not in out:
            shot = next(free, None)
            if shot is None:
                break
            out[line.index] = [replace(shot, start=0.0, duration=0.0)]
    return out


def _complete_credits(credits: Credits | None, screenplay: Screenplay, lines: list[VoicedLine],
                      faces: dict[str, Path], shots: list[FootageShot]) -> Credits:
    """Fill what the caller left empty: cast from the screenplay, voices from the voiced lines."""
    credits = credits or Credits(title=screenplay.title or "Untitled")
    if not credits.cast:
        cast = tuple((c, "face photo" if c in faces else "drawn card") for c in screenplay.characters())
        credits = replace(credits, cast=cast)
    if not credits.voices:
        voices: dict[str, str] = {}
        for line in lines:
            voices.setdefault(line.character, line.voice.label())
        credits = replace(credits, voices=tuple(voices.items()))
    if not credits.footage and shots:
        seen = dict.fromkeys(s.source or Path(s.path).name for s in shots)
        credits = replace(credits, footage=tuple(seen))
    return credits
