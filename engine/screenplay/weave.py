"""Weaving the brief into a take while the model writes it.

A :class:`Weaver` watches the text as it is sampled, one piece at a time, and answers with text to force
in next. At element boundaries (a blank line) and once the take has reached a planned point, it forces:

- a required line, as a whole speech, under the cue of a character who is already in the scene (not the
  one who just spoke, so it answers them): ``CUE\\n<line>\\n\\n``, then the model writes the reply;
- a prop, as the start of an action line the model finishes: ``Viola sets down a brass telescope``;
- the science theme, as the start of a speech the model finishes: ``ORSINO\\nTell me about entropy.``.

It also keeps the take screenplay-shaped: speeches end at a sentence end past a length, action lines are one
paragraph, and it says when the take is long enough. Text-level and backend-agnostic (LSTM or transformers).
"""
from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass

from engine.brief import Brief
from engine.screenplay.fountain import character_cue, escape, is_scene_heading, parse_fountain
from engine.screenplay.pages import LINES_PER_PAGE, screenplay_lines

PROP_VERBS = ("picks up", "sets down", "reaches for", "holds up", "stares at", "turns to", "uncovers",
              "clutches", "lifts", "finds")
SCIENCE_LINES = ("Tell me about {s}.", "Think of {s}.", "All this talk of {s}!", "Do you understand {s}?",
                 "It comes back to {s}.", "What do you know of {s}?")
DETERMINERS = {"a", "an", "the", "some", "his", "her", "their", "its", "my", "your", "our", "this", "that",
               "two", "three", "four", "five", "one", "several", "many"}
FALLBACK_CAST = ("H", "C", "H2")  # Sunspring's cast, for a take whose model has not named anyone yet


@dataclass(frozen=True)
class WeaveConfig:
    first_at: float = 0.2  # constraints are spread from this fraction of the page target ...
    last_at: float = 0.75  # ... to this one, so they sit in the body
    speech_chars: int = 120  # a speech ends at the first sentence end past this many characters
    speech_hard: int = 240  # ... or at the first space past this many
    action_chars: int = 110  # same for action paragraphs
    action_hard: int = 200
    heading_chars: int = 60  # a scene heading ends at the first space past this many
    paren_chars: int = 40  # a parenthetical left open closes at the first space past this many
    patience: int = 10  # body lines a speech may wait for a second speaker to appear
    overrun: float = 2.5  # give up waiting for the model past this multiple of the target (then force)


@dataclass
class Pending:
    kind: str  # "line" | "prop" | "science"
    value: str
    at: int  # body lines after which it is forced


def plan(brief: Brief, target_lines: int, rng: random.Random, config: WeaveConfig) -> list[Pending]:
    """Where each constraint goes: lines, props and the science theme interleaved across the body."""
    items = [Pending("line", x, 0) for x in brief.lines] + [Pending("prop", x, 0) for x in brief.props]
    if brief.science:
        items.append(Pending("science", brief.science, 0))
    rng.shuffle(items)
    n = len(items)
    for i, item in enumerate(items):
        frac = config.first_at + (config.last_at - config.first_at) * (i + 0.5) / max(1, n)
        item.at = int(frac * target_lines)
    return items


def prop_phrase(prop: str, who: str, rng: random.Random) -> str:
    """The start of an action line naming ``prop`` verbatim."""
    words = prop.split()
    if len(words) >= 4 and words[0].lower() not in DETERMINERS:  # an action, not an object
        return f"{rng.choice(('Suddenly,', 'Then', 'Meanwhile,'))} {escape(prop)}"
    obj = prop if words[0].lower() in DETERMINERS or words[0][:1].isupper() else f"the {prop}"
    return f"{who} {rng.choice(PROP_VERBS)} {escape(obj)}"


def dialogue_line(text: str) -> str:
    """``text`` escaped to read back verbatim as a line of dialogue."""
    text = escape(text)
    return "\\" + text if text.startswith(("(", "~", "!", "@")) else text


class Weaver:
    def __init__(self, brief: Brief, target_lines: int, rng: random.Random, prime: str,
                 config: WeaveConfig = WeaveConfig(), max_cast: int = 4):
        self.config, self.rng, self.target = config, rng, max(8, target_lines)
        self.pending = plan(brief, self.target, rng, config)
        self.text, self.block_start, self.lines = "", 0, 0
        self.speakers: Counter[str] = Counter()
        self.last_speaker: str | None = None
        self.done = False
        self.max_cast = max_cast
        self._append(prime)

    # ----------------------------------------------------------- feeding

    def push(self, piece: str) -> str | None:
        """The model wrote ``piece``; return text to force next (already part of the take), or None."""
        if self.done:
            return None
        if self._append(piece):
            return self._at_boundary()
        forced = self._shape(self.text[self.block_start:], piece)
        if forced is None:
            return None
        if self._append(forced):
            forced += self._at_boundary() or ""
        return forced

    def finish(self) -> str:
        """The sampler stopped early: force whatever is still pending and close the take."""
        forced = ""
        if self.text[self.block_start:].strip():
            forced = "\n\n" if not self.text.endswith("\n") else "\n"
            self._append(forced)
        while self.pending:
            text = self._constraint_text(self.pending.pop(0))
            if not text.endswith("\n\n"):
                text = text.rstrip() + ".\n\n"
            self._append(text)
            forced += text
        self.done = True
        return forced

    @property
    def overdue(self) -> bool:
        return self.lines > self.config.overrun * self.target

    # ----------------------------------------------------------- internals

    def _append(self, text: str) -> bool:
        """Add ``text`` to the take, closing blocks at blank lines; True when it ends on a boundary."""
        boundary = False
        for part in re.split(r"(\n)", text):
            if not part:
                continue
            self.text += part
            boundary = False
            if part == "\n":
                block = self.text[self.block_start:]
                if block == "\n":  # a stray blank line between blocks
                    self.block_start = len(self.text)
                    boundary = True
                elif block.endswith("\n\n"):
                    self._close_block()
                    boundary = True
        return boundary

    def _close_block(self) -> None:
        block = self.text[self.block_start:].strip("\n")
        self.block_start = len(self.text)
        if not block.strip():
            return
        lines = block.split("\n")
        cue = character_cue(lines[0].strip()) if len(lines) > 1 else None
        if cue and not is_scene_heading(lines[0]):
            self.speakers[cue[0]] += 1
            self.last_speaker = cue[0]
        self.lines += max(1, screenplay_lines(parse_fountain(block)))

    def _at_boundary(self) -> str | None:
        if self.pending and self._waiting(self.pending[0]):
            return None
        if self.pending and (self.lines >= self.pending[0].at or self.overdue):
            text = self._constraint_text(self.pending.pop(0))
            self._append(text)
            return text
        if not self.pending and self.lines >= self.target:
            self.done = True
        return None

    def _waiting(self, item: Pending) -> bool:
        """Hold a speech back a little while only the last speaker could say it (they would talk twice)."""
        if item.kind == "prop" or self.overdue or self.lines >= item.at + self.config.patience:
            return False
        return not any(name != self.last_speaker for name in self.speakers)

    def _shape(self, block: str, piece: str) -> str | None:
        """Keep a block screenplay-shaped; return a forced block end where needed."""
        c = self.config
        lines = block.split("\n")
        last = piece[-1:]
        if is_scene_heading(lines[0]):  # a heading is one short line, then a blank line
            if len(lines) == 1 and len(block) > c.heading_chars and last == " ":
                return "\n\n"
            return "\n" if len(lines) == 2 and last == "\n" else None
        if len(lines) == 1:
            long_ = (len(block) > c.action_chars and last in ".!?") or (len(block) > c.action_hard and last == " ")
            return "\n\n" if long_ else None
        if character_cue(lines[0].strip()) is None:  # action is one paragraph
            return "\n" if last == "\n" else None
        paren = lines[-1]
        if paren.startswith("(") and ")" not in paren and len(paren) > c.paren_chars and last == " ":
            return ")\n"  # a parenthetical is one short line, closed; the speech follows
        speech = sum(len(x) for x in lines[1:] if not x.startswith("("))
        if (speech > c.speech_chars and last in ".!?") or (speech > c.speech_hard and last == " "):
            return "\n\n"
        return None

    def _constraint_text(self, item: Pending) -> str:
        if item.kind == "line":
            return f"{self._speaker()}\n{dialogue_line(item.value)}\n\n"
        if item.kind == "prop":  # the model finishes the sentence; the word after the prop is its own
            return prop_phrase(item.value, _title_case(self._anyone()), self.rng) + self.rng.choice((". ", ". ", ", "))
        line = self.rng.choice(SCIENCE_LINES).replace("{s}", item.value)
        return f"{self._speaker()}\n{dialogue_line(line)} "

    def _speaker(self) -> str:
        """Someone already in the take who did not speak last; the busiest first."""
        cast = [name for name, _ in self.speakers.most_common(self.max_cast)]
        others = [n for n in cast if n != self.last_speaker]
        if others:
            return others[0] if len(others) == 1 or self.rng.random() < 0.6 else self.rng.choice(others[1:])
        if self.last_speaker:
            return self.last_speaker
        return FALLBACK_CAST[0]

    def _anyone(self) -> str:
        cast = [name for name, _ in self.speakers.most_common(self.max_cast)]
        return self.rng.choice(cast) if cast else FALLBACK_CAST[0]


def _title_case(name: str) -> str:
    return " ".join(w[:1] + w[1:].lower() for w in name.split()) if len(name) > 2 else name


def target_lines(pages: float) -> int:
    return int(round(pages * LINES_PER_PAGE))
