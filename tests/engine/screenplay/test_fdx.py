"""Final Draft XML: well-formed, shaped as Final Draft expects, and read back as the same screenplay."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from engine.errors import EngineError
from engine.screenplay.document import PRINTED, PageBreak, Screenplay
from engine.screenplay.fdx import parse_fdx, to_fdx, write_fdx
from engine.screenplay.fountain import parse_fountain
from engine.screenplay.inline import protect, render, runs

SAMPLE = """Title:
    _**BRICK & STEEL**_
    _**FULL RETIRED**_
Credit: Written by
Author: Stu Maschwitz
Draft date: 1/20/2012

# ACT ONE

EXT. BRICK'S PATIO - DAY #1A#

A gorgeous day.  The sun is *shining*.
    Indented.

STEEL (O.S.) (CONT'D)
(sheepish)
Does a bear crap in the woods?
(beat)
**Yes**, they are.
~La la la

BRICK ^
Woo!

@McCLANE
Yippee ki-yay.

> THE END <

===

CUT TO:
"""


def printed(sp: Screenplay) -> tuple:
    """What a Final Draft user sees: printed elements and page breaks, emphasis as styled runs."""
    def el(e):
        if not hasattr(e, "markup"):
            return e
        source = e.markup if e.markup is not None else render(e.text)
        styled = tuple(tuple(r for r in runs(protect(line)) if r[0]) for line in source.split("\n"))
        return type(e).__name__, styled, tuple(getattr(e, k) for k in e.__dataclass_fields__ if k != "markup")
    scenes = [(s.heading, s.number, [el(e) for e in s.elements if isinstance(e, (*PRINTED, PageBreak))])
              for s in sp.scenes]
    return sp.title, sp.title_page, [s for s in scenes if s[0] or s[2]]  # a prologue of sections prints nothing


def test_fdx_is_well_formed_final_draft():
    root = ET.fromstring(to_fdx(parse_fountain(SAMPLE)))
    assert root.tag == "FinalDraft" and root.get("DocumentType") == "Script"
    paragraphs = root.findall("Content/Paragraph")
    kinds = [p.get("Type") for p in paragraphs]
    assert kinds[:4] == ["Scene Heading", "Action", None, "Character"]  # None: the dual-dialogue box
    assert paragraphs[0].get("Number") == "1A"
    dual = paragraphs[2].find("DualDialogue")
    assert [p.get("Type") for p in dual] == ["Character", "Parenthetical", "Dialogue", "Parenthetical", "Dialogue",
                                             "Lyrics", "Character", "Dialogue"]
    assert "".join(t.text for t in dual[0].iter("Text")) == "STEEL (O.S.) (CONT'D)"
    assert [(t.text, t.get("Style")) for t in dual[4].iter("Text")] == [("Yes", "Bold"), (", they are.", None)]
    centred = paragraphs[-2]
    assert centred.get("Alignment") == "Center" and centred.find("Text").text == "THE END"
    assert paragraphs[-1].get("Type") == "Transition" and paragraphs[-1].get("StartsNewPage") == "Yes"
    title = root.find("TitlePage/Content/Paragraph")
    assert title.get("Alignment") == "Center" and title.find("Text").get("Style") == "Bold+Underline"
    assert "ACT ONE" not in to_fdx(parse_fountain(SAMPLE))  # sections do not print


def test_fdx_reads_back_as_the_same_screenplay():
    sp = parse_fountain(SAMPLE)
    assert printed(parse_fdx(to_fdx(sp))) == printed(sp)


def test_corpus_plays_survive_fdx(shared_data):
    files = sorted((shared_data / "corpus" / "plays_fountain").glob("*.fountain"))
    if not files:
        pytest.skip("no Fountain plays in the shared corpus")
    for path in files:
        sp = parse_fountain(path.read_text(encoding="utf-8"))
        assert printed(parse_fdx(to_fdx(sp))) == printed(sp), path.name


def test_write_fdx_is_atomic_and_bad_files_are_one_clear_error(tmp_path):
    out = write_fdx(parse_fountain(SAMPLE), tmp_path / "take-1.fdx")
    assert out.read_text(encoding="utf-8").startswith("<?xml") and not list(tmp_path.glob("*.tmp"))
    with pytest.raises(EngineError, match="could not write"):
        write_fdx(parse_fountain(SAMPLE), tmp_path / "missing" / "take-1.fdx")
    assert not list(tmp_path.rglob("*.tmp"))
    for bad in ("", "<html/>", "<FinalDraft><Content>"):
        with pytest.raises(EngineError, match="not a Final Draft file"):
            parse_fdx(bad)
