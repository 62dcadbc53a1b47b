"""The parsed screenplay that later stages (cast, voice, render) consume."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Union


@dataclass(frozen=True)
class Action:
    text: str


@dataclass(frozen=True)
class Dialogue:
    character: str  # the cue as written, upper case, without extensions like (V.O.)
    text: str
    parenthetical: str | None = None  # e.g. "(whispering)"
    extension: str | None = None  # e.g. "V.O.", "O.S."


@dataclass(frozen=True)
class Transition:
    text: str  # e.g. "CUT TO:"


Element = Union[Action, Dialogue, Transition]


@dataclass
class Scene:
    heading: str  # e.g. "INT. LIGHTHOUSE - NIGHT"
    elements: list[Element] = field(default_factory=list)


@dataclass
class Screenplay:
    title: str
    title_page: dict[str, str] = field(default_factory=dict)  # Fountain title-page keys, e.g. "Credit", "Author"
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
        words = 0
        for scene in self.scenes:
            words += len(scene.heading.split())
            for el in scene.elements:
                words += len(el.text.split())
        return words
