"""Fountain: the parser reads any Fountain; our output round-trips through it and through screenplain."""
from __future__ import annotations

import io

import pytest

from engine.brief import Brief
from engine.screenplay.document import Action, Dialogue, PageBreak, Scene, Screenplay, Section, Synopsis, Transition
from engine.screenplay.fountain import parse_fountain, to_fountain
from engine.screenplay.writer import WriteOptions, write_takes

SAMPLE = """Title:
    _**BRICK & STEEL**_
    _**FULL RETIRED**_
Credit: Written by
Author: Stu Maschwitz
Draft date: 1/20/2012

/* A boneyard
spanning lines. */

# ACT ONE

= Brick gets a visitor.

EXT. BRICK'S PATIO - DAY #1#

A gorgeous day.  The sun is shining.  But BRICK BRADDOCK, retired police detective, is sitting quietly, contemplating -- something.[[A note.]]

The SCREEN DOOR slides open and DICK STEEL, his former partner and fellow retiree, emerges with two cold beers.

STEEL
Beer's ready!

BRICK
Are they cold?

STEEL (O.S.)
(sheepish)
Does a bear crap in the woods?
(beat)
*Yes*, they are.

BRICK ^
Woo!

@McCLANE
Yippee ki-yay.

> Centered text <

!SHOUTED ACTION THAT IS NOT A CUE

.FLASHBACK

~Somewhere over the rainbow

CUT TO:

> FADE TO BLACK.

===

int. kitchen - night

Rain. A kettle \\*whistles\\*.
"""


def test_parser_reads_the_fountain_features():
    sp = parse_fountain(SAMPLE)
    assert sp.title == "BRICK & STEEL FULL RETIRED"
    assert sp.title_page["Title"] == "_**BRICK & STEEL**_\n_**FULL RETIRED**_"  # as written: emphasis kept
    assert sp.title_page["Author"] == "Stu Maschwitz" and sp.title_page["Draft date"] == "1/20/2012"
    assert [s.heading for s in sp.scenes] == ["", "EXT. BRICK'S PATIO - DAY", "FLASHBACK", "int. kitchen - night"]
    assert sp.scenes[0].elements == [Section("ACT ONE", 1), Synopsis("Brick gets a visitor.")]
    assert sp.scenes[1].number == "1"
    patio = sp.scenes[1].elements
    assert patio[0] == Action("A gorgeous day.  The sun is shining.  But BRICK BRADDOCK, retired police "
                              "detective, is sitting quietly, contemplating -- something.")
    lines = [d for _, d in sp.dialogue()]
    assert [d.character for d in lines] == ["STEEL", "BRICK", "STEEL", "STEEL", "BRICK", "McCLANE"]
    assert lines[2] == Dialogue("STEEL", "Does a bear crap in the woods?", "(sheepish)", "O.S.")
    assert lines[3] == Dialogue("STEEL", "Yes, they are.", "(beat)", "O.S.", joined=True, markup="*Yes*, they are.")
    assert lines[4].dual and not lines[3].dual
    assert Action("Centered text", centered=True) in patio and Action("SHOUTED ACTION THAT IS NOT A CUE") in patio
    flashback = sp.scenes[2].elements
    assert flashback == [Action("Somewhere over the rainbow", lyric=True), Transition("CUT TO:"),
                         Transition("FADE TO BLACK."), PageBreak()]
    assert sp.scenes[3].elements == [Action("Rain. A kettle *whistles*.")]
    assert "boneyard" not in str(sp) and "A note" not in str(sp)
    assert parse_fountain(to_fountain(sp)) == sp


NASTY = ["(whispers) Où est *le* [[note]] /* café */ — 北京? 🚀", "INT. THIS IS A LINE - NOT A HEADING",
         "CUT TO:", "@everyone ~ _hi_ \\o/", "> not a transition <", "**bold** and __under__", "# not a section",
         "!bang", "= not a synopsis", ".not a heading", "BANG"]


def test_nasty_text_round_trips_verbatim():
    scenes = [Scene("INT. LAB - NIGHT", []), Scene("A PLACE WITHOUT INT", [])]
    for i, text in enumerate(NASTY):
        scenes[i % 2].elements += [Dialogue("ADA", text), Action(text), Dialogue("BOB", "Hm.", "(beat)", "V.O.")]
    scenes[1].elements.append(Transition("FADE OUT."))
    sp = Screenplay("Ça va **2** @everyone", {"Title": "Ça va \\*\\*2\\*\\* @everyone", "Author": "Benjamin"}, scenes)
    back = parse_fountain(to_fountain(sp))
    assert back == sp
    assert to_fountain(back) == to_fountain(sp)


def test_our_takes_round_trip_and_screenplain_reads_them(tiny_model):
    from screenplain.parsers.fountain import parse
    from screenplain.types import Dialog, Slug

    brief = Brief("Round Trip", lines=("I was never meant to keep the light.", "(aside) [[no]] *yes*"),
                  props=("a brass telescope",), science="entropy", pages=1.5)
    for take in write_takes(brief, WriteOptions(takes=4, seed=7, model=tiny_model, device="cpu")):
        assert parse_fountain(to_fountain(take.screenplay)) == take.screenplay
        assert to_fountain(take.screenplay) == take.fountain
        theirs = list(parse(io.StringIO(take.fountain)).paragraphs)
        ours = [d for _, d in take.screenplay.dialogue()]
        assert sum(isinstance(p, Dialog) for p in theirs) == len(ours)
        assert sum(isinstance(p, Slug) for p in theirs) == len(take.screenplay.scenes)


@pytest.mark.parametrize("text", ["", "\n\n", "just one line", "Title: Only a title page\n"])
def test_odd_inputs_parse(text):
    sp = parse_fountain(text)
    assert isinstance(sp, Screenplay)
    assert parse_fountain(to_fountain(sp)) == sp
