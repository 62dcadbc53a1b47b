"""Sampling several takes in one batch from the character LSTM, with forced text from each take's Weaver.

All takes step together; each step every take feeds one character: the next forced one when its queue has
any, else the one just sampled. Each take draws from its own seeded RNG, so a take is reproducible from its
seed alone (temperature, top-k, same checkpoint).
"""
from __future__ import annotations

import math
import random
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

import torch

from engine.device import one_thread
from engine.screenplay.corpus import fold
from engine.screenplay.model import CharLSTM, make_stepper
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


# Characters after which the Weaver may act (close a block, end a long speech or heading); between them it
# only records text, so the sampler hands it whole runs of other characters at once.
TRIGGERS = frozenset("\n .!?")
PROGRESS_EVERY_S = 0.5


@torch.inference_mode()
def sample_lstm(model: CharLSTM, vocab: str, weavers: list[Weaver], seeds: list[int], temperature: float,
                top_k: int | None, max_steps: int, device: str = "cpu",
                on_step: Callable[[int], None] | None = None) -> list[SampleStats]:
    """Run every weaver's take to completion (or ``max_steps`` characters, then force what is left)."""
    with one_thread(device):
        return _sample(model, vocab, weavers, seeds, temperature, top_k, max_steps, device, on_step)


def _sample(model, vocab, weavers, seeds, temperature, top_k, max_steps, device, on_step) -> list[SampleStats]:
    model.eval()
    index = {c: i for i, c in enumerate(vocab)}
    rngs = [random.Random(s) for s in seeds]
    stats = [SampleStats() for _ in weavers]
    queues = [deque(_ids(CONTEXT + w.text, index)) for w in weavers]
    logits, state = _prime(model, queues, device)
    stepper = make_stepper(model, len(weavers))
    stepper.reset(state)
    held: list[list[str]] = [[] for _ in weavers]  # sampled characters not yet shown to the weaver
    k = top_k if top_k and top_k < len(vocab) - 1 else len(vocab) - 1
    last_report = time.monotonic()
    for step in range(max_steps):
        if all(w.done for w in weavers):
            break
        drawn, chosen_p = _draw_top_k(logits, temperature, k, [r.random() for r in rngs])
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
            c = vocab[i]
            if c not in TRIGGERS:
                held[b].append(c)
                continue
            forced = w.push("".join(held[b]) + c)
            held[b].clear()
            if forced:
                queues[b].extend(_ids(forced, index))
        if on_step and time.monotonic() - last_report > PROGRESS_EVERY_S:
            on_step(step)
            last_report = time.monotonic()
        logits = stepper.step(torch.tensor(feed, device=device))  # (B, V)
    for b, w in enumerate(weavers):
        if held[b] and not w.done:
            w.push("".join(held[b]))
        if not w.done:
            w.finish()
    return stats


def _draw_top_k(logits: torch.Tensor, temperature: float, k: int, u: list[float]) -> tuple[list[int], list[float]]:
    """(B, V) logits -> the drawn symbols and their probabilities, among each row's k likeliest (symbol 0,
    unknown, never): inverse CDF over the k in order of likelihood, one uniform number per row. ``u`` is
    scaled by each row's total, so a draw never lands past the last symbol with any probability (float32
    totals a hair under 1, probabilities that underflow to 0)."""
    logits = logits.float()
    logits[:, 0] = -math.inf
    top, where = torch.topk(logits, k, dim=-1)  # (B, k), likeliest first
    probs = torch.softmax(top.div_(max(temperature, 1e-4)), dim=-1)
    cdf = probs.cumsum(-1)
    target = torch.tensor(u, dtype=cdf.dtype, device=cdf.device).unsqueeze(1).mul_(cdf[:, -1:])
    pick = torch.searchsorted(cdf, target, right=True).clamp_(max=k - 1)  # (B, 1) positions among the k
    return where.gather(1, pick).view(-1).tolist(), probs.gather(1, pick).view(-1).tolist()


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
