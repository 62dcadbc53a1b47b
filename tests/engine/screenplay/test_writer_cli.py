"""`bot.py write` and `bot.py train` from a shell: files, JSON summary, one-line errors."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.screenplay.fdx import parse_fdx
from engine.screenplay.fountain import parse_fountain

ROOT = Path(__file__).resolve().parents[3]


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "BENJAMIN_DEVICE": "cpu"}
    return subprocess.run([sys.executable, "bot.py", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env, timeout=300)


def test_write_makes_takes_and_a_json_summary(tiny_model, tmp_path):
    r = _run("write", "--title", "Sunspring", "--line", "I don't know what you're talking about.",
             "--line", "Ça va? 🚀", "--prop", "a pearl", "--prop", "an eyeball", "--science", "entropy",
             "--takes", "2", "--pages", "1", "--seed", "3", "--model", str(tiny_model), "--out", str(tmp_path),
             "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["title"] == "Sunspring" and summary["best"] in (1, 2)
    for take in summary["takes"]:
        fountain = Path(take["fountain"])
        assert fountain == tmp_path / f"take-{take['index']}.fountain"
        assert Path(take["pdf"]).read_bytes().startswith(b"%PDF")
        sp = parse_fountain(fountain.read_text(encoding="utf-8"))
        assert take["scenes"] == len(sp.scenes) and take["characters"] == sp.characters()
        assert take["words"] == sp.word_count() > 20
        assert "Ça va? 🚀" in [d.text for _, d in sp.dialogue()]
        assert parse_fdx(Path(take["fdx"]).read_text(encoding="utf-8")) == sp  # Final Draft gets the same script


@pytest.mark.parametrize("args, message", [
    (["--title", ""], "needs a title"),
    (["--title", "T", "--line", "x" * 301], "limit is 300"),
    (["--title", "T", *sum((["--prop", f"p{i}"] for i in range(20)), [])], "at most 10 props"),
    (["--title", "T", "--model", "/no/such/model.pt"], "no writer checkpoint"),
    (["--title", "T", "--model", "pyproject.toml"], "not a readable checkpoint"),
    (["--title", "T", "--takes", "0"], "--takes"),
    (["--title", "T", "--cast-names", "Ada", "42"], "cannot be a character's name"),
])
def test_write_errors_are_one_clear_line(args, message, capsys, monkeypatch):
    from bot.cli import main

    monkeypatch.chdir(ROOT)
    assert main(["--env-file", "", "write", *args]) in (1, 2)
    out, err = capsys.readouterr()
    assert message in err and err.count("\n") <= 2 and out == ""


def test_train_errors_are_one_clear_line(tmp_path):
    r = _run("train", "--corpus", str(tmp_path), "--out", str(tmp_path / "x.pt"))
    assert r.returncode == 1 and "no .fountain, .txt or .md files" in r.stderr and "Traceback" not in r.stderr


def test_write_names_characters_after_the_cast_when_asked(tiny_model, tmp_path):
    r = _run("write", "--title", "Names", "--line", "Hold the door.", "--takes", "2", "--seed", "4",
             "--model", str(tiny_model), "--cast-names", "Ada Lovelace", "Grace", "--out", str(tmp_path), "--json")
    assert r.returncode == 0, r.stderr
    for take in json.loads(r.stdout)["takes"]:
        sp = parse_fountain(Path(take["fountain"]).read_text(encoding="utf-8"))
        speakers = [d.character for _, d in sp.dialogue()]
        assert {"ADA LOVELACE", "GRACE"} <= set(speakers)  # the two busiest speakers are the cast
        assert "Hold the door." in [d.text for _, d in sp.dialogue()]


def test_train_for_a_time_budget(tmp_path):
    from writer_fixtures import small_corpus

    r = _run("train", "--preset", "tiny", "--minutes", "0.02", "--corpus", *map(str, small_corpus()),
             "--out", str(tmp_path / "m.pt"), "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["steps"] > 0 and (tmp_path / "m.pt").is_file() and summary["val_bpc"] < 8
    bad = _run("train", "--preset", "tiny", "--minutes", "0", "--out", str(tmp_path / "n.pt"))
    assert bad.returncode != 0 and "--minutes must be more than 0" in bad.stderr and "Traceback" not in bad.stderr


def test_train_fine_tunes_a_model_on_a_weighted_corpus(tiny_model, tmp_path):
    from writer_fixtures import small_corpus

    play = str(small_corpus()[0])
    r = _run("train", "--init", str(tiny_model), "--steps", "3", "--corpus", f"{play}:2",
             "--out", str(tmp_path / "tuned.pt"), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["steps"] == 3
    bad = _run("train", "--init", str(tiny_model), "--preset", "tiny", "--out", str(tmp_path / "n.pt"))
    assert bad.returncode != 0 and "leave out --preset" in bad.stderr and "Traceback" not in bad.stderr
    gone = _run("train", "--init", str(tmp_path / "nothing.pt"), "--out", str(tmp_path / "n.pt"))
    assert gone.returncode != 0 and "no writer checkpoint" in gone.stderr and "Traceback" not in gone.stderr
