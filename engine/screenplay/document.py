"""The parsed screenplay that later stages (cast, voice, render) consume.

A scene is its heading and the elements under it, in reading order. Every element has ``text``: what a
reader sees, without Fountain markup, so voice and render use it as is. What only the page needs (centred
lines, lyrics, dual dialogue, emphasis, scene numbers) rides along in flags; what never prints (sections,
synopses, notes, page breaks) are elements of their own, which voice and render skip.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator, Union


@dataclass(frozen=True)
class Action:
    text: str  # lines kept as written, indentation included
    centered: bool = False  # > THE END <
    lyric: bool = False  # ~ lines outside a speech
    joined: bool = False  # more lines of the paragraph before (that paragraph changes kind here)
    markup: str | None = None  # the text as Fountain (emphasis, escapes, [[notes]]) when it is not the plain one


@dataclass(frozen=True)
class Dialogue:
    character: str  # the cue as written, without extensions like (V.O.); forced @names keep their case
    text: str
    parenthetical: str | None = None  # e.g. "(whispering)", before this part of the speech
    extension: str | None = None  # e.g. "V.O."; several as written between the outer parentheses: "V.O.) (CONT'D"
    dual: bool = False  # ^: spoken at the same time as the speech before (dual dialogue)
    lyric: bool = False  # ~ lines: sung
    joined: bool = False  # the same speech as the Dialogue before (after a parenthetical): no cue of its own
    markup: str | None = None  # as for Action
    parenthetical_markup: str | None = None  # the same for the parenthetical

    def extensions(self) -> tuple[str, ...]:
        """Each extension of the cue: ``BOB (V.O.) (CONT'D)`` -> ("V.O.", "CONT'D")."""
        return tuple(x.strip() for x in re.split(r"\)\s*\(", self.extension)) if self.extension else ()


@dataclass(frozen=True)
class Transition:
    text: str  # e.g. "CUT TO:"


@dataclass(frozen=True)
class Section:
    text: str  # "# ACT ONE": an outline marker, never printed
    level: int = 1


@dataclass(frozen=True)
class Synopsis:
    text: str  # "= Brick gets a visitor.": never printed


@dataclass(frozen=True)
class Note:
    text: str  # a [[note]] paragraph; kept only when the reader is asked for notes


@dataclass(frozen=True)
class PageBreak:
    text: str = ""  # ===


Element = Union[Action, Dialogue, Transition, Section, Synopsis, Note, PageBreak]
PRINTED = (Action, Dialogue, Transition)  # what a reader of the page (or a viewer of the film) gets


@dataclass
class Scene:
    heading: str  # e.g. "INT. LIGHTHOUSE - NIGHT"; "" for what comes before the first heading
    elements: list[Element] = field(default_factory=list)
    number: str | None = None  # the heading's scene number: "INT. HOUSE - DAY #1A#" -> "1A"


@dataclass
class Screenplay:
    title: str
    # the title page as written: keys ("Credit", "Author", ...) and values as Fountain (they may hold emphasis)
    title_page: dict[str, str] = field(default_factory=dict)
    scenes: list[Scene] = field(default_factory=list)

    def dialogue(self) -> Iterator[tuple[int, Dialogue]]:
        """Every spoken line in order, with its scene index."""
        for i, scene in enumerate(self.scenes):
            for el in scene.elements:
                if isinstance(el, Dialogue):
                    yield i, el

    def characters(self) -> list[str]:
        """Speaking characters in order of first appearance."""
        seen: dict[str, None] = {}
        for _, d in self.dialogue():
            seen.setdefault(d.character, None)
        return list(seen)

    def word_count(self) -> int:
        """Words on the page: headings and printed elements (not sections, synopses or notes)."""
        words = 0
        for scene in self.scenes:
            words += len(scene.heading.split())
            for el in scene.elements:
                if isinstance(el, PRINTED):
                    words += len(el.text.split())
        return words
