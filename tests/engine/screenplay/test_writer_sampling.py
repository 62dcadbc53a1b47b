"""Drawing a character from the model's probabilities (inverse CDF, one uniform number per take)."""
from __future__ import annotations

import random

import pytest
import torch

from engine.screenplay.sampler import draw, filtered_probs


def test_draw_follows_the_cumulative_probabilities():
    probs = torch.tensor([[0.25, 0.5, 0.25], [0.0, 0.0, 1.0]])
    assert draw(probs, [0.1, 0.1]).tolist() == [0, 2]
    assert draw(probs, [0.5, 0.999]).tolist() == [1, 2]


def test_draw_never_picks_a_symbol_of_probability_zero():
    # float32 totals can fall just short of 1 while a random number near 1 rounds up to 1.0:
    # the draw must stay on the last symbol that has any probability (here 1), not a banned one
    probs = torch.tensor([[0.5, 0.49999994, 0.0]], dtype=torch.float32)
    assert float(probs.sum()) < 1.0
    assert draw(probs, [1.0 - 1e-9]).tolist() == [1]
    logits = torch.tensor([[5.0, 1.0, 4.0, 3.0, 0.5]])
    probs = filtered_probs(logits, 1.0, top_k=2)  # only symbols 2 and 3 may be drawn (0 is unknown)
    for u in (0.0, 0.3, 0.7, 1.0 - 1e-12):
        assert draw(probs, [u]).item() in (2, 3)


def test_top_k_draw_stays_among_the_k_likeliest_and_reports_their_probability():
    from engine.screenplay.sampler import _draw_top_k

    logits = torch.tensor([[9.0, 1.0, 4.0, 3.0, 0.5, 2.0]] * 3)  # symbol 0 is the likeliest but never drawn
    drawn, p = _draw_top_k(logits, 1.0, 2, [0.0, 0.8, 1.0 - 1e-12])
    assert drawn == [2, 3, 3]
    top = torch.softmax(torch.tensor([4.0, 3.0]), 0)
    assert p == pytest.approx([top[0].item(), top[1].item(), top[1].item()])


def test_the_packed_stepper_follows_the_model_character_by_character():
    from engine.screenplay.model import CharLSTM, ModelConfig, Stepper

    torch.manual_seed(0)
    model = CharLSTM(ModelConfig(vocab_size=30, embed=8, hidden=32, layers=2, dropout=0.0)).eval()
    ids = torch.randint(1, 30, (3, 12))
    with torch.no_grad():
        whole, _ = model(ids)  # (3, 12, V)
        first, state = model(ids[:, :4])
    stepper = Stepper(model)
    stepper.reset(state)
    for t in range(4, 12):  # int8 weights on CPU: the same distribution to within a hair
        assert torch.allclose(torch.softmax(stepper.step(ids[:, t]), -1), torch.softmax(whole[:, t], -1), atol=5e-3)


def test_the_weaver_sees_the_same_take_fed_by_runs_or_by_characters():
    from engine.brief import Brief
    from engine.screenplay.sampler import TRIGGERS
    from engine.screenplay.weave import Weaver

    brief = Brief("T", lines=("I was never meant to keep the light.",), props=("a brass telescope",),
                  science="entropy")
    model_text = ("ORSINO\nWhat a night it is. Is there any news from the shore, or none at all?\n\n"
                  "VIOLA\nNone. The sea keeps its own counsel tonight, my lord, and so shall I.\n\n"
                  "Orsino crosses to the window and looks out at the dark water below.\n\n") * 12

    def run(by_runs: bool):
        w = Weaver(brief, 30, random.Random(5), "INT. ")
        forced, held = [], []
        for i, c in enumerate(model_text):
            if w.done:
                break
            if by_runs and c not in TRIGGERS:
                held.append(c)
                continue
            out = w.push("".join(held) + c)
            held.clear()
            if out:
                forced.append((i, out))
        return w.text, forced

    text, forced = run(by_runs=True)
    assert len(forced) >= 3 and "I was never meant to keep the light." in text  # the brief was woven in
    assert (text, forced) == run(by_runs=False)


def test_a_parenthetical_left_open_is_closed_and_the_speech_follows():
    from engine.brief import Brief
    from engine.screenplay.fountain import parse_fountain
    from engine.screenplay.weave import Weaver

    w = Weaver(Brief("T", lines=("Hi.",)), 40, random.Random(1), "INT. LAB - NIGHT\n\n")
    words, forced = iter("NORA\n(teing of us how the deach not them as all mine, world-being the warry".split(" ")), None
    while not forced:
        forced = w.push(next(words) + " ")
    assert forced == ")\n"
    w.push("Well, go on.\n\n")
    speech = parse_fountain(w.text).scenes[0].elements[0]
    assert speech.parenthetical.startswith("(teing") and speech.text == "Well, go on."
