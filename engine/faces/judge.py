"""The ensemble's judge: per frame, which member's face to use.

Each member's output is scored by
- identity: the 128-d embedding distance of the output face to the cast member's mean embedding (and whether
  it is nearer the actor's, when that is known);
- expression: the output's own landmarks (dlib, found on the output crop) against what the source frame shows
  (or the driven targets): mouth opening now and how it followed the source's over the last second, and eye
  opening relative to each face's own eyes at rest;
- realism: the member's discriminator score, when it has one;
combined as a weighted geometric mean (all must hold) and smoothed over time per member. The choice is held
(hysteresis): another member takes over only when it beats the current one by ``margin`` for ``hold`` frames in
a row, so alternating scores never make the face flicker between members.
Optionally the top two are blended when they are nearly level. Every frame's verdict is recorded.
"""
from __future__ import annotations

import collections
import logging
from dataclasses import dataclass

import numpy as np

from engine.faces.align import eye_opening, mouth_opening
from engine.faces.landmarks import distance, embedding, shape_at
from engine.faces.models._base import AlignedBatch, Generated

log = logging.getLogger(__name__)

# Where dlib's detector puts the face box in an aligned crop (fractions of the crop; measured on
# engine.faces.align crops). The landmark predictor needs a detector-like box: on a box drawn round the
# landmarks themselves it misplaces them by ~20 px at 256 px, on this one by under 1 px.
ALIGNED_BOX = (0.18, 0.25, 0.785, 0.855)


@dataclass(frozen=True)
class JudgeConfig:
    w_identity: float = 0.5
    w_expression: float = 0.35
    w_realism: float = 0.15
    same_person: float = 0.45  # embedding distance scoring 1 (dlib: the same person is below 0.6)
    other_person: float = 0.9  # distance scoring 0
    mouth_tolerance: float = 0.03  # mouth-opening error (share of face height) that costs e^-1 of expression
    eye_tolerance: float = 0.08  # eye-opening error (share of eye width) that costs e^-1 of expression
    smooth: float = 0.3  # EMA rate of each member's total (1 = no smoothing) ...
    margin: float = 0.05  # ... a challenger's smoothed total must beat the current member's by this much ...
    hold: int = 4  # ... for this many frames in a row before it takes over
    identity_every: int = 5  # frames between identity measurements per member (embeddings cost ~20 ms each)
    mouth_window: int = 24  # frames over which a member's mouth must have followed the source's
    rest_rate: float = 0.05  # how fast a face's "eyes at rest" (running mean of eye opening) follows it
    blend: bool = False  # blend the top two when they are within blend_margin of each other
    blend_margin: float = 0.04


@dataclass(frozen=True)
class Scores:
    identity: float
    expression: float
    realism: float
    total: float


@dataclass(frozen=True)
class Verdict:
    frame: int  # frame number since the judge started (across batches)
    winner: str
    totals: dict[str, float]  # member -> total score this frame
    runner_up: str | None = None  # blended in, when blending
    weight: float = 1.0  # the winner's share of the blend (1 = picked alone)


@dataclass
class _Hold:
    current: int | None = None
    challenger: int | None = None
    streak: int = 0


class Judge:
    def __init__(self, cast_embedding: np.ndarray, config: JudgeConfig = JudgeConfig(),
                 actor_embedding: np.ndarray | None = None) -> None:
        self.cast = np.asarray(cast_embedding, np.float32)
        self.actor = None if actor_embedding is None else np.asarray(actor_embedding, np.float32)
        self.config = config
        self.history: list[Verdict] = []
        self._hold = _Hold()
        self._identity: dict[str, tuple[int, float]] = {}  # member -> (frame measured, identity score)
        self._eyes: dict[str, float] = {}  # member (or "<source>") -> eye opening at rest
        self._mouths: dict[str, collections.deque] = {}  # member -> recent (source, output) mouth openings
        self._avg: dict[str, float] = {}  # member -> running mean of its totals (what the choice compares)

    @property
    def winners(self) -> list[str]:
        return [v.winner for v in self.history]

    def identity(self, face: np.ndarray, landmarks: np.ndarray) -> float:
        """1 when the face is clearly the cast member, 0 when clearly someone else (halved if nearer the actor)."""
        emb = embedding(face, landmarks)
        d = distance(emb, self.cast)
        c = self.config
        score = float(np.clip((c.other_person - d) / (c.other_person - c.same_person), 0.0, 1.0))
        if self.actor is not None and distance(emb, self.actor) < d:
            score *= 0.5
        return score

    def expression(self, landmarks: np.ndarray, wanted: np.ndarray,
                   eyes_at_rest: tuple[float, float] | None = None) -> float:
        """1 when the output's mouth opens as the source's does and its eyes open or close as far from their own
        rest as the source's do from theirs (eyes differ at rest: narrower eyes are no worse a likeness),
        falling off with the error. ``eyes_at_rest``: (output's, source's); None compares the openings as they are."""
        c = self.config
        out_rest, src_rest = eyes_at_rest or (0.0, 0.0)
        dm = abs(mouth_opening(landmarks) - mouth_opening(wanted)) / c.mouth_tolerance
        de = abs((eye_opening(landmarks) - out_rest) - (eye_opening(wanted) - src_rest)) / c.eye_tolerance
        return float(np.exp(-(dm + de)))

    def follows(self, member: str, found: np.ndarray, wanted: np.ndarray) -> float:
        """How well the member's mouth has followed the source's over the last ``mouth_window`` frames (its
        moves about its own mean against the source's): 1 when it follows, lower for a mouth that stays put
        while the source speaks, which a single frame with the source's mouth at rest cannot show."""
        window = self._mouths.setdefault(member, collections.deque(maxlen=self.config.mouth_window))
        window.append((mouth_opening(wanted), mouth_opening(found)))
        if len(window) < 3:
            return 1.0
        src, out = np.array(window).T
        err = float(np.mean(np.abs((out - out.mean()) - (src - src.mean()))))
        return float(np.exp(-err / self.config.mouth_tolerance))

    def _rest(self, key: str, value: float) -> float:
        """A running mean (EMA) of ``key``'s eye opening: its eyes at rest."""
        rest = self._eyes.get(key, value)
        rest += self.config.rest_rate * (value - rest)
        self._eyes[key] = rest
        return rest

    def score(self, member: str, face: np.ndarray, wanted: np.ndarray, realism: float | None, frame: int,
              source_rest: float | None = None) -> Scores:
        """One member's output ``face`` (aligned crop) for a frame whose landmarks should be ``wanted``;
        ``source_rest``: the source's eye opening at rest (None: eyes compared as they are)."""
        c = self.config
        size = face.shape[0]
        found = shape_at(face, tuple(round(f * size) for f in ALIGNED_BOX))  # the output's own landmarks
        last = self._identity.get(member)
        if last is None or frame - last[0] >= c.identity_every:
            last = (frame, self.identity(face, found))
            self._identity[member] = last
        rest = None if source_rest is None else (self._rest(member, eye_opening(found)), source_rest)
        expr = self.expression(found, wanted, rest) * self.follows(member, found, wanted)
        real = 0.5 if realism is None else float(np.clip(realism, 0.0, 1.0))
        # weighted geometric mean: every criterion must hold (a pasted still scores on identity alone, the
        # untouched actor on expression alone; neither should win)
        parts = np.array([last[1], expr, real]).clip(0.01, 1.0)
        weights = np.array([c.w_identity, c.w_expression, c.w_realism])
        total = float(np.exp((weights * np.log(parts)).sum() / max(1e-9, weights.sum())))
        return Scores(last[1], expr, real, total)

    def choose(self, totals: list[float]) -> tuple[int, int | None, float]:
        """(winner, runner-up to blend in or None, the winner's weight) for one frame's totals, with hysteresis."""
        c, h = self.config, self._hold
        best = int(np.argmax(totals))
        if h.current is None or h.current >= len(totals):
            h.current, h.challenger, h.streak = best, None, 0
        elif best != h.current and totals[best] > totals[h.current] + c.margin:
            h.streak = h.streak + 1 if h.challenger == best else 1
            h.challenger = best
            if h.streak >= c.hold:
                h.current, h.challenger, h.streak = best, None, 0
        else:
            h.challenger, h.streak = None, 0
        win = h.current
        if not c.blend or len(totals) < 2:
            return win, None, 1.0
        second = max((i for i in range(len(totals)) if i != win), key=lambda i: totals[i])
        gap = totals[win] - totals[second]
        if gap >= c.blend_margin:
            return win, None, 1.0
        weight = float(np.clip(0.5 + gap / (2 * c.blend_margin), 0.5, 1.0))
        return win, second, weight

    def _smoothed(self, members: list[str], totals: list[float]) -> list[float]:
        """Each member's running mean (EMA) of its totals: one lucky frame (landmarks on a generated face are
        noisy) is not a lead; a member has to be better for a while."""
        out = []
        for m, t in zip(members, totals):
            avg = self._avg.get(m, t)
            avg += self.config.smooth * (t - avg)
            self._avg[m] = avg
            out.append(avg)
        return out

    def judge(self, batch: AlignedBatch, outputs: list[Generated]) -> Generated:
        """One face per frame from the members' ``outputs`` (each for the whole batch), verdicts recorded."""
        if not outputs:
            raise ValueError("the judge needs at least one member's output")
        wanted = batch.targets if batch.targets is not None else batch.landmarks
        first = len(self.history)
        totals, realisms = [], []
        for k in range(len(batch.faces)):
            source_rest = (eye_opening(batch.neutral) if batch.neutral is not None
                           else self._rest("<source>", eye_opening(wanted[k])))
            scores = [self.score(g.member, g.faces[k], wanted[k], None if g.realism is None else g.realism[k],
                                 first + k, source_rest) for g in outputs]
            totals.append([sc.total for sc in scores])
            realisms.append([sc.realism for sc in scores])
        if self._hold.current is None and totals:  # the first choice: the best over the whole first batch
            self._hold.current = int(np.argmax(np.mean(totals, axis=0)))
        faces, masks, owns, realism, winners = [], [], [], [], []
        for k, row in enumerate(totals):
            win, second, w = self.choose(self._smoothed([g.member for g in outputs], row))
            face, mask, own = outputs[win].faces[k].astype(np.float32), outputs[win].masks[k], _own(outputs[win], k)
            if second is not None:
                face = w * face + (1 - w) * outputs[second].faces[k].astype(np.float32)
                mask = w * mask + (1 - w) * outputs[second].masks[k]
                own = w * own + (1 - w) * _own(outputs[second], k)
            faces.append(np.clip(face + 0.5, 0, 255).astype(np.uint8))
            masks.append(mask.astype(np.float32))
            owns.append(own.astype(np.float32))
            realism.append(realisms[k][win])
            winners.append(outputs[win].member)
            self.history.append(Verdict(first + k, outputs[win].member, {g.member: t for g, t in zip(outputs, row)},
                                        None if second is None else outputs[second].member, w))
        return Generated(np.stack(faces), np.stack(masks), "ensemble", np.array(realism, np.float32), winners,
                         np.stack(owns))


def _own(generated: Generated, k: int) -> np.ndarray:
    """Where frame k of a member's output is the actor's own pixels (none for a member that says nothing)."""
    if generated.own is None:
        return np.zeros(generated.masks[k].shape, np.float32)
    return generated.own[k]
