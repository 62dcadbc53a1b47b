"""The ensemble and its judge: the judge prefers the output that looks like the cast member and moves like the
source, holds its choice against alternating scores (no flicker), switches after a sustained lead, records the
winner of every frame; an ensemble trains member by member and loads with the geometric member first."""
from __future__ import annotations

import numpy as np
import pytest

from learned_fixtures import facesets, one_thread, tiny_member  # noqa: F401 (fixtures)
from engine.errors import ModelError
from engine.faces.ensemble import ENSEMBLES, ensemble_specs, load_ensemble, train_ensemble
from engine.faces.judge import Judge, JudgeConfig
from engine.faces.models._base import AlignedBatch, Generated
from engine.faces.models.checkpoint import load_member


class Fixed:
    """A member that returns the same face (and realism) for every frame."""

    def __init__(self, name, face, realism=None):
        self.name, self.face, self.realism = name, face, realism

    def convert(self, batch):
        n = len(batch.faces)
        real = None if self.realism is None else np.full(n, self.realism, np.float32)
        return Generated(np.repeat(self.face[None], n, 0), np.ones((n, 256, 256), np.float32), self.name, real)


def test_alternating_scores_do_not_flicker():
    judge = Judge(np.zeros(128), JudgeConfig(hold=3, margin=0.05))
    picks = [judge.choose([1.0, 0.0] if f % 2 == 0 else [0.0, 1.0])[0] for f in range(20)]
    assert picks == [0] * 20
    picks = [judge.choose([0.2, 0.9] if f % 3 else [0.9, 0.2])[0] for f in range(12)]  # 2 of 3 frames: still held
    assert picks == [0] * 12


def test_a_sustained_lead_takes_over_after_hold_frames():
    judge = Judge(np.zeros(128), JudgeConfig(hold=3, margin=0.05))
    picks = [judge.choose(t)[0] for t in [[0.8, 0.5]] * 2 + [[0.5, 0.8]] * 5 + [[0.52, 0.5]] * 3]
    assert picks == [0, 0, 0, 0, 1, 1, 1, 1, 1, 1]  # the last lead is within the margin: member 1 stays


def test_near_level_members_are_blended_when_asked():
    judge = Judge(np.zeros(128), JudgeConfig(blend=True, blend_margin=0.1))
    win, second, weight = judge.choose([0.80, 0.78, 0.1])
    assert (win, second) == (0, 1) and 0.5 < weight < 1.0
    assert judge.choose([0.9, 0.1, 0.1])[1:] == (None, 1.0)


def test_judge_prefers_the_cast_face_and_the_source_expression(facesets):
    actor, cast = facesets
    judge = Judge(cast.mean_embedding, actor_embedding=actor.mean_embedding)
    assert judge.identity(cast.faces[0], cast.landmarks[0]) > 0.8
    assert judge.identity(actor.faces[0], actor.landmarks[0]) < 0.3
    lm = cast.landmarks[0]
    opened = lm.copy()
    opened[[65, 66, 67, 56, 57, 58]] += (0, 0.08 * float(lm[8, 1] - lm[19, 1]))  # lower lip down: mouth open
    assert judge.expression(lm, lm) == pytest.approx(1.0)
    assert judge.expression(opened, lm) < 0.5
    narrow = lm.copy()  # the same face with narrower eyes: no worse a likeness once each face's rest is known
    narrow[[37, 38, 43, 44], 1] += 2.0
    assert judge.expression(narrow, lm) < 0.8
    from engine.faces.align import eye_opening
    assert judge.expression(narrow, lm, (eye_opening(narrow), eye_opening(lm))) == pytest.approx(1.0)


def test_a_mouth_that_stays_put_while_the_source_speaks_scores_lower(facesets):
    lm = facesets[1].landmarks[0]
    opened = lm.copy()
    opened[[65, 66, 67, 56, 57, 58]] += (0, 0.06 * float(lm[8, 1] - lm[19, 1]))
    judge = Judge(np.zeros(128))
    speech = [opened if f % 3 else lm for f in range(24)]
    follows = [judge.follows("follows", src, src) for src in speech]
    still = [judge.follows("still", lm, src) for src in speech]
    assert min(follows) == pytest.approx(1.0) and still[-1] < 0.6


def test_the_first_choice_is_the_best_over_the_first_batch(facesets):
    actor, cast = facesets
    judge = Judge(cast.mean_embedding, JudgeConfig(hold=2))
    lm = np.repeat(actor.landmarks[:1], 5, 0)
    good = Generated(np.repeat(cast.faces[:1], 5, 0), np.ones((5, 256, 256), np.float32), "good")
    faces = np.repeat(actor.faces[:1], 5, 0)
    faces[0] = cast.faces[0]  # "flaky" is as good as "good" on the first frame only
    flaky = Generated(faces, np.ones((5, 256, 256), np.float32), "flaky", np.array([1, 0, 0, 0, 0], np.float32))
    out = judge.judge(AlignedBatch(faces, lm), [flaky, good])
    assert out.winners == ["good"] * 5


def test_the_judge_records_the_winner_of_every_frame(facesets):
    actor, cast = facesets
    batch = AlignedBatch(np.repeat(actor.faces[:1], 4, 0), np.repeat(actor.landmarks[:1], 4, 0))
    from engine.faces.ensemble import Ensemble
    ens = Ensemble([Fixed("actor-face", actor.faces[0], 0.9), Fixed("cast-face", cast.faces[0], 0.1)],
                   Judge(cast.mean_embedding, JudgeConfig(identity_every=1)))
    first, second = ens.convert(batch), ens.convert(batch)  # the choice carries across batches
    assert first.winners == second.winners == ["cast-face"] * 4 and first.member == "ensemble"
    assert np.array_equal(first.faces[0], cast.faces[0])
    assert [v.frame for v in ens.judge.history] == list(range(8)) and ens.winners == ["cast-face"] * 8
    v = ens.judge.history[0]
    assert v.totals["cast-face"] > v.totals["actor-face"]


def test_presets_zoneout_has_eleven_distinct_members_geometric_first():
    specs = ensemble_specs("zoneout")
    assert len(specs) == 11 and specs[0].kind == "geometric"
    assert sum(s.kind == "geometric" for s in specs) == 1
    for model_preset in ("tiny", "small", "large"):
        configs = [s.config(model_preset) for s in specs[1:]]
        assert len({(c.seed, c.residual, c.resolution, c.latent) for c in configs}) == 10
    assert len({s.config("small").resolution for s in specs[1:]}) > 1
    assert 2 <= len(ENSEMBLES["default"]) <= 4
    with pytest.raises(ModelError, match="ensemble must be one of"):
        ensemble_specs("film")


def test_train_ensemble_resumes_per_member_and_loads(tmp_path, facesets, one_thread):
    actor, cast = facesets
    seen = []
    paths = train_ensemble(actor, cast, tmp_path, "default", "tiny", seen.append, steps=3, device="cpu")
    assert [p.name for p in paths] == ["m01-df-s1.pt", "m02-res-s2.pt"]
    assert seen[-1].fraction == pytest.approx(1.0) and "member 2/2" in seen[-1].message
    assert [load_member(p).step for p in paths] == [3, 3]
    before = paths[0].stat().st_mtime_ns
    train_ensemble(actor, cast, tmp_path, "default", "tiny", steps=5, device="cpu")
    assert [load_member(p).step for p in paths] == [5, 5] and paths[0].stat().st_mtime_ns != before
    ens = load_ensemble(tmp_path, cast, "default", device="cpu")
    assert [m.name for m in ens.members] == ["geometric", "m01-df-s1", "m02-res-s2"]
    out = ens.convert(AlignedBatch(actor.faces[:2], actor.landmarks[:2], neutral=actor.landmarks.mean(0)))
    assert out.faces.shape == (2, 256, 256, 3) and len(out.winners) == 2
    assert set(out.winners) <= {"geometric", "m01-df-s1", "m02-res-s2"}
    with pytest.raises(ModelError, match="not trained yet"):
        load_ensemble(tmp_path / "empty", cast, "default", device="cpu")
    with pytest.raises(ModelError, match="paints person_c, not person_b"):
        load_ensemble(tmp_path, actor, "default", device="cpu")


def test_ensemble_for_swap_reuses_trained_members_and_puts_geometric_first(tmp_path, tiny_member, facesets):
    from engine.faces.ensemble import ensemble_for
    from engine.faces.models.geometric import GeometricMember

    actor, cast = facesets
    trained = tmp_path / "default-tiny" / "m01-df-s1.pt"  # as if a previous swap had trained it
    trained.parent.mkdir()
    trained.write_bytes(tiny_member.read_bytes())
    before = trained.stat().st_mtime_ns
    geometric = GeometricMember(cast)
    ens = ensemble_for(geometric, cast, actor, "tiny", 2, tmp_path, device="cpu")
    assert ens.members[0] is geometric and [m.name for m in ens.members] == ["geometric", "m01-df-s1"]
    assert trained.stat().st_mtime_ns == before  # already trained: not retrained, not rewritten
    with pytest.raises(ModelError, match="need a CUDA GPU"):
        ensemble_for(geometric, cast, actor, "large", 2, tmp_path, device="cpu")
    with pytest.raises(ModelError, match="preset must be one of"):
        ensemble_for(geometric, cast, actor, "huge", 2, tmp_path, device="cpu")


def test_every_members_faces_are_judged_by_the_same_discriminators(tiny_member, facesets):
    """Each learned member's discriminator flatters its own generator's faces, and the geometric member has no
    discriminator (it was scored a flat 0.5): its faces, a real photo of the cast member warped, lost frames to a
    tiny learned member's blur (Tears of Steel close-up <- A: 23 of 120 frames, identity within 0.6 89% -> 79%).
    Every member's faces are now scored by all the learned members' discriminators alike."""
    from engine.faces.ensemble import Ensemble
    from engine.faces.models.geometric import GeometricMember
    from engine.faces.models.learned import LearnedMember

    actor, cast = facesets
    geometric, learned = GeometricMember(cast), LearnedMember(tiny_member, "cpu")
    batch = AlignedBatch(actor.faces[:3], actor.landmarks[:3], neutral=actor.landmarks.mean(0))
    ens = Ensemble([geometric, learned], Judge(cast.mean_embedding))
    seen = []
    real_judge = ens.judge.judge
    ens.judge.judge = lambda b, outputs: seen.append(outputs) or real_judge(b, outputs)
    ens.convert(batch)
    [(geo, own)] = seen
    assert geo.realism is not None and np.allclose(geo.realism, learned.realism_of(geometric.convert(batch).faces))
    assert not np.allclose(geo.realism, 0.5)
    # the learned member's own faces, read back from 256 px, score as its convert scored them at 64 px
    assert np.allclose(own.realism, learned.realism_of(own.faces), atol=0.05)
