import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_and_env_override(tmp_path):
    env = tmp_path / ".env"
    env.write_text("BENJAMIN_HOME=/tmp/from-file\nBENJAMIN_VOTE_SECONDS=30\nDISCORD_TOKEN=secret-token\n")
    s = load_settings(env, environ={"BENJAMIN_VOTE_SECONDS": "45"})
    assert str(s.home) == "/tmp/from-file"
    assert s.vote_seconds == 45  # environment wins over .env
    assert s.device == "auto"
    assert "secret-token" not in repr(s)  # secrets never in repr/logs


def test_bad_values_are_clear(tmp_path):
    with pytest.raises(SettingsError, match="BENJAMIN_DEVICE"):
        load_settings(None, environ={"BENJAMIN_DEVICE": "tpu"})
    with pytest.raises(SettingsError, match="BENJAMIN_VOTE_SECONDS"):
        load_settings(None, environ={"BENJAMIN_VOTE_SECONDS": "soon"})
    for env, raw in (("BENJAMIN_VOTE_SECONDS", "-1"), ("BENJAMIN_MAX_MB", "0"), ("BENJAMIN_MAX_MB", "nan"),
                     ("BENJAMIN_CHALLENGE_HOURS", "0")):  # out of range (a film size of nan was once taken)
        with pytest.raises(SettingsError, match=env):
            load_settings(None, environ={env: raw})
    assert load_settings(None, environ={"BENJAMIN_VOTE_SECONDS": "0", "BENJAMIN_MAX_MB": "0.5"}).max_mb == 0.5


def test_unwritable_home_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    s = load_settings(None, environ={"BENJAMIN_HOME": str(blocker / "home")})
    with pytest.raises(SettingsError, match="not writable"):
        s.ensure_home()


def _cli(*args, env_extra=None, cwd=ROOT):
    import os

    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "bot.py", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_help_lists_commands():
    r = _cli("--help")
    assert r.returncode == 0
    assert "COMMAND" in r.stdout


def test_unknown_command_is_one_line_nonzero():
    r = _cli("frobnicate")
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
