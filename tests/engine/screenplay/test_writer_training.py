"""Training: the loss falls, a killed run resumes to the same weights, bad corpora and checkpoints are clear."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from writer_fixtures import small_corpus
from engine.errors import Cancelled, CorpusError, ModelError
from engine.screenplay.checkpoint import load_checkpoint
from engine.screenplay.corpus import load_corpus
from engine.screenplay.train import TrainConfig, train

ROOT = Path(__file__).resolve().parents[3]


def _tiny(steps: int, **kw) -> TrainConfig:
    return TrainConfig.preset_defaults("tiny", steps=steps, device="cpu", **kw)


def test_tiny_preset_learns(tmp_path):
    corpus = small_corpus()
    start = train(corpus, _tiny(1), tmp_path / "start.pt")
    seen = []
    result = train(corpus, _tiny(150), tmp_path / "tiny.pt", on_progress=seen.append)
    assert result.val_bpc < start.val_bpc - 1.0  # ~6 bits at random, ~3.3 after 150 steps
    assert seen and seen[-1].stage == "train" and seen[-1].fraction == 1.0 and "chars/s" in seen[-1].message
    ckpt = load_checkpoint(result.checkpoint)  # carries what sampling needs
    assert ckpt.step == 150 and ckpt.val_bpc == pytest.approx(result.val_bpc)
    assert ckpt.vocab[0] == "\x00" and "\n" in ckpt.vocab and ckpt.model.config.hidden == 64


def test_cancelled_run_resumes_to_the_same_weights(tmp_path):
    corpus = small_corpus()
    straight = train(corpus, _tiny(80), tmp_path / "straight.pt")

    def cancel_at_30(p):
        if p.fraction >= 30 / 80:
            raise Cancelled("stop")

    with pytest.raises(Cancelled):
        train(corpus, _tiny(80), tmp_path / "resumed.pt", on_progress=cancel_at_30)
    assert load_checkpoint(tmp_path / "resumed.pt").step == 30
    resumed = train(corpus, _tiny(80), tmp_path / "resumed.pt", resume=True)
    a, b = load_checkpoint(straight.checkpoint).model, load_checkpoint(resumed.checkpoint).model
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(x, y), name
    assert resumed.val_bpc == pytest.approx(straight.val_bpc)


def test_killed_process_resumes(tmp_path):
    out = tmp_path / "killed.pt"
    corpus = [str(p) for p in small_corpus()]
    cmd = [sys.executable, "bot.py", "train", "--preset", "tiny", "--steps", "5000", "--out", str(out),
           "--corpus", *corpus]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    try:
        deadline = time.monotonic() + 120
        while not out.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
        assert out.exists(), "no checkpoint was written"
        proc.send_signal(signal.SIGKILL)  # mid-run, maybe mid-write: the atomic save must leave a good file
    finally:
        proc.kill()
        proc.wait()
    step = load_checkpoint(out).step
    assert 0 < step < 5000
    result = train(small_corpus(), _tiny(step + 20), out, resume=True)
    assert result.steps == step + 20


def test_resume_with_another_vocabulary_is_refused(tmp_path, tiny_model):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    text = "".join(f"\nZED\nZ{{ {i} }} | ~ zig zag {i * 7}.\n" for i in range(400))
    (foreign / "zed.fountain").write_text("Title: Zed\n\nINT. ZOO - DAY\n" + text)
    copy = tmp_path / "copy.pt"
    copy.write_bytes(tiny_model.read_bytes())
    with pytest.raises(ModelError, match="another vocabulary"):
        train([foreign], _tiny(10), copy, resume=True)


def test_bad_corpora_are_clear(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CorpusError, match="no .fountain"):
        load_corpus([empty])
    (empty / "blank.txt").write_text("")
    with pytest.raises(CorpusError, match="only 0 characters"):
        load_corpus([empty])
    (empty / "blank.txt").write_bytes(b"\x00\x01\x02" * 1000)
    with pytest.raises(CorpusError, match="not a text file"):
        load_corpus([empty])
    with pytest.raises(CorpusError, match="does not exist"):
        load_corpus([tmp_path / "nowhere"])


def _one_play_corpus(tmp_path):
    """A folder holding one play, the play's source path, and an empty cache folder."""
    src = tmp_path / "plays"
    src.mkdir()
    play = small_corpus()[0]
    (src / play.name).write_text(play.read_text())
    return src, play, tmp_path / "cache"


def test_corpus_cache_is_reused_and_redone_when_a_file_changes(tmp_path):
    src, play, cache = _one_play_corpus(tmp_path)
    first = load_corpus([src], cache_dir=cache)
    assert len(list(cache.glob("corpus-*.npz"))) == 1
    again = load_corpus([src], cache_dir=cache)
    assert np.array_equal(first.train, again.train) and first.fingerprint == again.fingerprint
    time.sleep(0.01)
    (src / play.name).write_text(play.read_text()[: len(play.read_text()) // 2])
    changed = load_corpus([src], cache_dir=cache)
    assert changed.fingerprint != first.fingerprint and len(changed.train) < len(first.train)
    assert len(list(cache.glob("corpus-*.npz"))) == 2


def test_resume_on_cpu_from_a_cuda_amp_checkpoint(tmp_path):
    """A run cancelled on a GPU saves its LSTM state in fp16 (autocast); resuming it on CPU still works."""
    corpus = small_corpus()
    out = tmp_path / "amp.pt"

    def cancel_at_20(p):
        if p.fraction >= 20 / 40:
            raise Cancelled("stop")

    with pytest.raises(Cancelled):
        train(corpus, _tiny(40), out, on_progress=cancel_at_20)
    payload = torch.load(out, map_location="cpu", weights_only=True)
    assert payload["rng"]["hidden"] is not None
    payload["rng"]["hidden"] = [h.half() for h in payload["rng"]["hidden"]]  # as autocast leaves it on CUDA
    torch.save(payload, out)
    result = train(corpus, _tiny(40), out, resume=True)
    assert result.steps == 40 and np.isfinite(result.val_bpc)


def test_a_torn_corpus_cache_is_rebuilt_and_an_unwritable_one_skipped(tmp_path, monkeypatch):
    import engine.screenplay.corpus as corpus_mod

    src, play, cache = _one_play_corpus(tmp_path)
    first = load_corpus([src], cache_dir=cache)
    (npz,) = cache.glob("corpus-*.npz")
    npz.write_bytes(npz.read_bytes()[: npz.stat().st_size // 2])  # torn (disk trouble, a bad copy)
    again = load_corpus([src], cache_dir=cache)
    assert np.array_equal(first.train, again.train) and first.vocab == again.vocab
    with np.load(npz) as z:  # and written again, whole
        assert np.array_equal(z["train"], first.train)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(corpus_mod.np, "savez", disk_full)
    fresh = load_corpus([src], cache_dir=tmp_path / "other-cache")
    assert np.array_equal(fresh.train, first.train)


def test_a_time_budget_stops_training_and_the_schedule_follows_it(tmp_path):
    from engine.screenplay.train import schedule

    config = TrainConfig.preset_defaults("tiny", minutes=0.02, device="cpu")
    assert config.steps >= 10**9  # the clock alone decides
    seen = []
    result = train(small_corpus(), config, tmp_path / "budget.pt", on_progress=seen.append)
    assert 0 < result.steps < 10**9 and seen[-1].fraction == 1.0 and "of 0.02 min" in seen[-1].message
    ckpt = load_checkpoint(result.checkpoint)
    assert ckpt.step == result.steps and ckpt.train_config["minutes"] == 0.02
    warm = [schedule(s, 0.0, config) for s in range(config.warmup)]
    assert warm == sorted(warm) and warm[-1] == pytest.approx(config.lr)
    later = [schedule(10**6, p, config) for p in (0.0, 0.5, 1.0)]
    assert later == pytest.approx([config.lr, 0.55 * config.lr, 0.1 * config.lr])


def test_mixed_precision_is_used_only_where_it_is_native():
    from engine.screenplay.train import train_dtype

    native = torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
    assert train_dtype("cpu") == (torch.bfloat16 if native else None)
    assert train_dtype("cuda") == torch.float16


def test_a_weighted_corpus_reads_its_documents_that_many_times(tmp_path):
    src, _play, cache = _one_play_corpus(tmp_path)
    once = load_corpus([src], cache_dir=cache)
    thrice = load_corpus([f"{src}:3"], cache_dir=cache)
    assert len(thrice.train) == 3 * len(once.train) and np.array_equal(thrice.val, once.val)
    assert thrice.fingerprint != once.fingerprint and thrice.documents == once.documents == 1
    with pytest.raises(CorpusError, match="between 1 and 50"):
        load_corpus([f"{src}:0"])


def test_fine_tuning_starts_from_the_given_model(tmp_path, tiny_model):
    """--init: a fresh run (step 0, new schedule) from the model's weights and vocabulary, not from scratch."""
    src, _play, _cache = _one_play_corpus(tmp_path)
    base = load_checkpoint(tiny_model)
    tuned = train([src], _tiny(5), tmp_path / "tuned.pt", init=tiny_model)
    fresh = train([src], _tiny(5), tmp_path / "fresh.pt")
    ckpt = load_checkpoint(tuned.checkpoint)
    assert ckpt.step == 5 and ckpt.vocab == base.vocab and ckpt.train_config["init"] == str(tiny_model)
    assert tuned.val_bpc < fresh.val_bpc - 1.0  # it kept what the model knew (~3.5 bits, not ~6)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "zed.fountain").write_text("Title: Zed\n\nINT. ZOO - DAY\n" +
                                          "".join(f"\nZED\nZ{{ {i} }} | ~ zig zag.\n" for i in range(400)))
    with pytest.raises(ModelError, match="another vocabulary"):
        train([foreign], _tiny(5), tmp_path / "foreign.pt", init=tiny_model)
