"""Sampling several takes in one batch from the character LSTM, with forced text from each take's Weaver.

All takes step together; each step every take feeds one character: the next forced one when its queue has
any, else the one just sampled. Each take draws from its own seeded RNG, so a take is reproducible from its
seed alone (temperature, top-k, same checkpoint).
"""
from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass
from typing import Callable

import torch

from engine.screenplay.corpus import fold
from engine.screenplay.model import CharLSTM, Stepper
from engine.screenplay.weave import Weaver


# Fed before every take, not part of it: puts the model where a new scene begins (a heading comes next),
# instead of at the start of a file it never saw.
CONTEXT = "They go.\n\n"


@dataclass
class SampleStats:
    logprob: float = 0.0  # summed log-probability (nats) of the characters the model chose
    chosen: int = 0  # characters the model chose (forced ones not counted)


def filtered_probs(logits: torch.Tensor, temperature: float, top_k: int | None,
                   ban_first: bool = True) -> torch.Tensor:
    """(B, V) logits -> probabilities after temperature and top-k; symbol 0 (unknown) is never drawn."""
    logits = logits.float() / max(temperature, 1e-4)
    if ban_first:
        logits[:, 0] = -math.inf
    if top_k and top_k < logits.size(-1):
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, -math.inf)
    return torch.softmax(logits, dim=-1)


def draw(probs: torch.Tensor, u: list[float]) -> torch.Tensor:
    """(B, V) probabilities and one uniform [0, 1) number per row -> (B,) drawn indices (inverse CDF).

    Never a symbol of probability zero (banned, or cut by top-k): ``right=True`` steps over leading zeros
    when u is 0, and float32 rounding (u near 1, a total just under 1) stops at the last possible symbol."""
    cdf = torch.cumsum(probs, dim=-1)
    u = torch.tensor(u, dtype=cdf.dtype, device=cdf.device).unsqueeze(1)
    last = torch.argmax((probs > 0).long().cumsum(-1), dim=-1)  # (B,) last symbol with any probability
    return torch.minimum(torch.searchsorted(cdf, u, right=True).squeeze(1), last)


@torch.no_grad()
def sample_lstm(model: CharLSTM, vocab: str, weavers: list[Weaver], seeds: list[int], temperature: float,
                top_k: int | None, max_steps: int, device: str = "cpu",
                on_step: Callable[[int], None] | None = None) -> list[SampleStats]:
    """Run every weaver's take to completion (or ``max_steps`` characters, then force what is left)."""
    model.eval()
    index = {c: i for i, c in enumerate(vocab)}
    rngs = [random.Random(s) for s in seeds]
    stats = [SampleStats() for _ in weavers]
    queues = [deque(_ids(CONTEXT + w.text, index)) for w in weavers]
    logits, state = _prime(model, queues, device)
    stepper = Stepper(model)
    for step in range(max_steps):
        if all(w.done for w in weavers):
            break
        probs = filtered_probs(logits, temperature, top_k)
        drawn = draw(probs, [r.random() for r in rngs])
        chosen_p = probs.gather(1, drawn.unsqueeze(1)).squeeze(1).tolist()
        drawn = drawn.tolist()
        feed = []
        for b, w in enumerate(weavers):
            if queues[b]:
                feed.append(queues[b].popleft())
                continue
            i = drawn[b]
            feed.append(i)
            if w.done:
                continue
            stats[b].logprob += math.log(max(chosen_p[b], 1e-12))
            stats[b].chosen += 1
            forced = w.push(vocab[i])
            if forced:
                queues[b].extend(_ids(forced, index))
        if on_step and step % 64 == 0:
            on_step(step)
        logits, state = stepper.step(torch.tensor(feed, device=device), state)  # (B, V)
    for w in weavers:
        if not w.done:
            w.finish()
    return stats


def _ids(text: str, index: dict[str, int]) -> list[int]:
    return [index.get(c, 0) for c in fold(text)]


def _prime(model: CharLSTM, queues: list[deque], device: str):
    """Feed each take's prime; takes with shorter primes keep the rest of theirs queued, so all align."""
    shortest = min(len(q) for q in queues)
    if shortest == 0:
        raise ValueError("every take needs a non-empty prime")
    rows = [[q.popleft() for _ in range(shortest)] for q in queues]
    out, state = model(torch.tensor(rows, device=device), None)
    return out[:, -1], state
