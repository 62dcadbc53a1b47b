"""What a newcomer's hostile or mistaken command lines found: each fails early with one clear line, or is handled."""
import argparse
import json
import os
import subprocess
from pathlib import Path

import pytest

from bot.cli import main as cli


def _jobs() -> int:
    """Jobs ever queued in this test's BENJAMIN_HOME (any status)."""
    db_path = Path(os.environ["BENJAMIN_HOME"]) / "benjamin.db"
    if not db_path.exists():
        return 0
    from storage.db import open_db

    db = open_db(db_path)
    return db["jobs"].count if db["jobs"].exists() else 0


def _one_line_error(err: str) -> str:
    lines = [x for x in err.strip().splitlines() if x.strip()]
    assert lines and "Traceback" not in err, err
    return lines[-1]


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """A real 2-second video with no audio track (made with imageio-ffmpeg's binary)."""
    import imageio_ffmpeg

    out = tmp_path_factory.mktemp("clips") / "silent.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc=size=160x120:rate=12", "-t", "2", "-pix_fmt", "yuv420p", str(out)], check=True)
    return out


def test_cards_draw_cyrillic_hebrew_and_arabic_not_empty_boxes():
    from engine.render import cards

    if not list(Path("/usr/share/fonts").glob("**/DejaVuSans.ttf")):
        pytest.skip("no DejaVu Sans installed on this machine (Vera, the fallback, has only Latin glyphs)")
    fnt = cards.font(24)
    missing = bytes(fnt.getmask("\U000F0000"))  # a private-use code point: the font's empty box
    for ch in "ЖשمΩ":
        assert bytes(fnt.getmask(ch)) != missing, ch


def test_footage_folder_of_corrupt_clips_is_refused_before_any_work(tmp_path, capsys):
    folder = tmp_path / "clips"
    folder.mkdir()
    (folder / "a.mp4").write_bytes(os.urandom(4000))
    (folder / "b.mp4").write_bytes(b"")
    rc = cli(["make", "--takes", "1", "--footage", str(folder)])
    err = _one_line_error(capsys.readouterr().err)
    assert rc != 0 and "could be read as video" in err and "a.mp4" in err
    assert _jobs() == 0  # nothing queued, nothing written


def test_footage_keeps_the_readable_clips_of_a_mixed_folder(tmp_path, clip):
    from engine.errors import FootageError
    from engine.pipeline.produce import footage_shots

    bad = tmp_path / "bad.mp4"
    bad.write_bytes(os.urandom(4000))
    shots = footage_shots([bad, clip])
    assert shots and {s.path for s in shots} == {clip}
    with pytest.raises(FootageError):
        footage_shots([bad])


def test_footage_given_a_file_says_it_wants_a_folder(clip, capsys):
    rc = cli(["make", "--takes", "1", "--footage", str(clip)])
    err = _one_line_error(capsys.readouterr().err)
    assert rc != 0 and "is a file" in err and "does not exist" not in err


@pytest.mark.parametrize("flags, says", [
    (["--size", "1x1"], "--size 1x1 is out of range"),
    (["--size", "99999x99999"], "out of range"),
    (["--takes", "2", "--take", "3"], "--take must be between 1 and --takes (2)"),
    (["--take", "0"], "--take must be between 1"),
    (["--max-mb", "inf"], "--max-mb must be a number above 0"),
    (["--max-mb", "nan"], "--max-mb must be a number above 0"),
    (["--seed", str(10**23)], "--seed must be between"),
    (["--demo", "--title", "Mine", "--line", "hi"], "--demo makes the default film and ignores --title, --line"),
    (["--demo", "--footage", "."], "ignores --footage"),
])
def test_make_rejects_impossible_numbers_before_writing(flags, says, capsys):
    rc = cli(["make", *flags])
    err = _one_line_error(capsys.readouterr().err)
    assert rc != 0 and says in err
    assert _jobs() == 0


def test_make_out_under_a_file_is_refused_before_writing(tmp_path, capsys):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    rc = cli(["make", "--takes", "1", "--out", str(blocker / "film.mp4")])
    err = _one_line_error(capsys.readouterr().err)
    assert rc != 0 and "is a file, not a folder" in err
    assert _jobs() == 0


def test_make_out_an_existing_folder_puts_the_film_inside(tmp_path, capsys):
    from bot.cli.make import _report
    from bot.settings import load_settings

    film = tmp_path / "job" / "film.mp4"
    film.parent.mkdir()
    film.write_bytes(b"\x00" * 64)
    outdir = tmp_path / "films here"
    outdir.mkdir()
    row = {"id": 7, "status": "done", "error": None, "payload": {"brief": {"title": "Lumière à l'œil"}},
           "result": {"film": str(film), "duration_s": 1.0, "size_bytes": 64}}
    rc = _report(argparse.Namespace(out=outdir, json=True), load_settings(None), row)
    result = json.loads(capsys.readouterr().out)
    assert rc == 0 and Path(result["out"]).parent == outdir.resolve()
    assert Path(result["out"]).read_bytes() == film.read_bytes()


def test_train_out_under_a_file_is_refused_before_training(tmp_path, capsys):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    rc = cli(["train", "--preset", "tiny", "--steps", "1", "--out", str(blocker / "w.pt")])
    err = _one_line_error(capsys.readouterr().err)
    assert rc != 0 and "is a file, not a folder" in err


def test_save_checkpoint_into_a_folder_is_a_model_error(tmp_path):
    """A save that cannot happen (after hours of training) is one clear ModelError, leaving no .tmp behind."""
    from engine.errors import ModelError
    from engine.screenplay.checkpoint import Checkpoint, save_checkpoint
    from engine.screenplay.model import CharLSTM, ModelConfig

    model = CharLSTM(ModelConfig(vocab_size=5, embed=4, hidden=4, layers=1))
    target = tmp_path / "taken"
    target.mkdir()
    with pytest.raises(ModelError, match="cannot save the checkpoint"):
        save_checkpoint(Checkpoint(model=model, vocab="abcde"), target)
    assert not list(tmp_path.glob("*.tmp"))  # no temp file left beside it


def test_write_twice_keeps_the_first_takes(tmp_path):
    """Two `bot.py write` runs without --out each get their own folder; the first run's takes survive."""
    from bot.cli.write import fresh_folder

    root = tmp_path / "takes"
    first = fresh_folder(root, "The Last Lighthouse")
    (first / "take-1.fountain").write_text("first")
    second = fresh_folder(root, "The Last Lighthouse")
    third = fresh_folder(root, "مرحبا")
    assert len({first, second, third}) == 3 and (first / "take-1.fountain").read_text() == "first"
    assert all(p.parent == root for p in (first, second, third))


def test_a_line_typed_over_several_lines_keeps_its_words_apart():
    """A newline in --line/--prop/--title is a space, never glued words ("multi\\nline" is not "multiline")."""
    from engine.brief import Brief

    b = Brief(title="The\nLast", lines=("I was never\nmeant\r\nto keep\x00 it",), props=("a brass\ntelescope",)).validated()
    assert b.title == "The Last" and b.lines == ("I was never meant to keep it",)
    assert b.props == ("a brass telescope",)


def test_write_with_a_folder_that_is_not_a_model_says_so_on_one_line(tmp_path, capsys):
    pytest.importorskip("transformers")
    empty = tmp_path / "not-a-model"
    empty.mkdir()
    rc = cli(["write", "--title", "T", "--line", "hi", "--prop", "x", "--takes", "1", "--model", str(empty),
              "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc != 0 and "Traceback" not in err
    said = [x for x in err.splitlines() if "bot.py write: error:" in x]
    assert said and "not a transformers causal LM folder" in said[0] and said[0].rstrip().endswith(")")


@pytest.mark.parametrize("command", [["jobs"], ["cast", "list"], ["worker", "--until-empty"]])
def test_a_damaged_database_is_one_clear_line(command, capsys):
    home = Path(os.environ["BENJAMIN_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "benjamin.db").write_bytes(b"not sqlite at all " * 400)
    rc = cli(command)
    err = _one_line_error(capsys.readouterr().err)
    assert rc != 0 and "benjamin.db cannot be used" in err
    assert (home / "benjamin.db").read_bytes().startswith(b"not sqlite")  # left as it was


def test_emoji_the_font_lacks_are_left_out_of_subtitles_not_drawn_as_boxes():
    import numpy as np

    from engine.render import cards

    with_emoji, y1 = cards.subtitle_overlay(640, 360, "Keep the light 🎬🔥 burning")
    plain, y2 = cards.subtitle_overlay(640, 360, "Keep the light burning")
    assert y1 == y2 and np.array_equal(with_emoji, plain)
    assert cards.drawable("🎬🔥") == "🎬🔥"  # nothing drawable left: shown as given rather than blank
    tag = cards.name_tag(640, 360, "@everyone 🎬 Ann", None)
    assert np.array_equal(tag, cards.name_tag(640, 360, "@everyone Ann", None))


@pytest.mark.parametrize("kind", ["folder", "not-utf8"])
def test_a_bad_env_file_is_one_clear_line(kind, tmp_path, capsys):
    path = tmp_path / "settings.env"
    if kind == "folder":
        path.mkdir()
    elif kind == "not-utf8":
        path.write_bytes(b"BENJAMIN_MAX_MB=\x00\xff\n")
    rc = cli(["--env-file", str(path), "jobs"])
    err = _one_line_error(capsys.readouterr().err)
    assert rc != 0 and str(path) in err
