"""Every take honours the brief, over many seeds and awkward briefs, and reads like a screenplay."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from engine.brief import Brief
from engine.errors import BriefError, ModelError
from engine.screenplay.document import Action, Dialogue
from engine.screenplay.finish import missing
from engine.screenplay.fountain import parse_fountain
from engine.screenplay.pages import page_count
from engine.screenplay.writer import WriteOptions, write_takes

BRIEFS = [
    Brief("The Last Lighthouse", lines=("I was never meant to keep the light.",), props=("a brass telescope",),
          science="bioluminescence"),
    Brief("Sunspring", lines=("I don't know what you're talking about.",
                              "You didn't even see the movie with the rest of the base."),
          props=("a pearl", "someone vomits up an eyeball"), pages=1.5),
    Brief("Ça va, 🚀 **Mars** @everyone", lines=("(whispers) Où est *le* [[note]] /* café */ — 北京? 🚀",
                                              "INT. THIS IS A LINE - NOT A HEADING", "CUT TO:", "@everyone ~ _hi_ \\o/"),
          props=("an *emphasised* [prop] \\ with markup",), science="Schrödinger's cat", pages=1.5),
    Brief("Short", lines=("Yes.",), props=("Excalibur", "two eggs", "a hat"), pages=0.5),
]


@pytest.mark.parametrize("brief", BRIEFS, ids=["lighthouse", "sunspring", "unicode-markup", "short"])
def test_every_take_honours_the_brief_over_many_seeds(tiny_model, brief):
    takes = []
    for seed in (0, 12, 24):
        takes += write_takes(brief, WriteOptions(takes=12, seed=seed, model=tiny_model, device="cpu"))
    assert len({t.seed for t in takes}) == 36
    for take in takes:
        sp = parse_fountain(take.fountain)  # what a reader of the file sees
        assert missing(sp, brief.validated()) == [], (take.seed, take.fountain)
        assert sp.title_page["Title"] and "Written by" in take.fountain and "Benjamin" in take.fountain
        elements = [el for s in sp.scenes for el in s.elements]
        for line in brief.lines:
            k = next(i for i, el in enumerate(elements) if isinstance(el, Dialogue) and el.text == line)
            assert 0 < k < len(elements) - 1  # inside the body, not the first or last element
            assert sp.scenes[0].heading  # the take opens on a scene heading
        assert page_count(sp) <= brief.pages + 0.05  # trimmed to the target


def test_required_line_is_spoken_by_someone_already_in_the_take(tiny_model):
    brief = BRIEFS[0]
    for take in write_takes(brief, WriteOptions(takes=12, seed=5, model=tiny_model, device="cpu")):
        lines = [d for _, d in take.screenplay.dialogue()]
        k = next(i for i, d in enumerate(lines) if d.text == brief.lines[0])
        earlier = {d.character for d in lines[:k]}
        if earlier:  # the weaver gives the line to a character who has spoken, and not twice running
            assert lines[k].character in earlier
            assert lines[k].character != lines[k - 1].character or len(earlier) == 1
        props = [el for s in take.screenplay.scenes for el in s.elements
                 if isinstance(el, Action) and brief.props[0] in el.text]
        assert props and len(props[0].text) > len(brief.props[0])  # woven into a sentence, not alone


def test_same_seed_same_takes_and_cast_is_capped(tiny_model):
    options = WriteOptions(takes=3, seed=42, model=tiny_model, device="cpu", max_cast=3)
    a = write_takes(BRIEFS[1], options)
    b = write_takes(BRIEFS[1], options)
    assert [t.fountain for t in a] == [t.fountain for t in b]
    assert all(len(t.screenplay.characters()) <= 3 for t in a)
    single = write_takes(BRIEFS[1], WriteOptions(takes=1, seed=43, model=tiny_model, device="cpu", max_cast=3))
    assert single[0].seed == a[1].seed


def test_files_are_written(tiny_model, tmp_path):
    takes = write_takes(BRIEFS[0], WriteOptions(takes=2, seed=1, model=tiny_model, device="cpu"), tmp_path)
    for t in takes:
        assert t.fountain_path == tmp_path / f"take-{t.index}.fountain"
        assert t.fountain_path.read_text(encoding="utf-8") == t.fountain
        assert t.pdf_path.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("brief, options, match", [
    (Brief(""), WriteOptions(), "title"),
    (Brief("T", lines=("",)), WriteOptions(), "empty"),
    (Brief("T", lines=("x" * 301,)), WriteOptions(), "limit is 300"),
    (Brief("T", props=tuple(f"prop {i}" for i in range(20))), WriteOptions(), "at most 10 props"),
    (Brief("T", lines=tuple("y" * 300 for _ in range(5))), WriteOptions(pages=0.5), "at least"),
    (Brief("T"), WriteOptions(takes=0), "takes"),
    (Brief("T"), WriteOptions(temperature=0), "temperature"),
    (Brief("T"), WriteOptions(pages=9), "pages"),
])
def test_bad_briefs_get_clear_errors(brief, options, match, tiny_model):
    with pytest.raises(BriefError, match=match):
        write_takes(brief, WriteOptions(**{**options.__dict__, "model": tiny_model}))


def test_bad_checkpoints_get_clear_errors(tmp_path):
    from engine.screenplay.checkpoint import Checkpoint, save_checkpoint
    from engine.screenplay.model import CharLSTM, ModelConfig

    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"\x80\x02 not a checkpoint")
    digits = save_checkpoint(Checkpoint(CharLSTM(ModelConfig(vocab_size=5, hidden=8, layers=1)), "\x00\n 12"),
                             tmp_path / "digits.pt")
    for path, match in [(tmp_path / "absent.pt", "no writer checkpoint"), (corrupt, "not a readable checkpoint"),
                        (digits, "not trained on screenplays")]:
        with pytest.raises(ModelError, match=match):
            write_takes(Brief("T", lines=("Hi.",)), WriteOptions(model=path))


def test_science_and_props_with_markup_are_woven_once(tiny_model):
    brief = Brief("Markup", lines=("Hello there.",), props=("a *star*",), science="**dark** matter")
    for take in write_takes(brief, WriteOptions(takes=6, seed=3, model=tiny_model, device="cpu")):
        texts = [el.text for s in take.screenplay.scenes for el in s.elements]
        assert sum("**dark** matter" in t for t in texts) == 1, take.fountain
        assert "\\*\\*dark\\*\\* matter" in take.fountain  # escaped in the file, so other tools read it verbatim


def test_prime_text_starts_the_take(tiny_model):
    prose = Brief("Prime", lines=("Hello there.",), prime="The ship drifts past a dying star.")
    take = write_takes(prose, WriteOptions(takes=1, seed=1, model=tiny_model, device="cpu"))[0]
    first = take.screenplay.scenes[0].elements[0]
    assert isinstance(first, Action) and first.text.startswith("The ship drifts past a dying star.")
    heading = Brief("Prime", lines=("Hello there.",), prime="EXT. MARS - DAY")
    take = write_takes(heading, WriteOptions(takes=1, seed=1, model=tiny_model, device="cpu"))[0]
    assert take.screenplay.scenes[0].heading == "EXT. MARS - DAY"


def test_shipped_checkpoint_writes_screenplay_shaped_takes():
    from engine.screenplay.checkpoint import load_checkpoint
    from engine.screenplay.writer import default_checkpoint

    from engine.screenplay.corpus import encode, normalise, read_document
    from engine.screenplay.train import evaluate

    ckpt = load_checkpoint(default_checkpoint())
    assert default_checkpoint().name == "benjamin-screenplay.pt" and ckpt.val_bpc < 1.9  # the README quotes it
    held_out = Path(__file__).resolve().parents[3] / "assets" / "writer" / "corpus" / "heldout" / "the_climb.fountain"
    scifi = evaluate(ckpt.model, encode(normalise(read_document(held_out)), ckpt.vocab))
    assert scifi < 2.6  # it knows modern science fiction it never saw (the Ibsen/Shakespeare-only model: 3.04)
    brief = BRIEFS[0]
    takes = write_takes(brief, WriteOptions(takes=3, seed=2026, device="cpu"))
    for take in takes:
        sp = take.screenplay
        assert missing(sp, brief.validated()) == []
        assert 2 <= len(sp.characters()) <= 4  # a small cast that talks to each other
        lines = [d for _, d in sp.dialogue()]
        # modern scenes are about half action (the Ibsen/Wilde-voiced model spoke ~190 words a page, this one ~135):
        # a conversation, at least half a minute of speech
        assert len(lines) >= 4 and sum(len(d.text.split()) for d in lines) >= 50
        assert sp.scenes[0].heading.startswith(("INT.", "EXT."))


def test_the_shakespeare_writer_is_still_a_choice():
    from engine.screenplay.writer import resolve_model

    assert resolve_model("shakespeare").name == "benjamin-shakespeare.pt" and resolve_model("shakespeare").is_file()
    take = write_takes(BRIEFS[0], WriteOptions(takes=1, seed=3, device="cpu", model="shakespeare"))[0]
    assert missing(take.screenplay, BRIEFS[0].validated()) == []


def test_characters_take_the_casts_names_when_asked(tiny_model):
    brief = BRIEFS[0]
    plain = write_takes(brief, WriteOptions(takes=1, seed=8, model=tiny_model, device="cpu"))[0].screenplay
    named = write_takes(brief, WriteOptions(takes=1, seed=8, model=tiny_model, device="cpu",
                                            cast_names=("Ada", "Grace Hopper")))[0].screenplay
    busiest = [name for name, _ in Counter(d.character for _, d in plain.dialogue()).most_common(2)]
    assert [d.character for _, d in named.dialogue()] == [
        {busiest[0]: "ADA", busiest[1]: "GRACE HOPPER"}.get(d.character, d.character) for _, d in plain.dialogue()]
    assert missing(named, brief.validated()) == []  # the brief's lines and props are untouched


def test_asking_for_cuda_without_one_is_a_clear_error(tiny_model):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ModelError, match="no CUDA device"):
        write_takes(Brief("T", lines=("Hi.",)), WriteOptions(model=tiny_model, device="cuda"))
