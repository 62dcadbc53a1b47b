"""Training a learned member: the tiny preset learns two real faces, a cancelled or killed run resumes where it
stopped (to the very weights an uninterrupted run reaches), and bad inputs are one clear error each."""
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

from learned_fixtures import TINY_STEPS, facesets, one_thread, tiny_member  # noqa: F401 (fixtures)
from engine.errors import Cancelled, FaceError, ModelError
from engine.faces.faceset import FaceSet
from engine.faces.models.checkpoint import load_member
from engine.faces.models.config import preset
from engine.faces.models.nets import FaceNets
from engine.faces.models.train import train_member

ROOT = Path(__file__).resolve().parents[3]
NETS = ("encoder", "decoder_a", "decoder_b", "discriminator")


def _mean(records, key):
    return float(np.mean([r[key] for r in records]))


def test_tiny_preset_learns_both_faces(tiny_member, facesets):
    ckpt = load_member(tiny_member)
    assert ckpt.step == TINY_STEPS and (ckpt.actor, ckpt.cast) == ("person_b", "person_c")
    first, last = ckpt.losses[:2], ckpt.losses[-3:]
    assert _mean(last, "l1") < 0.6 * _mean(first, "l1")
    assert _mean(last, "dssim") < 0.7 * _mean(first, "dssim")
    assert _mean(last, "mask") < 0.5 * _mean(first, "mask")
    assert ckpt.its_per_s and ckpt.its_per_s > 0
    assert np.allclose(ckpt.cast_embedding, facesets[1].embeddings.mean(axis=0), atol=1e-6)
    assert ckpt.optimizers and {"g", "d", "scaler"} <= set(ckpt.optimizers)


def test_cancelled_run_resumes_to_the_same_weights(tmp_path, facesets, one_thread):
    actor, cast = facesets
    config = preset("tiny", save_every=1000)
    straight = train_member(actor, cast, config, tmp_path / "straight.pt", steps=8, device="cpu")
    seen = []

    def cancel_at_3(p):
        seen.append(p)
        if len(seen) == 3:
            raise Cancelled("stop")

    with pytest.raises(Cancelled):
        train_member(actor, cast, config, tmp_path / "resumed.pt", cancel_at_3, steps=8, device="cpu")
    assert load_member(tmp_path / "resumed.pt").step == 3
    assert "step 3/8" in seen[-1].message and "it/s" in seen[-1].message
    resumed = train_member(actor, cast, config, tmp_path / "resumed.pt", steps=8, device="cpu")
    a, b = load_member(straight), load_member(resumed)
    assert a.step == b.step == 8
    for net in NETS:
        for (name, x), (_, y) in zip(getattr(a.nets, net).state_dict().items(),
                                     getattr(b.nets, net).state_dict().items()):
            assert torch.equal(x, y), f"{net}.{name}"


def test_killed_process_resumes_from_its_last_checkpoint(tmp_path, facesets):
    actor, cast = facesets
    a_path, b_path, out = actor.save(tmp_path / "a.npz"), cast.save(tmp_path / "b.npz"), tmp_path / "killed.pt"
    code = ("import sys; from pathlib import Path; from engine.faces.models.config import preset; "
            "from engine.faces.models.train import train_member; "
            "train_member(Path(sys.argv[1]), Path(sys.argv[2]), preset('tiny', save_every=3), Path(sys.argv[3]), "
            "steps=100000, device='cpu')")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", code, str(a_path), str(b_path), str(out)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not out.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert out.exists(), "no checkpoint was written"
        time.sleep(0.3)
        proc.send_signal(signal.SIGKILL)  # mid-run, maybe mid-write: the atomic save must leave a good file
    finally:
        proc.kill()
        proc.wait()
    step = load_member(out).step
    assert 0 < step < 100000 and step % 3 == 0
    torch.set_num_threads(1)
    train_member(a_path, b_path, preset("tiny"), out, steps=step + 4, device="cpu")
    assert load_member(out).step == step + 4


def test_a_time_budget_ends_the_run_with_a_checkpoint(tmp_path, facesets, one_thread):
    out = train_member(*facesets, preset("tiny"), tmp_path / "budget.pt", steps=10**6, minutes=0.02, device="cpu")
    assert 0 < load_member(out).step < 10**6


def test_resuming_another_model_or_pair_is_refused(tmp_path, tiny_member, facesets):
    copy = tmp_path / "copy.pt"
    copy.write_bytes(tiny_member.read_bytes())
    actor, cast = facesets
    with pytest.raises(ModelError, match="other sizes"):
        train_member(actor, cast, preset("small"), copy, steps=1, device="cpu")
    with pytest.raises(ModelError, match="person_b -> person_c, not person_c -> person_b"):
        train_member(cast, actor, preset("tiny"), copy, steps=1, device="cpu")


def test_bad_inputs_are_clear(tmp_path, facesets):
    actor, _ = facesets
    empty = FaceSet("nobody", np.zeros((0, 256, 256, 3), np.uint8), np.zeros((0, 68, 2), np.float32),
                    np.zeros((0, 128), np.float32))
    with pytest.raises(FaceError, match="nobody has no faces"):
        train_member(actor, empty, preset("tiny"), tmp_path / "x.pt", steps=1, device="cpu")
    with pytest.raises(ModelError, match="no face set at"):
        train_member(tmp_path / "missing.npz", actor, preset("tiny"), tmp_path / "x.pt", steps=1, device="cpu")
    (tmp_path / "junk.npz").write_bytes(b"not a face set" * 10)
    with pytest.raises(ModelError, match="junk.npz is not a readable face set"):
        train_member(tmp_path / "junk.npz", actor, preset("tiny"), tmp_path / "x.pt", steps=1, device="cpu")
    with pytest.raises(ModelError, match="preset must be one of tiny, small, large"):
        preset("huge")
    with pytest.raises(ModelError, match="multiple of"):
        preset("tiny", resolution=36)
    (tmp_path / "torn.pt").write_bytes(b"PK\x03\x04 not a checkpoint")
    with pytest.raises(ModelError, match="not a readable face model"):
        load_member(tmp_path / "torn.pt")
    assert not (tmp_path / "x.pt").exists()


@pytest.mark.parametrize("name", ["tiny", "small", "large"])
def test_every_preset_builds_nets_that_paint_a_face_and_a_mask(name):
    cfg = preset(name)
    nets = FaceNets(cfg)
    with torch.inference_mode():
        faces, masks = nets.swap(torch.rand(2, 3, cfg.resolution, cfg.resolution))
        realism = nets.realism(faces)
    r = cfg.resolution
    assert faces.shape == (2, 3, r, r) and masks.shape == (2, 1, r, r)
    assert realism.shape == (2,) and 0 <= float(realism.min()) and float(realism.max()) <= 1
    assert (cfg.amp, cfg.resolution >= 128) == (True, name == "large")
