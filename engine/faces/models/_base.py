"""The one interface every ensemble member follows (after faceswap's plugin families).

A member turns aligned crops of the footage actor (``engine.faces.align``, ALIGN_SIZE pixels, RGB) into
the cast member's face in the same pose and expression, with a mask of where that face is.
Members that learn also expose ``train(...)``; the geometric one needs none.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass
class AlignedBatch:
    faces: np.ndarray  # (B, S, S, 3) uint8 RGB: the actor's aligned crops (S = align.ALIGN_SIZE)
    landmarks: np.ndarray  # (B, 68, 2) float32: the actor's landmarks in crop pixels (smoothed over time)
    # Where the swapped face's landmarks should be, when the caller drives them (e.g. the mouth from a
    # voice); None = follow the actor. Members that cannot be driven ignore it.
    targets: np.ndarray | None = None
    # The actor's mean aligned landmarks over the clip (their neutral face): the geometric member moves
    # the cast member's own face shape by (landmarks - neutral), i.e. by the actor's expression and pose.
    neutral: np.ndarray | None = None


@dataclass
class Generated:
    faces: np.ndarray  # (B, S, S, 3) uint8 RGB: the cast member's face, aligned like the input
    masks: np.ndarray  # (B, S, S) float32 in [0, 1]: where ``faces`` should replace the actor
    member: str  # which member made it
    realism: np.ndarray | None = None  # (B,) a discriminator's score in [0, 1] when the member has one
    winners: list[str] | None = None  # (B,) for an ensemble: which member's face was used per frame
    # (B, S, S) float32 in [0, 1]: where ``faces`` already shows the actor's own pixels from the frame (the
    # mouth's inside): they are in the scene's colours, so colour matching leaves them as they are
    own: np.ndarray | None = None


class Member(Protocol):
    name: str

    def convert(self, batch: AlignedBatch) -> Generated: ...
