"""Page length of a screenplay, as a typed page would have it: 55 lines a page, about a minute of film.

Widths follow the usual screenplay layout in 12 pt Courier: action 61 characters, dialogue 35,
parentheticals 25; a blank line after each element and two before a scene heading.
"""
from __future__ import annotations

import textwrap

from engine.screenplay.document import Action, Dialogue, Note, PageBreak, Screenplay, Section, Synopsis, Transition

LINES_PER_PAGE = 55
ACTION_WIDTH, DIALOGUE_WIDTH, PAREN_WIDTH = 61, 35, 25


def wrapped(text: str, width: int) -> int:
    """Lines ``text`` takes when word-wrapped at ``width``."""
    return sum(max(1, len(textwrap.wrap(line, width, break_long_words=True))) for line in text.split("\n"))


def element_lines(el) -> int:
    """Lines an element takes, with the blank line after it."""
    if isinstance(el, Dialogue):
        paren = wrapped(el.parenthetical, PAREN_WIDTH) if el.parenthetical else 0
        return 1 + paren + wrapped(el.text, DIALOGUE_WIDTH) + 1
    if isinstance(el, Transition):
        return 2
    if isinstance(el, Action):
        return wrapped(el.text, ACTION_WIDTH) + 1
    if isinstance(el, (Section, Synopsis, Note, PageBreak)):
        return 0  # never printed
    raise TypeError(f"not a screenplay element: {el!r}")


def heading_lines(heading: str, first: bool) -> int:
    return (0 if first else 1) + wrapped(heading, ACTION_WIDTH) + 1 if heading else 0


def screenplay_lines(sp: Screenplay) -> int:
    total = 0
    for i, scene in enumerate(sp.scenes):
        total += heading_lines(scene.heading, i == 0)
        total += sum(element_lines(el) for el in scene.elements)
    return total


def page_count(sp: Screenplay) -> float:
    """Pages of the body (the title page is not counted)."""
    return screenplay_lines(sp) / LINES_PER_PAGE
