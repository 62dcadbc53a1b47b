"""Random challenge briefs for Benjamin's scheduled 48-hour challenges.

A brief is drawn from the shipped lists in assets/challenges.json (original text written for
Benjamin): a title, a required line, one or two props and, sometimes, a science theme. The same
seed always draws the same brief.
"""
from __future__ import annotations

import functools
import json
import logging
import random
from dataclasses import dataclass
from pathlib import Path

from engine.brief import Brief
from engine.errors import BriefError

log = logging.getLogger(__name__)

LISTS_PATH = Path(__file__).resolve().parents[1] / "assets" / "challenges.json"


@dataclass(frozen=True)
class ChallengeConfig:
    lists_path: Path = LISTS_PATH  # JSON with "titles", "lines", "props", "science" lists
    max_props: int = 2  # a brief gets 1..max_props props
    science_chance: float = 0.5  # how often a brief carries a science theme
    pages: float = 1.0  # target length of the takes


@dataclass(frozen=True)
class ChallengeLists:
    titles: tuple[str, ...]
    lines: tuple[str, ...]
    props: tuple[str, ...]
    science: tuple[str, ...]


@functools.lru_cache(maxsize=4)
def load_lists(path: Path = LISTS_PATH) -> ChallengeLists:
    """The ingredient lists; BriefError naming the file when it is missing or malformed."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise BriefError(f"cannot read the challenge lists {path}: {e}") from None
    out = {}
    for key in ("titles", "lines", "props", "science"):
        items = data.get(key) if isinstance(data, dict) else None
        if not isinstance(items, list) or not items or not all(isinstance(x, str) and x.strip() for x in items):
            raise BriefError(f"{path}: {key!r} must be a non-empty list of text")
        out[key] = tuple(items)
    return ChallengeLists(**out)


def lists_from(data: dict, where: str = "this pool") -> ChallengeLists:
    """ChallengeLists from {"titles"|"title": [...], ...}; BriefError naming the first empty required list
    (titles, lines, props; science may be empty)."""
    out = {}
    for key, single in (("titles", "title"), ("lines", "line"), ("props", "prop"), ("science", "science")):
        items = [x.strip() for x in (data.get(key) or data.get(single) or ()) if isinstance(x, str) and x.strip()]
        if not items and key != "science":
            raise BriefError(f"{where} has no {key}: add some before a challenge can be drawn from it")
        out[key] = tuple(items)
    return ChallengeLists(**out)


def random_brief(seed: int | None = None, config: ChallengeConfig = ChallengeConfig(),
                 lists: ChallengeLists | None = None) -> Brief:
    """A validated challenge brief; deterministic for a given ``seed`` (None: a fresh random seed).

    ``lists``: a server's own pool (default: the shipped lists). The seed used is kept in
    ``brief.extra["seed"]`` so any brief can be drawn again.
    """
    if seed is None:
        seed = random.SystemRandom().randrange(2**32)
    rng = random.Random(seed)
    lists = lists or load_lists(config.lists_path)
    title = rng.choice(lists.titles)
    line = rng.choice(lists.lines)
    n_props = rng.randint(1, max(1, min(config.max_props, len(lists.props))))
    props = tuple(rng.sample(lists.props, n_props))
    roll = rng.random()
    science = rng.choice(lists.science) if lists.science and roll < config.science_chance else None
    brief = Brief(title=title, lines=(line,), props=props, science=science, pages=config.pages,
                  extra={"seed": seed, "source": "challenge"})
    return brief.validated()
