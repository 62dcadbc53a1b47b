"""Random challenge briefs: always valid, varied, and the same for the same seed."""
from __future__ import annotations

import json

import pytest

from engine.brief import MAX_LINE, MAX_PROP, MAX_TITLE
from engine.challenge import LISTS_PATH, ChallengeConfig, load_lists, random_brief
from engine.errors import BriefError


def test_many_seeds_give_valid_briefs_from_the_shipped_lists():
    lists = load_lists()
    for seed in range(500):
        b = random_brief(seed)
        assert b == b.validated()
        assert b.title in lists.titles and len(b.title) <= MAX_TITLE
        assert len(b.lines) == 1 and b.lines[0] in lists.lines and len(b.lines[0]) <= MAX_LINE
        assert 1 <= len(b.props) <= 2 and len(set(b.props)) == len(b.props)
        assert all(p in lists.props and len(p) <= MAX_PROP for p in b.props)
        assert b.science is None or b.science in lists.science
        assert b.extra["seed"] == seed


def test_same_seed_same_brief_and_seeds_vary():
    assert all(random_brief(s) == random_brief(s) for s in range(200))
    briefs = [random_brief(s) for s in range(200)]
    assert len({b.title for b in briefs}) > 30  # the draw uses most of the lists
    assert len({b.lines[0] for b in briefs}) > 30
    assert {len(b.props) for b in briefs} == {1, 2}
    with_science = sum(b.science is not None for b in briefs)
    assert 40 < with_science < 160  # "sometimes"


def test_no_seed_draws_a_reproducible_brief():
    b = random_brief()
    assert random_brief(b.extra["seed"]) == b


def test_shipped_lists_are_big_enough_and_say_they_are_original():
    data = json.loads(LISTS_PATH.read_text(encoding="utf-8"))
    assert "original" in data["about"].lower()
    assert len(data["titles"]) >= 40 and len(data["lines"]) >= 40 and len(data["props"]) >= 40
    assert len(data["science"]) >= 20
    for key in ("titles", "lines", "props", "science"):
        assert len(set(data[key])) == len(data[key]), f"duplicates in {key}"


def test_bad_lists_file_is_a_clear_brief_error(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(BriefError, match="cannot read the challenge lists"):
        random_brief(1, ChallengeConfig(lists_path=broken))
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"titles": [], "lines": ["x"], "props": ["y"], "science": ["z"]}), encoding="utf-8")
    with pytest.raises(BriefError, match="'titles' must be a non-empty list"):
        random_brief(1, ChallengeConfig(lists_path=empty))
