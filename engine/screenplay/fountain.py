"""Fountain I/O: ``parse_fountain`` reads Fountain (https://fountain.io/syntax); ``to_fountain`` writes it back.

Every element the spec defines is kept: title page (multi-line values, emphasis), scene headings (INT/EXT/EST/
I/E and forced ``.``) with scene numbers ``#1A#``, action (indentation, centred ``> text <``, forced ``!``,
lyrics ``~``), speeches (cues with several extensions, forced ``@Names`` in their own case, dual dialogue
``^``, parentheticals anywhere in a speech and over several lines, lyrics), transitions (``TO:`` and forced
``>``), sections ``#``, synopses ``=``, page breaks ``===`` and, when asked for, ``[[notes]]``. Boneyard
``/* */`` is dropped. Inline rules (emphasis, escapes, notes) live in ``engine.screenplay.inline``.

Where the spec leaves a choice, the reading taken is noted where it is made ("Reading:").
"""
from __future__ import annotations

import re

from engine.screenplay.document import (Action, Dialogue, Element, Note, PageBreak, Scene, Screenplay, Section,
                                        Synopsis, Transition)
from engine.screenplay.inline import cut_notes, literal, plain, protect, render, restore, runs, seen

_BONEYARD = re.compile(r"/\*.*?\*/", re.S)  # on protected text: an escaped /\* opens nothing
_HEADING = re.compile(r"^(int|ext|est|int\./ext|int/ext|i/e|e/i|i\./e)[. ]", re.I)
_SCENE_NUMBER = re.compile(r"\s*#([\w.\-]+)#\s*$")
_TITLE_KEY = re.compile(r"^([^\W_][^:]*):(.*)$")
_EXTENSIONS = re.compile(r"^(.*?)\s*((?:\([^()]*\)\s*)+)$")
_CENTERED = re.compile(r"^>(.*)<$")
_GUARDED = "~(>!@"  # a backslash before one of these at the start of a line only stops it being markup there


# ---------------------------------------------------------------- reading

def parse_fountain(text: str, notes: bool = False) -> Screenplay:
    """Parse Fountain ``text`` into a Screenplay (title from the title page, else "").

    ``notes=True`` keeps ``[[notes]]`` as Note elements (a note inside a paragraph follows that paragraph);
    by default they are dropped, as they are not part of the script."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ").lstrip("\ufeff")
    lines = _BONEYARD.sub("", protect(text)).split("\n")
    title_page, lines = split_title_page(lines)
    title = next((v for k, v in title_page.items() if k.strip().lower() == "title"), "")
    sp = Screenplay(title=" ".join(seen(protect(title)).split()), title_page=title_page)
    scene = Scene(heading="")
    for block in _blocks(lines):
        for item in read_block(block, notes):
            if isinstance(item, Scene):
                if scene.heading or scene.elements:
                    sp.scenes.append(scene)
                scene = item
            else:
                scene.elements.append(item)
    if scene.heading or scene.elements:
        sp.scenes.append(scene)
    return sp


def split_title_page(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """(title page, body lines) of protected ``lines``.

    Reading: values may be indented by any whitespace (the spec shows a tab or 3+ spaces; we write 4); the
    first paragraph is a title page only if every line is ``Key: value`` or an indented value and some key
    has a value, so a script opening on ``FADE IN:`` keeps it as its first line."""
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    page: dict[str, str] = {}
    key = None
    while i < len(lines) and lines[i].strip():
        line = lines[i]
        m = _TITLE_KEY.match(line)
        if m and not _HEADING.match(line):
            key = restore(m.group(1).strip())
            value = title_value(m.group(2).strip())
            page[key] = page[key] + "\n" + value if page.get(key) and value else (page.get(key) or value)
        elif key is not None and line[:1] == " ":
            page[key] = (page[key] + "\n" + title_value(line.strip())).strip("\n")
        else:
            return {}, lines
        i += 1
    return (page, lines[i:]) if any(page.values()) else ({}, lines)


def title_value(protected: str) -> str:
    """A title-page value as written, unless it holds a ``[[`` or ``/*`` that would read otherwise elsewhere:
    then its plain text, escaped."""
    return render(seen(protected)) if "[[" in protected or "/*" in protected else restore(protected)


def _blocks(lines: list[str]) -> list[list[str]]:
    """Paragraphs: lines between blank lines. A line of exactly two spaces is an empty line inside one.

    Reading: several blank lines in a row part paragraphs as one does (the spec leaves extra spacing to
    the app; the printed page is the same)."""
    blocks, cur = [], []
    for line in lines:
        if line.strip() == "" and line != "  ":
            if any(x.strip() for x in cur):
                blocks.append(cur)
            cur = []
        else:
            cur.append(line if line != "  " else "")  # trailing spaces kept: "CUT TO: " is no transition
    if any(x.strip() for x in cur):
        blocks.append(cur)
    return blocks


def read_block(block: list[str], notes: bool = False) -> list[Element | Scene]:
    """One paragraph of protected lines -> a new Scene (a heading) or the elements it holds."""
    kept, found = cut_notes("\n".join(block))
    after: list[Element] = [Note("\n".join(y.rstrip() for y in literal(x).split("\n"))) for x in found] \
        if notes else []
    lines = kept.split("\n")
    if not kept.strip():
        return after
    out: list[Element | Scene] = []
    while lines and _outline(lines[0]) is not None:  # sections, synopses, page breaks: one line each
        out.append(_outline(lines.pop(0)))
    if not lines:
        return out + after
    first = lines[0].strip()
    if first.startswith("!"):
        return out + _action(lines) + after
    if len(lines) == 1:
        heading = _heading(first)
        if heading is not None:
            return out + [heading] + after
        transition = _transition(lines[0].lstrip())
        if transition is not None:
            return out + [transition] + after
    cue = _cue(first) if len(lines) > 1 and not first.startswith(".") else None
    if cue is not None:
        return out + _speech(cue, lines[1:]) + after
    return out + _action(lines) + after


def _outline(line: str) -> Element | None:
    s = line.strip()
    if re.fullmatch(r"={3,}", s):
        return PageBreak()
    if s.startswith("#"):
        level = len(s) - len(s.lstrip("#"))
        return Section(seen(s[level:].strip()), level)
    if s.startswith("="):
        return Synopsis(seen(s[1:].strip()))
    return None


def _heading(line: str) -> Scene | None:
    """A scene heading (one line with a blank line after it), else None. ``...`` opens action, not a heading."""
    if line.startswith(".") and not line.startswith("..") and line[1:].strip():
        text = line[1:]
    elif _HEADING.match(line):
        text = line
    else:
        return None
    m = _SCENE_NUMBER.search(text)
    number = literal(m.group(1)) if m else None
    return Scene(seen(text[: m.start()] if m else text).strip(), [], number)


def _transition(line: str) -> Transition | None:
    """Reading: "ending in TO:" is taken literally, so ``CUT TO: `` with a trailing space is action (the spec
    keeps trailing spaces meaningful, as in its two-space blank lines)."""
    if line.startswith(">") and not _CENTERED.match(line.strip()):
        return Transition(seen(line[1:].strip()))
    text = line.strip()
    if line.endswith("TO:") and text == text.upper() and re.search(r"[^\W\d_]", text) and text[0] != "~":
        return Transition(seen(text))
    return None


def character_cue(line: str) -> tuple[str, str | None] | None:
    """(NAME, extension) when ``line`` reads as a character cue, else None (unprotected or protected text)."""
    cue = _cue(protect(line.strip()) if "\\" in line else line.strip())
    return (cue[0], cue[1]) if cue else None


def _cue(line: str) -> tuple[str, str | None, bool] | None:
    """(name, extension, dual) of a protected cue line. Reading: a name must hold a letter ("R2D2", not "23")
    and, unless forced with @, no lower case letter; extensions may be any case ("HANS (on the radio)")."""
    dual = line.endswith("^")
    name = line[:-1].rstrip() if dual else line
    forced = name.startswith("@")
    if forced:
        name = name[1:]
    elif not name or name[0] in "!>~[(.=#" or _HEADING.match(name):
        return None
    extension = None
    m = _EXTENSIONS.match(name)
    if m and m.group(1).strip():
        name = m.group(1)
        extension = seen(m.group(2).strip()[1:-1])  # as written between the outer parentheses
    name = seen(name).strip()
    if not forced and (name != name.upper() or not re.search(r"[^\W\d_]", name)):
        return None
    return (name, extension, dual) if name else None


def _speech(cue: tuple[str, str | None, bool], lines: list[str]) -> list[Element]:
    """A speech: parts split at parentheticals and at changes between sung (~) and spoken lines."""
    parts: list[tuple[list[str] | None, list[str], bool]] = []  # (parenthetical lines, lines, lyric)
    paren, body, lyric = None, [], False
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        end = _paren_end(lines, i) if line.startswith("(") else None
        if end is not None:
            if paren is not None or body:
                parts.append((paren, body, lyric))
            paren, body = [x.strip() for x in lines[i:end + 1]], []
            i = end + 1
            continue
        sung = line.startswith("~")
        if body and sung != lyric:
            parts.append((paren, body, lyric))
            paren, body = None, []
        lyric = sung
        body.append(line[1:] if sung else line)
        i += 1
    if paren is not None or body:
        parts.append((paren, body, lyric))
    name, extension, dual = cue
    out: list[Element] = []
    for k, (paren, body, sung) in enumerate(parts):
        text, markup = _text(body, strip=True)
        paren_text, paren_markup = _text(paren, strip=True) if paren is not None else (None, None)
        out.append(Dialogue(name, text, paren_text, extension, dual and k == 0, sung, k > 0, markup, paren_markup))
    return out


def _paren_end(lines: list[str], i: int) -> int | None:
    """The line where the parenthetical opened at ``lines[i]`` closes, if it closes at the end of a line.

    Reading: ``(beat) Yes.`` is spoken (the parenthesis closes mid-line); ``(looking around,`` /
    ``nervous)`` is one parenthetical over two lines."""
    depth = 0
    for j in range(i, len(lines)):
        line = lines[j].strip()
        for k, c in enumerate(line):
            depth += (c == "(") - (c == ")")
            if depth == 0:
                return j if k == len(line) - 1 else None
    return None


def _action(lines: list[str]) -> list[Element]:
    """An action paragraph; its centred and sung lines are runs of their own (joined to the one before)."""
    runs: list[tuple[tuple[bool, bool], list[str]]] = []
    for k, line in enumerate(lines):
        s = line.strip()
        if k == 0 and s.startswith("!"):
            kind, content = (False, False), line.lstrip()[1:].rstrip()
        elif _CENTERED.match(s):
            kind, content = (True, False), _CENTERED.match(s).group(1).strip()
        elif s.startswith("~"):
            kind, content = (False, True), s[1:]
        else:
            kind, content = (False, False), line.rstrip()
        if runs and runs[-1][0] == kind:
            runs[-1][1].append(content)
        else:
            runs.append((kind, [content]))
    out: list[Element] = []
    for k, ((centered, sung), body) in enumerate(runs):
        text, markup = _text(body)
        out.append(Action(text, centered, sung, k > 0, markup))
    return out


def _text(lines: list[str], strip: bool = False) -> tuple[str, str | None]:
    """(text, markup) of protected lines; markup only where it carries emphasis (escapes alone add nothing
    a reader sees: the writer escapes what needs it). ``strip``: lines of a speech, which never keep edge spaces."""
    text = "\n".join(seen(x).strip() if strip else seen(x) for x in lines)
    if not any(styles for x in lines for _, styles in runs(x)):
        return text, None
    markup = safe_markup("\n".join(_unguard(restore(x)) for x in lines), text)
    return text, (None if markup == render(text) else markup)


def safe_markup(markup: str | None, text: str) -> str | None:
    """``markup`` if it still reads as ``text`` and opens no boneyard (an unclosed ``/*`` gets its star escaped,
    as a later ``*/`` would otherwise swallow what lies between); else None (the writer escapes ``text``)."""
    if markup is None or plain(markup) != text:
        return None
    if "/*" in protect(markup):
        markup = markup.replace("/*", "/\\*")
    return markup if plain(markup) == text else None


def _unguard(line: str) -> str:
    body = line.lstrip(" ")
    if body[:1] == "\\" and body[1:2] and body[1] in _GUARDED:
        return line[: len(line) - len(body)] + body[1:]
    return line


def is_scene_heading(line: str) -> bool:
    """Does ``line`` start with INT./EXT./EST./I/E (a scene heading without the forcing dot)?"""
    return bool(_HEADING.match(line))


def escape(text: str) -> str:
    """``text`` escaped so that, anywhere inside a line of Fountain, it reads back verbatim."""
    return re.sub(r"([\\*_\[\]])", r"\\\1", text).replace("/*", "/\\*")


def to_fountain(sp: Screenplay, title_page: bool = True) -> str:
    """Write ``sp`` as Fountain that ``parse_fountain`` (and other Fountain tools) read back unchanged."""
    from engine.screenplay.fountain_out import write_fountain

    return write_fountain(sp, title_page)
