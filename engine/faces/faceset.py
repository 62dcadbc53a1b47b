"""A person's face set: many aligned crops of one face, from photos or a short video of themselves."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


@dataclass
class FaceSet:
    name: str
    faces: np.ndarray  # (N, S, S, 3) uint8 RGB aligned crops (S = align.ALIGN_SIZE)
    landmarks: np.ndarray  # (N, 68, 2) float32 in crop pixels
    embeddings: np.ndarray  # (N, 128) float32
    sources: list[str] = field(default_factory=list)  # file (and frame) each crop came from

    def __len__(self) -> int:
        return len(self.faces)

    @property
    def mean_embedding(self) -> np.ndarray:
        return self.embeddings.mean(axis=0)

    def save(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp.npz")
        np.savez_compressed(tmp, name=np.array(self.name), faces=self.faces, landmarks=self.landmarks,
                            embeddings=self.embeddings, sources=np.array(self.sources, dtype=object).astype(str))
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: Path) -> "FaceSet":
        with np.load(Path(path), allow_pickle=False) as z:
            return cls(str(z["name"]), z["faces"], z["landmarks"], z["embeddings"], [str(s) for s in z["sources"]])
