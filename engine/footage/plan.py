"""Casting and planning: from a screenplay, a footage library and the voiced line lengths to a shot list.

Each speaking character is played by one footage actor for the whole film (the actors most on screen
go to the characters with most lines; with fewer actors than characters, actors double up and the plan
says so). Each line goes to a shot where its actor's face is visible: a two-shot with the other speaker
for an exchange, a close-up otherwise. Scene headings get faceless establishing shots (else wides);
action lines naming a prop prefer wides. Shots are trimmed, slowed (down to 0.8x) or held to length,
and a shot's footage is not shown twice until the candidates run out. Plain data, tested by equality.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine.footage.model import Library, LibraryShot
from engine.render.timeline import Beat, TimelineConfig, film_beats
from engine.screenplay.document import Screenplay

FRAMING_WEIGHT = {"closeup": 1.0, "two-shot": 0.8, "wide": 0.4, "none": 0.0}  # screen presence per second


@dataclass(frozen=True)
class PlanConfig:
    min_speed: float = 0.8  # slowest a shot may play to fill a line; shorter shots then hold their last frame
    min_usable_s: float = 0.5  # a shot with less unused footage than this counts as used up
    max_hold_s: float = 1.0  # longest a shot's last frame may hold; a longer beat cuts to another shot
    max_cuts: int = 8  # most shots one beat is cut into (the last then holds)
    speech_words: int = 12  # a line this long is a speech: a close-up of the speaker
    timeline: TimelineConfig = field(default_factory=TimelineConfig)


@dataclass(frozen=True)
class PlannedShot:
    beat: str  # "scene 1" | "action 1.2" | "line 3" (engine.render.timeline.Beat.key)
    clip: Path
    shot: int  # LibraryShot.id
    start: float  # source seconds
    end: float
    speed: float  # source seconds per screen second
    duration: float  # screen seconds
    framing: str
    line: int | None = None  # the spoken line it carries
    character: str | None = None
    actor: int | None = None  # the footage actor playing ``character``
    swaps: tuple[tuple[str, int], ...] = ()  # (cast member, footage actor) pairs to swap in this shot
    credit: str = ""  # the clip's credit and licence
    offset: float = 0.0  # screen seconds from the beat's start (a long beat is cut into several shots)


@dataclass(frozen=True)
class FilmPlan:
    shots: tuple[PlannedShot, ...]
    casting: tuple[tuple[str, int | None], ...]  # (character, footage actor id or None), by order of appearance
    notes: tuple[str, ...] = ()  # what the log and credits should say (doubling, characters without a face)
    credits: tuple[str, ...] = ()  # credit lines of the clips used, in order of first use

    def swap_pairs(self) -> tuple[tuple[str, int], ...]:
        """Every (cast member, footage actor) pair the film needs, once each."""
        return tuple(dict.fromkeys(p for s in self.shots for p in s.swaps))


def presence(library: Library) -> dict[int, float]:
    """Seconds on screen per actor, weighted by framing (a close-up counts most)."""
    out = {a.id: 0.0 for a in library.actors}
    for s in library.shots:
        for a in s.actors:
            out[a] = out.get(a, 0.0) + s.duration * FRAMING_WEIGHT.get(s.framing, 0.0)
    return out


def cast_actors(screenplay: Screenplay, library: Library) -> tuple[dict[str, int | None], list[str]]:
    """character -> footage actor: most lines to most presence; round robin when actors run short."""
    characters = screenplay.characters()
    lines = {c: 0 for c in characters}
    for _, d in screenplay.dialogue():
        lines[d.character] += 1
    score = presence(library)
    actors = sorted((a for a in score if score[a] > 0), key=lambda a: (-score[a], a))
    by_lines = sorted(characters, key=lambda c: (-lines[c], characters.index(c)))
    chosen = {c: (actors[i % len(actors)] if actors else None) for i, c in enumerate(by_lines)}
    notes = []
    if not actors and characters:
        notes.append("the footage shows no faces: every line plays over faceless footage")
    for actor in dict.fromkeys(a for a in chosen.values() if a is not None):
        shared = [c for c in characters if chosen[c] == actor]
        if len(shared) > 1:
            notes.append(f"{library.actor_name(actor)} plays {' and '.join(shared)} "
                         f"({len(actors)} actor(s) in the footage for {len(characters)} characters)")
    return {c: chosen[c] for c in characters}, notes


class _Picker:
    """Chooses shots and the stretch of each to use, remembering what has been shown."""

    def __init__(self, library: Library, config: PlanConfig):
        self.lib, self.config = library, config
        self.cursor = {s.id: s.start for s in library.shots}
        self.rounds = {s.id: 0 for s in library.shots}
        self.order = {s.id: i for i, s in enumerate(library.shots)}

    def pick(self, ranked: list[list[LibraryShot]], need: float) -> LibraryShot | None:
        """The first tier with unused footage wins; when every candidate is used up, the least reused."""
        for tier in ranked:
            fresh = [s for s in tier if s.end - self.cursor[s.id] >= self.config.min_usable_s]
            if fresh:  # among fresh shots, one long enough at the slowest speed, then the library's order
                return min(fresh, key=lambda s: (self.rounds[s.id],
                                                 s.end - self.cursor[s.id] < need * self.config.min_speed,
                                                 self.order[s.id]))
        pool = [s for tier in ranked for s in tier]
        if not pool:
            return None
        best = min(pool, key=lambda s: (self.rounds[s.id], next(i for i, t in enumerate(ranked) if s in t),
                                        self.order[s.id]))
        self.rounds[best.id] += 1  # the library ran out for this: show it again from its start
        self.cursor[best.id] = best.start
        return best

    def take(self, shot: LibraryShot, need: float, last: bool = False) -> tuple[float, float, float, float]:
        """(start, end, speed, screen seconds) of the stretch used for up to ``need`` screen seconds: trimmed
        when the shot is long enough, slowed (to min_speed) and held when nearly (or when it is the ``last``
        cut allowed), else all of it at full speed."""
        start = self.cursor[shot.id]
        avail = round(shot.end - start, 3)
        c = self.config
        if avail >= need:
            end, speed, covered = round(start + need, 3), 1.0, need
        elif last or avail / c.min_speed + c.max_hold_s >= need:
            end, speed, covered = shot.end, round(max(c.min_speed, avail / need), 3), need
        else:  # too short: play it all and cut to another shot for the rest
            end, speed, covered = shot.end, 1.0, avail
        self.cursor[shot.id] = end
        return round(start, 3), end, speed, round(covered, 3)


def _tiers(shots: tuple[LibraryShot, ...], *conditions) -> list[list[LibraryShot]]:
    return [[s for s in shots if cond(s)] for cond in conditions]


def _line_tiers(library: Library, beat: Beat, actor: int | None, partner: int | None, config: PlanConfig):
    if actor is None:  # nobody plays them: faceless footage, then anything
        return _tiers(library.shots, lambda s: not s.actors, lambda s: True)
    mine = tuple(s for s in library.shots if actor in s.actors)
    speech = len(beat.text.split()) >= config.speech_words
    if partner is not None and partner != actor and not speech:  # an exchange: both in frame if possible
        return _tiers(mine, lambda s: partner in s.actors and s.framing == "two-shot",
                      lambda s: partner in s.actors, lambda s: s.framing == "closeup", lambda s: True)
    return _tiers(mine, lambda s: s.framing == "closeup", lambda s: s.framing == "two-shot", lambda s: True)


def _partner(beats: list[Beat], i: int, casting: dict[str, int | None]) -> int | None:
    """The actor of the other speaker in the exchange around beat i (same scene, next or previous line)."""
    me = beats[i]
    for j in (i - 1, i + 1, i - 2, i + 2):
        if 0 <= j < len(beats) and beats[j].kind == "line" and beats[j].scene == me.scene \
                and beats[j].character != me.character:
            return casting.get(beats[j].character)
    return None


def plan_film(screenplay: Screenplay, library: Library, line_durations: list[float], *,
              members: dict[str, str] | None = None, props: tuple[str, ...] = (),
              config: PlanConfig = PlanConfig()) -> FilmPlan:
    """The shot list. ``line_durations``: voiced seconds per spoken line; ``members``: character -> cast
    member whose face replaces that character's footage actor (the rest keep their own faces)."""
    casting, notes = cast_actors(screenplay, library)
    members = {c.upper(): m for c, m in (members or {}).items() if m}
    wearing = {}  # footage actor -> the cast member swapped onto them (first character cast wins)
    for character, actor in casting.items():
        if actor is not None and character.upper() in members:
            wearing.setdefault(actor, members[character.upper()])
    beats = film_beats(screenplay, line_durations, config.timeline)
    picker, shots = _Picker(library, config), []
    wanted = [p.casefold() for p in props if p.strip()]
    for i, beat in enumerate(beats):
        actor = casting.get(beat.character) if beat.kind == "line" else None
        if beat.kind == "line":
            tiers = _line_tiers(library, beat, actor, _partner(beats, i, casting), config)
        elif beat.kind == "action" and any(p in beat.text.casefold() for p in wanted):
            tiers = _tiers(library.shots, lambda s: s.framing == "wide", lambda s: s.framing == "none")
        else:  # headings and other action: faceless establishing shots, then wides
            tiers = _tiers(library.shots, lambda s: s.framing == "none", lambda s: s.framing == "wide")
        own = members.get((beat.character or "").upper()) if actor is not None else None
        offset = 0.0
        for cut in range(config.max_cuts):
            left = round(beat.duration - offset, 3)
            shot = picker.pick([t for t in tiers if t], left) or picker.pick([list(library.shots)], left)
            if shot is None or left <= 0:
                break
            start, end, speed, covered = picker.take(shot, left, last=cut == config.max_cuts - 1)
            faces = ((own if a == actor and own else wearing.get(a), a) for a in shot.actors)
            swaps = tuple((member, a) for member, a in faces if member)
            clip = library.clip(shot.clip)
            shots.append(PlannedShot(beat.key, clip.path, shot.id, start, end, speed, covered, shot.framing,
                                     beat.line, beat.character, actor, swaps, clip.credit_line(), offset))
            offset = round(offset + covered, 3)
    return FilmPlan(tuple(shots), tuple(casting.items()), tuple(notes),
                    tuple(dict.fromkeys(s.credit for s in shots)))
