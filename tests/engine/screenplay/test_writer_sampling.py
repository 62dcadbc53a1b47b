"""Drawing a character from the model's probabilities (inverse CDF, one uniform number per take)."""
from __future__ import annotations

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
