"""Writing Fountain: a Screenplay as text that ``parse_fountain`` and other Fountain tools read as the same script.

Markup is added only where plain text would read as something else: a forcing character (``!``, ``@``, ``.``,
``>``) when an element would otherwise change kind, a backslash where a line would otherwise start a lyric or
a parenthetical, escapes where text would otherwise read as emphasis, a note or boneyard. Each element's
lines are checked by reading them back with the reader's own rules before they are used.
"""
from __future__ import annotations

from engine.screenplay.document import (Action, Dialogue, Note, PageBreak, Scene, Screenplay, Section, Synopsis,
                                        Transition)
from engine.screenplay.fountain import _SCENE_NUMBER, _cue, _heading, _paren_end, is_scene_heading, \
    read_block, safe_markup, split_title_page, title_value
from engine.screenplay.inline import plain, protect, render


def write_fountain(sp: Screenplay, title_page: bool = True) -> str:
    page = _title_page(sp) if title_page else []
    blocks: list[list[str]] = []
    heads: list = []  # the element each paragraph starts with
    first = None  # the element the first paragraph holds
    for scene in sp.scenes:
        if scene.heading:
            blocks.append([_heading_line(scene)])
            heads.append(scene)
            first = first or scene
        prev = None
        for el in scene.elements:
            lines, joins = _element(el, prev)
            if joins and blocks:
                blocks[-1].extend(lines)
            elif lines:
                blocks.append(lines)
                heads.append(el)
                first = first or el
            prev = el
    for lines, el in zip(blocks, heads):  # plain action that, with what joins it, would read as something else
        if isinstance(el, Action) and not (el.centered or el.lyric) and not _reads_as_action(lines, el):
            lines[0] = "!" + lines[0]
    if not page and blocks and split_title_page([protect(x) for x in blocks[0]])[0]:
        # the first paragraph would read as a title page: force it (title keys start with a letter or digit)
        blocks[0][0] = ("@" if isinstance(first, Dialogue) else "!") + blocks[0][0]
    text = "\n\n".join("\n".join(b) for b in ([page] if page else []) + blocks)
    return text.rstrip("\n") + "\n"


def _title_page(sp: Screenplay) -> list[str]:
    """Keys as written; values as written (multi-line values stay multi-line); the title from ``sp.title``
    when the page's own no longer reads as it. No Title key is invented for an untitled script."""
    page = {k: str(v) for k, v in sp.title_page.items()}
    key = next((k for k in page if k.strip().lower() == "title"), None)
    if sp.title and (key is None or " ".join(plain(page[key]).split()) != sp.title):
        page = {key or "Title": render(sp.title), **{k: v for k, v in page.items() if k != key}}
    elif not sp.title and key is not None and plain(page[key]).strip():
        page.pop(key)
    out = []
    for k, value in page.items():
        value = title_value(protect(value))  # a value that would open a boneyard or a note is escaped
        lines = [x.strip() for x in value.split("\n") if x.strip()]
        out += [f"{k}: {lines[0]}"] if len(lines) == 1 else [f"{k}:"] + ["    " + x for x in lines]
    return out


def _heading_line(scene: Scene) -> str:
    text = render(scene.heading.replace("\n", " "))
    if _SCENE_NUMBER.search(protect(text)):  # text that ends like a scene number is not one
        at = text.rindex("#")
        text = text[:at] + "\\#" + text[at + 1:]
    number = f" #{scene.number}#" if scene.number else ""
    for line in (text, "." + text, ".\\" + text):
        got = _heading(protect(line + number))
        if got is not None and (got.heading, got.number) == (scene.heading, scene.number) \
                and (line[:1] == "." or is_scene_heading(line)):
            return line + number
    return "." + text + number


def _element(el, prev) -> tuple[list[str], bool]:
    """(lines, whether they continue the paragraph before)."""
    if isinstance(el, Dialogue):
        return _speech_part(el, prev)
    if isinstance(el, Action):
        return _action(el, prev)
    if isinstance(el, Transition):
        want = Transition(el.text.replace("\n", " ").strip())
        text = render(want.text)
        for line in (text, "> " + text, "> " + text[:-1] + "\\<"):
            if read_block([protect(line)]) == [want]:
                return [line], False
        return ["> " + text], False
    if isinstance(el, Section):
        return ["#" * max(1, el.level) + " " + render(el.text.replace("\n", " ").strip())], False
    if isinstance(el, Synopsis):
        return ["= " + render(el.text.replace("\n", " ").strip())], False
    if isinstance(el, Note):
        text = render(el.text).replace("]", "\\]")
        lines = [x.rstrip() for x in (text[:-1] + "\\\\" if text.endswith("\\") else text).split("\n")]
        lines[1:-1] = [x or "  " for x in lines[1:-1]]  # an empty line inside a note holds two spaces
        return ["[[" + "\n".join(lines) + "]]"], False
    if isinstance(el, PageBreak):
        return ["==="], False
    raise TypeError(f"not a screenplay element: {el!r}")


def _body(el) -> list[str]:
    """The element's text as Fountain lines: its own markup when that still reads as its text."""
    markup = safe_markup(el.markup, el.text)
    return (render(el.text) if markup is None else markup).split("\n")


def _speech_part(el: Dialogue, prev) -> tuple[list[str], bool]:
    joins = el.joined and isinstance(prev, Dialogue) and (prev.character, prev.extension) == \
        (el.character, el.extension)
    lines = [] if joins else [_cue_line(el)]
    if el.parenthetical:
        paren = el.parenthetical.strip()
        if safe_markup(el.parenthetical_markup, el.parenthetical) is not None:
            paren = safe_markup(el.parenthetical_markup, el.parenthetical)
        elif not (paren.startswith("(") and paren.endswith(")")):
            paren = render(f"({paren})")
        else:
            paren = render(paren)
        lines += [x.strip() for x in paren.split("\n")]
    body = _body(el) if el.text or not el.parenthetical else []
    for k, line in enumerate(body):
        line = line.strip()
        if el.lyric:
            lines.append("~" + line)
        elif line.startswith("~") or (line.startswith("(") and _paren_end([protect(x) for x in body], k) is not None):
            lines.append("\\" + line)
        else:
            lines.append(line or "  ")
    return lines, joins


def _cue_line(el: Dialogue) -> str:
    ext = f" ({el.extension})" if el.extension is not None else ""
    dual = " ^" if el.dual else ""
    want = (el.character, el.extension, el.dual)
    natural = el.character + ext + dual
    if render(natural) == natural and _cue(protect(natural)) == want:
        return natural
    name = render(el.character)
    ext = f" ({render(el.extension)})" if el.extension is not None else ""
    return "@" + (name[:-1] + "\\^" if name.endswith("^") else name) + ext + dual


def _action(el: Action, prev) -> tuple[list[str], bool]:
    joins = el.joined and isinstance(prev, Action) and (prev.centered, prev.lyric) != (el.centered, el.lyric)
    body = _body(el)
    if el.centered:
        return ["> " + x.strip() + " <" for x in body], joins
    if el.lyric:
        return ["~" + x for x in body], joins
    lines = []
    for k, line in enumerate(body):
        s = line.lstrip(" ")
        if s.startswith("~") or (s.startswith(">") and s.rstrip().endswith("<")):
            line = line[: len(line) - len(s)] + "\\" + s
        lines.append(line if line.strip() else "  ")
    return lines, joins


def _reads_as_action(lines: list[str], el: Action) -> bool:
    got = read_block([protect(x) for x in lines])
    return bool(got) and isinstance(got[0], Action) and (got[0].text, got[0].centered, got[0].lyric) == \
        (el.text, False, False)
