"""Final Draft XML (.fdx): ``to_fdx`` writes a Screenplay as Final Draft opens it; ``parse_fdx`` reads one back.

    <FinalDraft DocumentType="Script" Template="No" Version="5">
      <Content>
        <Paragraph Type="Scene Heading" Number="1"><Text>INT. LAB - NIGHT</Text></Paragraph>
        <Paragraph Type="Character"><Text>ADA (V.O.)</Text></Paragraph> ... Parenthetical, Dialogue, Transition
        <Paragraph><DualDialogue> both speeches </DualDialogue></Paragraph>
      </Content>
      <TitlePage><Content><Paragraph Type="Title" ...>...</Paragraph></Content></TitlePage>
    </FinalDraft>

Emphasis becomes ``<Text Style="Bold+Underline">`` runs, centred action ``Alignment="Center"``, a page break
``StartsNewPage="Yes"`` on the paragraph after it, lyrics Final Draft's "Lyrics" paragraphs. Sections,
synopses and notes do not print and are not written. Title-page paragraphs carry their Fountain key in a
``FountainKey`` attribute (Final Draft ignores attributes it does not know), so the page reads back whole.
"""
from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

from engine.errors import EngineError
from engine.screenplay.document import Action, Dialogue, PageBreak, Scene, Screenplay, Transition
from engine.screenplay.inline import emphasize, plain, protect, render, runs

_ORDER = ("Bold", "Italic", "Underline")
_CENTRED_KEYS = {"title", "credit", "author", "authors", "source"}


def to_fdx(sp: Screenplay) -> str:
    """The screenplay as Final Draft XML text."""
    root = ET.Element("FinalDraft", DocumentType="Script", Template="No", Version="5")
    content = ET.SubElement(root, "Content")
    new_page = False
    speech = _Speech(content)
    for scene in sp.scenes:
        if scene.heading:
            speech.end()
            p = _paragraph(content, "Scene Heading", scene.heading, None, new_page)
            new_page = False
            if scene.number:
                p.set("Number", scene.number)
        for el in scene.elements:
            if isinstance(el, PageBreak):
                new_page = True
                continue
            if isinstance(el, Dialogue):
                speech.add(el, new_page)
                new_page = False
                continue
            if isinstance(el, Action):
                p = _paragraph(content, "Action", el.text, el.markup, new_page)
                if el.centered:
                    p.set("Alignment", "Center")
            elif isinstance(el, Transition):
                _paragraph(content, "Transition", el.text, None, new_page)
            else:
                continue  # sections, synopses, notes: never printed
            speech.end()
            new_page = False
    _title_page(root, sp)
    ET.indent(root, "  ")
    return '<?xml version="1.0" encoding="UTF-8" standalone="no" ?>\n' + ET.tostring(root, "unicode") + "\n"


def write_fdx(sp: Screenplay, path: Path) -> Path:
    """Write ``sp`` to ``path`` as .fdx (atomic: no half-written file on failure)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(to_fdx(sp), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise EngineError(f"could not write {path.name}: {e.strerror or e}") from None
    return path


class _Speech:
    """The speech being written: its cue, its paragraphs and where they go (Content, or a DualDialogue)."""

    def __init__(self, content: ET.Element):
        self.content, self.parent, self.cue, self.paragraphs = content, content, None, []

    def end(self) -> None:
        self.parent, self.cue, self.paragraphs = self.content, None, []

    def add(self, el: Dialogue, new_page: bool) -> None:
        cue = (el.character, el.extension)
        if not (el.joined and self.cue == cue):
            before = self.paragraphs
            self.end()
            self.cue = cue
            name = el.character + (f" ({el.extension})" if el.extension is not None else "")
            self.paragraphs.append(_paragraph(self.parent, "Character", name, None, new_page))
            new_page = False
            if el.dual and before:  # this speech and the one before, side by side
                box = ET.Element("Paragraph")
                dual = ET.SubElement(box, "DualDialogue")
                self.content.insert(list(self.content).index(before[0]), box)
                for q in before + self.paragraphs:
                    self.content.remove(q)
                    dual.append(q)
                self.parent = dual
        if el.parenthetical:
            self.paragraphs.append(_paragraph(self.parent, "Parenthetical", el.parenthetical,
                                              el.parenthetical_markup, new_page))
            new_page = False
        if el.text or not el.parenthetical:
            kind = "Lyrics" if el.lyric else "Dialogue"
            self.paragraphs.append(_paragraph(self.parent, kind, el.text, el.markup, new_page))


def _paragraph(parent: ET.Element, kind: str, text: str, markup: str | None, new_page: bool) -> ET.Element:
    p = ET.SubElement(parent, "Paragraph", Type=kind)
    if new_page:
        p.set("StartsNewPage", "Yes")
    source = markup if markup is not None and plain(markup) == text else render(text)
    lines = source.split("\n")
    for k, line in enumerate(lines):
        line_runs = [r for r in runs(protect(line)) if r[0]] or [("", frozenset())]
        for j, (chunk, styles) in enumerate(line_runs):
            t = ET.SubElement(p, "Text")
            t.text = chunk + ("\n" if j == len(line_runs) - 1 and k < len(lines) - 1 else "")
            if styles:
                t.set("Style", "+".join(s for s in _ORDER if s in styles))
    return p


def _title_page(root: ET.Element, sp: Screenplay) -> None:
    page = dict(sp.title_page)
    if sp.title and not any(k.strip().lower() == "title" for k in page):
        page = {"Title": render(sp.title), **page}
    if not page:
        return
    content = ET.SubElement(ET.SubElement(root, "TitlePage"), "Content")
    for key, value in page.items():
        centred = key.strip().lower() in _CENTRED_KEYS
        p = _paragraph(content, "Title" if key.strip().lower() == "title" else "General", plain(value), value, False)
        p.set("Alignment", "Center" if centred else "Left")
        p.set("FountainKey", key)


# ---------------------------------------------------------------- reading

def parse_fdx(text: str) -> Screenplay:
    """A Final Draft XML document as a Screenplay; EngineError when it is not one."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        raise EngineError(f"not a Final Draft file: {e}") from None
    if root.tag != "FinalDraft" or root.find("Content") is None:
        raise EngineError("not a Final Draft file: no <FinalDraft><Content>")
    page = {}
    for p in root.iterfind("TitlePage/Content/Paragraph"):
        key = p.get("FountainKey") or ("Title" if p.get("Type") == "Title" else f"Line {len(page) + 1}")
        text, markup = _markup(p)
        page[key] = markup if markup is not None else render(text)
    title = next((v for k, v in page.items() if k.strip().lower() == "title"), "")
    sp = Screenplay(" ".join(plain(title).split()), page)
    scene = Scene("")
    reader = _Speeches()
    for p, dual in _flat(root.find("Content")):
        kind = p.get("Type", "Action")
        if p.get("StartsNewPage") == "Yes":
            reader.close(scene)
            scene.elements.append(PageBreak())
        text, markup = _markup(p)
        if kind in ("Character", "Parenthetical", "Dialogue", "Lyrics"):
            reader.add(scene, kind, text, markup, dual)
            continue
        reader.close(scene)
        if kind == "Scene Heading":
            if scene.heading or scene.elements:
                sp.scenes.append(scene)
            scene = Scene(text.replace("\n", " ").strip(), [], p.get("Number") or None)
        elif kind == "Transition":
            scene.elements.append(Transition(text))
        else:  # Action, General, Shot and anything newer: printed as action
            scene.elements.append(Action(text, p.get("Alignment") == "Center", markup=markup))
    reader.close(scene)
    if scene.heading or scene.elements:
        sp.scenes.append(scene)
    return sp


def _flat(content: ET.Element):
    """(paragraph, is the second cue of a dual dialogue) in reading order, dual dialogue unwrapped."""
    for p in content.iterfind("Paragraph"):
        box = p.find("DualDialogue")
        if box is None:
            yield p, False
            continue
        cues = 0
        for q in box.iterfind("Paragraph"):
            cues += q.get("Type") == "Character"
            yield q, cues == 2 and q.get("Type") == "Character"


def _markup(p: ET.Element) -> tuple[str, str | None]:
    """(text, markup) of a paragraph's <Text> runs; markup None when it is the plain rendering."""
    lines: list[list[tuple[str, frozenset]]] = [[]]
    for t in p.iterfind("Text"):
        styles = frozenset(s for s in (t.get("Style") or "").split("+") if s in _ORDER)
        parts = (t.text or "").split("\n")
        for k, part in enumerate(parts):
            if k:
                lines.append([])
            if part:
                lines[-1].append((part, styles))
    text = "\n".join("".join(c for c, _ in line) for line in lines)
    if not any(styles for line in lines for _, styles in line):
        return text, None
    markup = "\n".join(emphasize(line) for line in lines)
    return text, (None if markup == render(text) else markup)


class _Speeches:
    """Character / Parenthetical / Dialogue paragraphs -> Dialogue parts (a parenthetical opens a part)."""

    def __init__(self):
        self.cue: tuple[str, str | None, bool] | None = None
        self.paren: str | None = None
        self.paren_markup: str | None = None
        self.parts = 0

    def add(self, scene: Scene, kind: str, text: str, markup: str | None, dual: bool) -> None:
        from engine.screenplay.fountain import _cue

        if kind == "Character":
            self.close(scene)
            self.cue = _cue(protect("@" + render(text))) or ("", None, False)
            self.cue = (self.cue[0], self.cue[1], dual)
            return
        if self.cue is None:
            self.cue = ("", None, False)
        if kind == "Parenthetical":
            if self.paren is not None:
                self._emit(scene, "", None, False)
            self.paren, self.paren_markup = text, markup
            return
        self._emit(scene, text, markup, kind == "Lyrics")

    def _emit(self, scene: Scene, text: str, markup: str | None, lyric: bool) -> None:
        name, ext, dual = self.cue
        scene.elements.append(Dialogue(name, text, self.paren, ext, dual and not self.parts, lyric,
                                       self.parts > 0, markup, self.paren_markup))
        self.paren, self.paren_markup, self.parts = None, None, self.parts + 1

    def close(self, scene: Scene) -> None:
        if self.paren is not None:
            self._emit(scene, "", None, False)
        self.cue, self.paren, self.paren_markup, self.parts = None, None, None, 0
