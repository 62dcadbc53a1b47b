"""Fountain I/O: ``parse_fountain`` reads any Fountain text; ``to_fountain`` writes one back.

Spec: https://fountain.io/syntax. Supported: title page (multi-line values), scene headings (INT/EXT/EST/I/E and
forced ``.``), scene numbers ``#1#``, character cues (forced ``@``, extensions ``(V.O.)``, dual dialogue ``^``),
parentheticals, transitions (``TO:`` and forced ``>``), centered ``> text <``, forced action ``!``, lyrics ``~``,
sections ``#`` and synopses ``=`` (skipped), page breaks ``===``, notes ``[[ ]]``, boneyard ``/* */``,
emphasis (``*``, ``**``, ``***``, ``_``) and backslash escapes.
"""
from __future__ import annotations

import re

from engine.screenplay.document import Action, Dialogue, Scene, Screenplay, Transition

_BONEYARD = re.compile(r"(?<!\\)/\*.*?(?<!\\)\*/", re.S)
_NOTE = re.compile(r"(?<!\\)\[\[.*?(?<!\\)\]\]", re.S)
_HEADING = re.compile(r"^(int|ext|est|int\./ext|int/ext|i/e|e/i)[. ]", re.I)
_SCENE_NUMBER = re.compile(r"\s*(?<!\\)#[\w.\-]+#\s*$")
_TITLE_KEY = re.compile(r"^([A-Za-z][A-Za-z ]*):(.*)$")
_EXTENSION = re.compile(r"\s*\(([^()]*)\)\s*$")
_EMPHASIS = [re.compile(r"(?<!\\)\*\*\*(.+?)(?<!\\)\*\*\*"), re.compile(r"(?<!\\)\*\*(.+?)(?<!\\)\*\*"),
             re.compile(r"(?<!\\)\*(.+?)(?<!\\)\*"), re.compile(r"(?<!\\)_(.+?)(?<!\\)_")]
_ESCAPE = re.compile(r"\\([\\*_\[\](){}<>!@#~.=^/:+\-])")
_SPECIAL_START = set("!@#~=.>[(^")


# ---------------------------------------------------------------- parsing

def parse_fountain(text: str) -> Screenplay:
    """Parse Fountain ``text`` into a Screenplay (title from the title page, else "")."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ").lstrip("\ufeff")
    text = _NOTE.sub("", _BONEYARD.sub("", text))
    lines = text.split("\n")
    title_page, lines = _split_title_page(lines)
    title_page = {k: "\n".join(_inline(x) for x in v.split("\n")) for k, v in title_page.items()}
    sp = Screenplay(title=title_page.get("Title", "").replace("\n", " ").strip(), title_page=title_page)
    scene = Scene(heading="")
    for block in _blocks(lines):
        scene = _add_block(sp, scene, block)
    if scene.heading or scene.elements:
        sp.scenes.append(scene)
    return sp


def _split_title_page(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines) or not _TITLE_KEY.match(lines[i]) or _HEADING.match(lines[i]):
        return {}, lines
    page: dict[str, str] = {}
    key = None
    while i < len(lines) and lines[i].strip():
        line = lines[i]
        m = _TITLE_KEY.match(line)
        if m and not line.startswith((" ", "\t")):
            key = m.group(1).strip().title()
            page[key] = m.group(2).strip()
        elif key is not None:
            page[key] = (page[key] + "\n" + line.strip()).strip()
        else:
            return {}, lines
        i += 1
    return page, lines[i:]


def _blocks(lines: list[str]) -> list[list[str]]:
    """Group lines into blank-separated blocks ("  " keeps a blank line inside dialogue)."""
    blocks, cur = [], []
    for line in lines:
        if line.strip() == "" and line != "  ":
            if cur:
                blocks.append(cur)
                cur = []
        else:
            cur.append(line.rstrip() if line != "  " else "")
    if cur:
        blocks.append(cur)
    return blocks


def _add_block(sp: Screenplay, scene: Scene, block: list[str]) -> Scene:
    first = block[0].strip()
    if first.startswith(("#", "=")) and not first.startswith("=="):  # section / synopsis
        return scene if len(block) == 1 else _add_block(sp, scene, block[1:])
    if re.fullmatch(r"={3,}", first):  # page break
        return scene if len(block) == 1 else _add_block(sp, scene, block[1:])
    if first.startswith("!"):  # forced action
        scene.elements.append(Action(_action_text(block)))
        return scene
    heading = _as_heading(first)
    if heading is not None:
        if scene.heading or scene.elements:
            sp.scenes.append(scene)
        scene = Scene(heading=heading)
        if len(block) > 1:
            scene.elements.append(Action(_inline("\n".join(x.strip() for x in block[1:]))))
        return scene
    if len(block) == 1 and _is_transition(first):
        scene.elements.append(Transition(_inline(first.lstrip(">").strip())))
        return scene
    cue = _as_cue(first) if len(block) > 1 else None
    if cue is not None:
        scene.elements.extend(_dialogue(cue, block[1:]))
        return scene
    scene.elements.append(Action(_action_text(block)))
    return scene


def _as_heading(line: str) -> str | None:
    if line.startswith(".") and not line.startswith(".."):
        return _inline(_SCENE_NUMBER.sub("", line[1:]).strip())
    if _HEADING.match(line):
        return _inline(_SCENE_NUMBER.sub("", line).strip())
    return None


def _is_transition(line: str) -> bool:
    if line.startswith(">") and not line.rstrip().endswith("<"):
        return True
    return line.isupper() and line.endswith("TO:")


def _as_cue(line: str) -> tuple[str, str | None] | None:
    """Return (NAME, extension) when ``line`` is a character cue."""
    if line.startswith("@"):
        name = line[1:]
    elif line.startswith(("!", ">", "~", "[", "(")) or not re.search(r"[A-Z]", line):
        return None
    else:
        name = line
        base = _EXTENSION.sub("", name.rstrip("^").strip())
        if base != base.upper() or not re.search(r"[A-Z]", base):
            return None
    name = name.rstrip().rstrip("^").strip()
    extension = None
    m = _EXTENSION.search(name)
    if m:
        extension, name = m.group(1).strip(), name[: m.start()].strip()
    name = _inline(name)
    return (name.upper(), extension) if name else None


def _dialogue(cue: tuple[str, str | None], lines: list[str]) -> list[Dialogue]:
    """A speech; a parenthetical in the middle starts a new Dialogue for the same speaker."""
    out: list[Dialogue] = []
    paren, text = None, []
    for raw in lines:
        line = raw.strip()
        if line.startswith("(") and line.endswith(")"):
            if text:
                out.append(Dialogue(cue[0], _inline("\n".join(text)), paren, cue[1]))
                text = []
            paren = _inline(line)
            continue
        text.append(line[1:].strip() if line.startswith("~") else line)
    if text or not out:
        out.append(Dialogue(cue[0], _inline("\n".join(text)), paren, cue[1]))
    return out


def _action_text(block: list[str]) -> str:
    lines = []
    for raw in block:
        line = raw.strip()
        if line.startswith("!") or line.startswith("~"):
            line = line[1:]
        elif line.startswith(">") and line.endswith("<"):
            line = line[1:-1].strip()
        lines.append(line)
    return _inline("\n".join(lines))


def _inline(text: str) -> str:
    """Drop emphasis markers, then backslash escapes."""
    for pattern in _EMPHASIS:
        text = pattern.sub(r"\1", text)
    return _ESCAPE.sub(r"\1", text).strip()


def is_scene_heading(line: str) -> bool:
    """Does ``line`` start with INT./EXT./EST./I/E (a scene heading without the forcing dot)?"""
    return bool(_HEADING.match(line))


def character_cue(line: str) -> tuple[str, str | None] | None:
    """(NAME, extension) when ``line`` reads as a character cue, else None."""
    return _as_cue(line.strip())


# ---------------------------------------------------------------- writing

def to_fountain(sp: Screenplay, title_page: bool = True) -> str:
    """Write ``sp`` as Fountain that ``parse_fountain`` (and other Fountain tools) read back unchanged."""
    out: list[str] = []
    if title_page:
        page = dict(sp.title_page)
        if sp.title:
            page["Title"] = sp.title
        if page:
            page = {"Title": page.pop("Title", ""), **page}
            for key, value in page.items():
                value_lines = [escape(x) for x in str(value).split("\n")] or [""]
                if len(value_lines) == 1:
                    out.append(f"{key}: {value_lines[0]}")
                else:
                    out.append(f"{key}:")
                    out.extend("    " + x for x in value_lines)
            out.append("")
    for scene in sp.scenes:
        if scene.heading:
            out += [_heading(scene.heading), ""]
        prev = None
        for el in scene.elements:
            out += _element(el, prev) + [""]
            prev = el
    return "\n".join(out).rstrip("\n") + "\n"


def escape(text: str) -> str:
    """Escape Fountain markup inside ``text`` so it reads back verbatim."""
    text = text.replace("\\", "\\\\")
    return re.sub(r"([*_\[\]])", r"\\\1", text)


def _heading(heading: str) -> str:
    text = escape(heading)
    if _HEADING.match(heading) and not _SCENE_NUMBER.search(heading):
        return text
    return "." + (("\\" + text) if text.startswith(".") else text)


def _element(el, prev) -> list[str]:
    if isinstance(el, Dialogue):
        name = el.character + (f" ({el.extension})" if el.extension else "")
        cue_ok = _as_cue(name) == (el.character, el.extension) and escape(name) == name
        lines = [name if cue_ok else "@" + escape(name)]
        if el.parenthetical:
            paren = el.parenthetical.strip()
            paren = paren if paren.startswith("(") and paren.endswith(")") else f"({paren})"
            lines.append(escape(" ".join(paren.split())))
        for line in (el.text.split("\n") if el.text else [""]):
            line = escape(line.strip())
            lines.append("\\" + line if line.startswith(("(", "~")) else (line or "  "))
        return lines
    if isinstance(el, Transition):
        text = escape(el.text)
        return [text if _is_transition(el.text) and not el.text.startswith(">") else "> " + text]
    lines = [escape(x.strip()) for x in el.text.split("\n") if x.strip()] or [""]
    lines[1:] = ["\\" + x if x[:1] in "!~>" else x for x in lines[1:]]
    if _needs_force(lines):
        lines[0] = "!" + lines[0]
    return lines


def _needs_force(lines: list[str]) -> bool:
    """Would this action block read back as something else?"""
    first = lines[0]
    if first[:1] in _SPECIAL_START or first[:1] == "\\" or _HEADING.match(first):
        return True
    if len(lines) == 1 and _is_transition(first):
        return True
    return len(lines) > 1 and _as_cue(first) is not None
