"""Round trips: the shared corpus's Fountain plays and the writer's own takes read, write and read back as the
same screenplay, and another Fountain reader (screenplain, which typesets our PDFs) reads our output as it
reads the original, item by item."""
from __future__ import annotations

import io

import pytest

from engine.brief import Brief
from engine.screenplay.fountain import parse_fountain, to_fountain
from engine.screenplay.writer import WriteOptions, write_takes


def plays(shared_data):
    folder = shared_data / "corpus" / "plays_fountain"
    files = sorted(folder.glob("*.fountain"))
    if not files:
        pytest.skip(f"no Fountain plays in {folder}")
    return files


def peer_items(text: str) -> list:
    """What screenplain sees: each heading, speech, action and transition, with its emphasis."""
    from screenplain.parsers.fountain import parse

    out = []
    for p in parse(io.StringIO(text)).paragraphs:
        kind = type(p).__name__
        if kind == "Dialog":
            out.append((kind, p.character.to_html(), tuple((a, b.to_html()) for a, b in p.blocks)))
        elif kind == "DualDialog":
            out.append((kind, peer_items_of(p.left), peer_items_of(p.right)))
        elif hasattr(p, "lines"):
            out.append((kind, tuple(line.to_html() for line in p.lines), getattr(p, "scene_number", None)))
        else:
            out.append((kind,))
    return out


def peer_items_of(dialog) -> tuple:
    return dialog.character.to_html(), tuple((a, b.to_html()) for a, b in dialog.blocks)


def test_corpus_plays_round_trip_exactly(shared_data):
    for path in plays(shared_data):
        source = path.read_text(encoding="utf-8")
        sp = parse_fountain(source)
        written = to_fountain(sp)
        assert parse_fountain(written) == sp, path.name
        assert to_fountain(parse_fountain(written)) == written, path.name
        assert len(list(sp.dialogue())) > 100, path.name  # a real play was read, not an empty one


def test_another_reader_reads_our_output_of_the_plays_as_the_original(shared_data):
    for path in plays(shared_data):
        source = path.read_text(encoding="utf-8")
        ours = peer_items(to_fountain(parse_fountain(source)))
        theirs = peer_items(source)
        assert len(ours) == len(theirs), path.name
        for k, (a, b) in enumerate(zip(theirs, ours)):
            assert a == b, f"{path.name}, paragraph {k}"


SPEC_SAMPLE = """Title:
    _**BRICK & STEEL**_
Credit: Written by
Author: Stu Maschwitz

EXT. BRICK'S PATIO - DAY #1#

A gorgeous day.  The sun is *shining*.  But BRICK BRADDOCK is sitting quietly -- file_name_here.

STEEL (O.S.) (CONT'D)
(sheepish)
Does a bear crap in the woods?
(beat)
**Yes**, they are.

BRICK ^
Woo!

@McCLANE
Yippee ki-yay.

> THE END <

He dialed *69 and then *23.

CUT TO:
"""


def test_another_reader_reads_our_output_of_the_spec_sample_as_the_original():
    assert peer_items(to_fountain(parse_fountain(SPEC_SAMPLE))) == peer_items(SPEC_SAMPLE)


def test_our_takes_round_trip_and_write_an_fdx_beside_the_pdf(tiny_model, tmp_path):
    from engine.screenplay.fdx import parse_fdx

    brief = Brief("Round *Trip*", lines=("I was never meant to keep the light.", "(aside) [[no]] *yes*"),
                  props=("a brass_telescope",), science="entropy", pages=1.5)
    takes = write_takes(brief, WriteOptions(takes=3, seed=11, model=tiny_model, device="cpu"), out_dir=tmp_path)
    for take in takes:
        assert parse_fountain(take.fountain) == take.screenplay
        assert to_fountain(take.screenplay) == take.fountain
        assert take.fdx_path == tmp_path / f"take-{take.index}.fdx"
        back = parse_fdx(take.fdx_path.read_text(encoding="utf-8"))
        assert back == take.screenplay
        assert peer_items(to_fountain(back)) == peer_items(take.fountain)


MARKUP = list("abcXYZ ()*_[]/\\#~!@.>=<^:-'\"") + ["INT. ", "CUT TO:", "[[", "]]", "/*", "*/", "**", "  ", "\n",
                                                   "é", "V.O."]


@pytest.mark.parametrize("notes", [False, True])
def test_any_text_reads_writes_and_reads_back_the_same(notes):
    """Seeded random Fountain made of markup characters (forcing marks, emphasis, notes, boneyard, escapes)."""
    import random

    for seed in range(400):
        rng = random.Random(seed)
        parts = ["".join(rng.choice(MARKUP) for _ in range(rng.randint(1, 30))) for _ in range(rng.randint(1, 6))]
        source = ("\n\n" if rng.random() < 0.5 else "\n").join(parts)
        sp = parse_fountain(source, notes=notes)
        written = to_fountain(sp)
        assert parse_fountain(written, notes=notes) == sp, (seed, source, written)
