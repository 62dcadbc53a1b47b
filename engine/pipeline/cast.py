"""Cast stage: give every speaking character a face and a voice.

Characters given explicitly keep their member; a character named after a member (the writer's opt-in
``cast_names``) is played by that member; the others go round robin over the consenting members passed in
(the caller passes only people in the cast table). With nobody, a character gets
a default voice and no face (the renderer then draws a card). Never anyone else.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from engine.errors import FaceError
from engine.faces.still import VIDEO_EXTS
from engine.pipeline.plan import CastMember
from engine.pipeline.stage import Stage, from_jsonable, to_jsonable
from engine.progress import Progress, ProgressFn

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CastAssignment:
    character: str
    member: str | None  # the cast member's name; None = nobody (drawn card, default voice)
    face: Path | None  # the member's first readable photo; None = the renderer draws a card
    voice: str | None  # the member's chosen voice preset; None = engine.voice's default for the name
    photos: tuple[Path, ...] = ()


@dataclass(frozen=True)
class CastInputs:
    characters: tuple[str, ...]
    members: tuple[CastMember, ...] = ()
    explicit: dict[str, CastMember] | None = None


def assign(characters, members, explicit=None) -> dict[str, CastMember | None]:
    """character -> member (or None): explicit first, then the member a character is named after, then
    round robin over the members no character is named after (all of them when every one is)."""
    explicit = {k.upper(): v for k, v in (explicit or {}).items()}
    by_name = {_key(m.name): m for m in members}
    named = {c: by_name[_key(c)] for c in characters if c.upper() not in explicit and _key(c) in by_name}
    rest = [m for m in members if m not in named.values()] or list(members)
    out: dict[str, CastMember | None] = {}
    turn = 0
    for character in characters:
        if character.upper() in explicit:
            out[character] = explicit[character.upper()]
        elif character in named:
            out[character] = named[character]
        elif rest:
            out[character] = rest[turn % len(rest)]
            turn += 1
        else:
            out[character] = None
    return out


def _key(name: str) -> str:
    return " ".join(str(name).split()).casefold()


class CastStage(Stage):
    name = "cast"

    def run(self, inputs: CastInputs, workdir: Path, on_progress: ProgressFn) -> dict[str, CastAssignment]:
        out_dir = self.dir(workdir)
        out_dir.mkdir(parents=True, exist_ok=True)
        chosen = assign(inputs.characters, inputs.members, inputs.explicit)
        result: dict[str, CastAssignment] = {}
        for i, (character, member) in enumerate(chosen.items()):
            on_progress(Progress(self.name, i / max(1, len(chosen)), f"casting {character}"))
            if member is None:
                result[character] = CastAssignment(character, None, None, None)
            else:
                photos = tuple(Path(p) for p in member.photos)
                readable = [p for p in photos if p.is_file()]
                if photos and not readable:
                    raise FaceError(f"the photos of cast member {member.name} are missing or unreadable: "
                                    f"{', '.join(str(p) for p in photos)}")
                face = next((p for p in readable if p.suffix.lower() not in VIDEO_EXTS), None)
                result[character] = CastAssignment(character, member.name, face, member.voice, tuple(readable))
            log.info("cast: %s -> %s", character, result[character].member or "default voice + drawn card")
        files = [a.face for a in result.values() if a.face]
        self.mark_done(workdir, {"cast": to_jsonable(list(result.values()))}, files)
        on_progress(Progress(self.name, 1.0, f"{len(result)} characters cast", 0.0))
        return result

    def outputs(self, workdir: Path) -> dict[str, CastAssignment]:
        rows = self.load(workdir)["outputs"]["cast"]
        return {r["character"]: from_jsonable(CastAssignment, r) for r in rows}
