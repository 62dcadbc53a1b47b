"""The stage contract: each stage writes under ``workdir/<name>/`` and a done-marker JSON last.

A stage whose marker is present (and whose listed files still exist) is skipped, which is what
lets a job killed at any moment resume without redoing finished work.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import types
import typing
from pathlib import Path

log = logging.getLogger(__name__)

MARKER = "done.json"


class Stage:
    name = "stage"

    def dir(self, workdir: Path) -> Path:
        return Path(workdir) / self.name

    def marker(self, workdir: Path) -> Path:
        return self.dir(workdir) / MARKER

    def is_done(self, workdir: Path) -> bool:
        data = self.load(workdir)
        if data is None:
            return False
        missing = [f for f in data.get("files", []) if not Path(f).exists()]
        if missing:
            log.warning("%s: marker present but %d output(s) missing; redoing the stage", self.name, len(missing))
            return False
        return True

    def load(self, workdir: Path) -> dict | None:
        """The marker's contents, or None when the stage has not finished."""
        path = self.marker(workdir)
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def mark_done(self, workdir: Path, outputs: dict, files: list[Path] = ()) -> dict:
        """Write the marker atomically (tmp + os.replace), after every output is in place."""
        data = {"stage": self.name, "outputs": outputs, "files": [str(f) for f in files]}
        write_json_atomic(self.marker(workdir), data)
        return data


def write_json_atomic(path: Path, data) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1, default=str)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def to_jsonable(value):
    """Dataclasses, paths, tuples and dicts as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    return value


def from_jsonable(cls, data):
    """The inverse of :func:`to_jsonable` for a dataclass type ``cls`` (following its type hints)."""
    return _convert(cls, data)


def _convert(tp, data):
    if data is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _convert(args[0], data) if len(args) == 1 else data
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        kwargs = {f.name: _convert(hints.get(f.name, typing.Any), data[f.name])
                  for f in dataclasses.fields(tp) if f.init and f.name in data}
        return tp(**kwargs)
    if tp is Path:
        return Path(data)
    if origin in (list, tuple):
        args = typing.get_args(tp)
        item = args[0] if args else typing.Any
        items = [_convert(item, v) for v in data]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        _, vt = typing.get_args(tp) or (typing.Any, typing.Any)
        return {k: _convert(vt, v) for k, v in data.items()}
    return data
