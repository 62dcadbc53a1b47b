"""The optional transformers backend: a tiny random GPT-2 (no downloads) writes takes that honour the brief."""
from __future__ import annotations

import string

import pytest

from engine.brief import Brief
from engine.errors import ModelError
from engine.screenplay.finish import missing
from engine.screenplay.fountain import parse_fountain
from engine.screenplay.writer import WriteOptions, write_takes

transformers = pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def tiny_gpt2(tmp_path_factory):
    from tokenizers import Tokenizer, decoders, models
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-gpt2")
    chars = ["<unk>", "<eos>"] + list(string.printable[:-2])  # letters, digits, punctuation, space, \t, \n
    tok = Tokenizer(models.BPE(vocab={c: i for i, c in enumerate(chars)}, merges=[], unk_token="<unk>"))
    tok.decoder = decoders.Fuse()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", eos_token="<eos>")
    fast.save_pretrained(folder)
    config = GPT2Config(vocab_size=len(chars), n_positions=4096, n_embd=32, n_layer=1, n_head=2,
                        eos_token_id=1, bos_token_id=1)
    GPT2LMHeadModel(config).save_pretrained(folder)  # randomly initialised
    return folder


def test_transformers_model_honours_the_brief(tiny_gpt2):
    brief = Brief("Tokens", lines=("I was never meant to keep the light.", "Ça va? 🚀"),
                  props=("a brass telescope",), science="entropy", pages=0.5)
    takes = write_takes(brief, WriteOptions(takes=3, seed=11, model=tiny_gpt2, device="cpu", temperature=0.7))
    assert len(takes) == 3
    for take in takes:
        assert missing(parse_fountain(take.fountain), brief.validated()) == [], take.fountain
    again = write_takes(brief, WriteOptions(takes=1, seed=11, model=tiny_gpt2, device="cpu", temperature=0.7))
    assert again[0].fountain == takes[0].fountain  # deterministic per seed


def test_a_folder_that_is_not_a_model_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="not a transformers causal LM"):
        write_takes(Brief("T", lines=("Hi.",)), WriteOptions(model=tmp_path, device="cpu"))
