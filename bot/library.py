"""The footage library between storage and the engine: ingest files into a guild's library (resumable,
duplicates skipped, bad files reported by name), and load a library for planning (the guild's own, else
the shipped default in assets/footage/). Used by `bot.py footage`, `/footage`, `make --footage` and /film."""
from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

import sqlite_utils

from bot.settings import Settings
from engine.errors import FootageError
from engine.footage import (
    Library, LibraryActor, LibraryClip, LibraryShot, analyse_shots, check_size, detect_shots, match_actor,
    probe_clip, write_image,
)
from engine.progress import Progress, ProgressFn, null_progress
from storage import footage as store

log = logging.getLogger(__name__)

VIDEO_EXTS = (".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v", ".mpg", ".mpeg", ".ogv")
SHIPPED_DIR = Path(__file__).resolve().parent.parent / "assets" / "footage"


@dataclass
class AddReport:
    added: list[str] = field(default_factory=list)  # "name: N shots, M faces"
    skipped: list[str] = field(default_factory=list)  # duplicates
    failed: list[str] = field(default_factory=list)  # "name: why"

    def lines(self) -> list[str]:
        return ([f"added {a}" for a in self.added] + [f"skipped {s}" for s in self.skipped]
                + [f"not added {f}" for f in self.failed])


def library_dir(settings: Settings, guild_id: int) -> Path:
    return settings.home / "footage" / str(guild_id)


def expand(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """Video files among ``paths`` (folders: the videos in them, sorted) and what was left out, by name.
    A folder with no video at all, or nothing usable given, is one FootageError."""
    files, left = [], []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            inside = sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith("."))
            videos = [f for f in inside if f.suffix.lower() in VIDEO_EXTS]
            if not videos:
                raise FootageError(f"{p} has no video files ({len(inside)} other file(s); "
                                   f"videos end in {', '.join(VIDEO_EXTS)})")
            files += videos
        elif not p.exists():
            left.append(f"{p.name}: no such file")
        elif p.suffix.lower() not in VIDEO_EXTS:
            left.append(f"{p.name}: not a video file")
        else:
            files.append(p)
    if not files and left:
        raise FootageError("nothing to add: " + "; ".join(left))
    return files, left


def folder_credits(folder: Path) -> dict[str, dict]:
    """A ``credits.json`` beside the videos (as in assets/footage: file name -> name, credit, licence), so a
    clip added from such a folder keeps its credit in the films cut from it; {} when there is none."""
    path = Path(folder) / "credits.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        log.warning("%s is unreadable (%s): clips from there get no credit from it", path, e)
        return {}
    return {k: v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}


def add_clips(db: sqlite_utils.Database, settings: Settings, paths: list[Path], *, guild_id: int = 0,
              credit: str = "", licence: str = "", names: dict[Path, str] | None = None, copy: bool = True,
              on_progress: ProgressFn = null_progress) -> AddReport:
    """Ingest each video into the guild's library; one bad file never stops the others."""
    files, left = expand(paths)
    report = AddReport(failed=left)
    for i, path in enumerate(files):
        on_progress(Progress("footage", i / len(files), f"{path.name} ({i + 1}/{len(files)})"))
        meta = folder_credits(path.parent).get(path.name, {})
        try:
            report_one = _add_one(db, settings, path, guild_id, credit or meta.get("credit", ""),
                                  licence or meta.get("licence", ""),
                                  (names or {}).get(path) or meta.get("name") or path.stem, copy, on_progress)
        except FootageError as e:
            log.warning("footage %s not added: %s", path.name, e)
            report.failed.append(str(e) if path.name in str(e) else f"{path.name}: {e}")
            continue
        (report.skipped if report_one.startswith("(") else report.added).append(report_one.lstrip("("))
    on_progress(Progress("footage", 1.0, f"{len(report.added)} clip(s) added"))
    return report


def _add_one(db, settings: Settings, path: Path, guild_id: int, credit: str, licence: str, name: str, copy: bool,
             on_progress: ProgressFn) -> str:
    check_size(path)  # a huge file is refused before it is read through for its hash
    info = probe_clip(path)
    row = store.find_clip(db, guild_id, info.hash)
    if row and row["status"] == "done":
        return f"({path.name}: already in the library as #{row['id']} {row['name']}"
    if row is None:
        stored = _store_file(settings, guild_id, path, info.hash) if copy else path.resolve()
        values = {"path": str(stored), "name": name, "credit": credit, "licence": licence,
                  "duration": info.duration, "fps": info.fps, "variable_fps": int(info.variable_fps),
                  "width": info.width, "height": info.height, "rotation": info.rotation,
                  "has_audio": int(info.has_audio), "size_bytes": info.size_bytes}
        clip_id = store.start_clip(db, guild_id, info.hash, values, detect_shots(info))
        row = store.get_clip(db, clip_id)
    else:
        log.info("footage %s: resuming its ingest at shot %d", path.name, len(store.done_shots(db, row["id"])) + 1)
    info = replace(info, path=Path(row["path"]))  # the stored copy: same bytes, same hash
    spans = [tuple(s) for s in row["spans"]]
    thumbs = library_dir(settings, guild_id) / "thumbs"
    for shot in analyse_shots(info, spans, thumbs, store.done_shots(db, row["id"]), on_progress=on_progress):
        faces = [{"embedding": f.embedding.tolist(),
                  "thumbnail": str(write_image(thumbs / f"{info.hash[:16]}_{shot.index:03d}_face{k}.jpg", f.crop, 128))
                  if f.crop is not None and f.crop.size else None} for k, f in enumerate(shot.faces)]
        store.record_shot(db, row["id"], {"shot_index": shot.index, "start": shot.start, "end": shot.end,
                                          "framing": shot.framing,
                                          "thumbnail": str(shot.thumbnail) if shot.thumbnail else None},
                          faces, _match)
    store.finish_clip(db, row["id"])
    shots = store.clip_shots(db, row["id"])
    people = {a for s in shots for a in s["actors"]}
    return f"#{row['id']} {row['name']}: {len(shots)} shot(s), {len(people)} actor(s), {info.duration:.1f} s"


def _match(embedding: list[float], actors: list[tuple[int, list[float]]]) -> int | None:
    import numpy as np

    return match_actor(np.asarray(embedding, np.float32), actors)


def _store_file(settings: Settings, guild_id: int, path: Path, content_hash: str) -> Path:
    """A copy of the clip in BENJAMIN_HOME/footage/<guild>/ (the library keeps working if the original moves)."""
    folder = library_dir(settings, guild_id)
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / f"{content_hash[:16]}{path.suffix.lower()}"
    if not dest.exists():
        tmp = dest.with_name(f".{dest.name}.part")
        try:
            shutil.copyfile(path, tmp)
            tmp.replace(dest)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            raise FootageError(f"{path.name}: cannot be copied into the library ({e.strerror or e})") from None
    return dest


def remove(db: sqlite_utils.Database, settings: Settings, guild_id: int, ref: str) -> str:
    """Remove a clip by id or name (its stored copy and thumbnails too); returns what was removed."""
    hits = store.find_clips(db, guild_id, ref)
    if not hits:
        raise FootageError(f"no clip {ref!r} in the footage library (see: footage list)")
    if len(hits) > 1:
        raise FootageError(f"{len(hits)} clips are called {ref!r}; remove one by its number: "
                           + ", ".join(f"#{c['id']}" for c in hits))
    clip = hits[0]
    orphans = store.remove_clip(db, clip["id"])
    folder = library_dir(settings, guild_id)
    for p in [clip["path"]] + [s["thumbnail"] for s in clip["shots"]] + [a["thumbnail"] for a in orphans]:
        if p and Path(p).resolve().is_relative_to(folder.resolve()):
            Path(p).unlink(missing_ok=True)
    gone = f", and {', '.join(a['name'] for a in orphans)} (seen nowhere else)" if orphans else ""
    return f"removed #{clip['id']} {clip['name']}{gone}"


def load_library(db: sqlite_utils.Database, guild_id: int) -> Library:
    """The guild's finished clips, their shots and actors, as the planner reads them."""
    clips = store.list_clips(db, guild_id, include_unfinished=False)
    return Library(
        clips=tuple(LibraryClip(c["id"], Path(c["path"]), c["name"] or "", c["credit"] or "", c["licence"] or "",
                                float(c["duration"] or 0.0)) for c in clips),
        shots=tuple(LibraryShot(s["id"], c["id"], float(s["start"]), float(s["end"]), s["framing"] or "none",
                                tuple(s["actors"])) for c in clips for s in c["shots"]),
        actors=tuple(LibraryActor(a["id"], a["name"], tuple(a["embedding"])) for a in store.list_actors(db, guild_id)))


def shipped_credits() -> dict[str, dict]:
    path = SHIPPED_DIR / "credits.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def build_shipped_index() -> dict:
    """Ingest the shipped clips (no database) into the index kept beside them as index.json."""
    from engine.footage import ingest_clip

    credits, clips, actors = shipped_credits(), [], []
    for name in sorted(credits):
        clip = ingest_clip(SHIPPED_DIR / name)
        shots = []
        for shot in clip.shots:
            ids = []
            for face in shot.faces:
                known = match_actor(face.embedding, [(a["id"], a["embedding"]) for a in actors])
                if known is None:
                    known = len(actors) + 1
                    actors.append({"id": known, "name": f"Actor {known}",
                                   "embedding": [round(float(x), 5) for x in face.embedding]})
                ids.append(known)
            shots.append({"start": shot.start, "end": shot.end, "framing": shot.framing, "actors": ids})
        clips.append({"file": name, "hash": clip.info.hash, "duration": clip.info.duration, "shots": shots})
    return {"clips": clips, "actors": actors}


def shipped_library() -> Library:
    """The shipped default footage (assets/footage/), from its index (rebuilt in memory when missing or stale)."""
    credits = shipped_credits()
    path = SHIPPED_DIR / "index.json"
    index = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    if index is None or sorted(c["file"] for c in index["clips"]) != sorted(credits):
        log.warning("the shipped footage index is missing or stale; ingesting assets/footage (once per run)")
        index = _cached_build()
    clips, shots = [], []
    for n, c in enumerate(index["clips"], 1):
        meta = credits.get(c["file"], {})
        clips.append(LibraryClip(n, SHIPPED_DIR / c["file"], meta.get("name", c["file"]), meta.get("credit", ""),
                                 meta.get("licence", ""), float(c["duration"])))
        for s in c["shots"]:
            shots.append(LibraryShot(len(shots) + 1, n, float(s["start"]), float(s["end"]), s["framing"],
                                     tuple(s["actors"])))
    actors = tuple(LibraryActor(a["id"], a["name"], tuple(a["embedding"])) for a in index["actors"])
    return Library(tuple(clips), tuple(shots), actors)


_BUILT: dict = {}


def _cached_build() -> dict:
    if "index" not in _BUILT:
        _BUILT["index"] = build_shipped_index()
    return _BUILT["index"]


def library_for(db: sqlite_utils.Database, guild_id: int) -> tuple[Library, str]:
    """The guild's own library when it has shots, else the shipped default; with a word on which."""
    own = load_library(db, guild_id)
    if own:
        return own, "the server's footage library" if guild_id else "the footage library"
    return shipped_library(), "the shipped footage (assets/footage)"


if __name__ == "__main__":  # python -m bot.library: rebuild assets/footage/index.json after changing the clips
    (SHIPPED_DIR / "index.json").write_text(json.dumps(build_shipped_index(), indent=1) + "\n", encoding="utf-8")
