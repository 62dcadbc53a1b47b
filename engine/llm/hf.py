"""Optional transformers backend: any causal LM in a local folder writes takes through the same Brief -> takes
API and the same weaving as the character LSTM (engine.screenplay.weave). Needs the ``hf`` extra.

Tokens are decoded incrementally and fed to the take's Weaver character by character; when the weaver forces
text (or a token runs past a boundary), the take's text is re-encoded and the KV cache rebuilt, so the model
is always conditioned on exactly the text of the take.
"""
from __future__ import annotations

import functools
import inspect
import logging
import math
import random
from pathlib import Path

from engine.brief import Brief
from engine.errors import ModelError
from engine.progress import EtaClock, Progress, ProgressFn

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=2)
def load_hf(path: str, device: str):
    """(tokenizer, model) from a local folder; never downloads."""
    try:
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError:
        raise ModelError("a transformers model folder needs the optional extra: pip install -e '.[hf]'") from None
    try:
        tok = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(path, local_files_only=True).to(device).eval()
    except (OSError, ValueError, KeyError) as e:
        why = " ".join(str(e).split())[:160]  # one line: transformers' messages span several
        raise ModelError(f"{path} is not a transformers causal LM folder ({type(e).__name__}: {why})") from None
    return tok, model


def sample_hf(path: Path, brief: Brief, seeds: list[int], lines: int, options,
              on_progress: ProgressFn) -> tuple[list[str], list[float]]:
    """One take per seed (each its own pass); returns the takes' texts and mean log-probabilities."""
    from engine.screenplay.weave import WeaveConfig, Weaver
    from engine.device import pick_device
    from engine.screenplay.writer import prime_text

    device = pick_device(options.device)
    tok, model = load_hf(str(Path(path).resolve()), device)
    texts, logprobs, clock = [], [], EtaClock()
    for k, seed in enumerate(seeds):
        weaver = Weaver(brief, lines, random.Random(seed), prime_text(brief, seed), WeaveConfig(), options.max_cast)
        lp = _one_take(tok, model, weaver, random.Random(seed), options, lines, device)
        texts.append(weaver.text)
        logprobs.append(lp)
        done = (k + 1) / len(seeds) * 0.95
        on_progress(Progress("write", done, f"take {k + 1} of {len(seeds)} written", clock.eta(done)))
    return texts, logprobs


def _one_take(tok, model, weaver, rng: random.Random, options, lines: int, device: str) -> float:
    import torch

    from engine.screenplay.sampler import draw, filtered_probs

    max_tokens = int(lines * 60 * 2.5)
    # transformers 5.x calls the KV cache `cache`; 4.x `past_key_values`
    cache_arg = "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"
    ids = _encode(tok, weaver.text)
    past, pending, total, count = None, ids, 0.0, 0
    decoded = tok.decode(ids, skip_special_tokens=True)
    for _ in range(max_tokens):
        if weaver.done:
            break
        with torch.no_grad():
            out = model(input_ids=torch.tensor([pending], device=device), use_cache=True, **{cache_arg: past})
        past = out.get(cache_arg)
        probs = filtered_probs(out.logits[:, -1], options.temperature, options.top_k, ban_first=False)
        token = int(draw(probs, [rng.random()])[0])
        probs = probs[0]
        total += math.log(max(probs[token].item(), 1e-12))
        count += 1
        ids = ids + [token]
        if token == tok.eos_token_id:
            piece = "\n\n"
        else:
            text = tok.decode(ids, skip_special_tokens=True)
            piece, decoded = text[len(decoded):], text
            if piece.endswith("\ufffd"):  # half a UTF-8 character: wait for the rest
                decoded = decoded[: len(decoded) - len(piece)]
                pending = [token]
                continue
        resync = False
        for i, ch in enumerate(piece):
            forced = weaver.push(ch)
            if forced or weaver.done or token == tok.eos_token_id:
                resync = resync or bool(forced) or i < len(piece) - 1 or token == tok.eos_token_id
                break
        if resync:  # the take's text differs from what the model saw: re-encode it, rebuild the cache
            ids = _encode(tok, weaver.text)
            decoded, past, pending = tok.decode(ids, skip_special_tokens=True), None, ids
        else:
            pending = [token]
    if not weaver.done:
        weaver.finish()
    return total / max(1, count)


def _encode(tok, text: str) -> list[int]:
    ids = tok(text, add_special_tokens=False)["input_ids"]
    if not ids:
        raise ModelError("the transformers tokenizer produced no tokens for the prime text")
    return list(ids)
