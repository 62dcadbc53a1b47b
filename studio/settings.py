"""Settings: the one place that reads ``.env`` and the environment (the bot and worker machines alike).

Every setting is documented in ``.env.example``. Secrets never appear in ``repr`` or logs.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path


class SettingsError(Exception):
    """A setting is missing or has a value we cannot use."""


@dataclass(frozen=True)
class Settings:
    home: Path = Path("data")  # BENJAMIN_HOME: database, jobs, films, cast, checkpoints
    discord_token: str | None = field(default=None, repr=False)  # DISCORD_TOKEN (secret)
    device: str = "auto"  # BENJAMIN_DEVICE: auto|cpu|cuda
    vote_seconds: int = 600  # BENJAMIN_VOTE_SECONDS: how long a vote stays open
    max_takes: int = 6  # BENJAMIN_MAX_TAKES: takes per brief, 🔄 included
    max_queued_per_user: int = 2  # BENJAMIN_MAX_QUEUED: queued jobs per user
    writer_model: Path | None = None  # BENJAMIN_WRITER_MODEL: checkpoint; default is the shipped one
    max_mb: float = 10.0  # BENJAMIN_MAX_MB: film size limit when no guild limit is known
    inline_worker: bool = True  # BENJAMIN_INLINE_WORKER: run a worker thread inside `run`
    challenge_cron: str | None = None  # BENJAMIN_CHALLENGE_CRON: scheduled 48-hour challenges
    challenge_channel: int | None = None  # BENJAMIN_CHALLENGE_CHANNEL: where they are posted
    challenge_hours: int = 48  # BENJAMIN_CHALLENGE_HOURS: how long a challenge runs (its film premieres then)
    discord_api: str | None = None  # DISCORD_API_BASE: override the API base URL (tests)
    log_level: str = "INFO"  # BENJAMIN_LOG_LEVEL
    progress_edit_seconds: float = 5.0  # BENJAMIN_PROGRESS_EDIT_SECONDS: min gap between edits of a progress message
    queue_url: str | None = field(default=None, repr=False)  # BENJAMIN_QUEUE_URL: redis://HOST:PORT/N = Celery workers
    store_url: str | None = field(default=None, repr=False)  # BENJAMIN_STORE_URL: s3://KEY:SECRET@HOST:PORT/BUCKET | file:///DIR
    queue_visibility_s: float = 6 * 3600.0  # BENJAMIN_QUEUE_VISIBILITY_S: Redis redelivers an unacknowledged job after it
    remote_followers: int = 8  # BENJAMIN_REMOTE_JOBS: jobs the bot follows on worker machines at once

    @property
    def remote(self) -> bool:
        """Jobs run on Celery workers (BENJAMIN_QUEUE_URL), not in this machine's worker threads."""
        return bool(self.queue_url)

    @property
    def db_path(self) -> Path:
        return self.home / "benjamin.db"

    @property
    def jobs_dir(self) -> Path:
        return self.home / "jobs"

    def require_token(self) -> str:
        if not self.discord_token:
            raise SettingsError("DISCORD_TOKEN is not set: put it in .env (see .env.example)")
        return self.discord_token

    def ensure_home(self) -> Path:
        """Create the data folder, or say clearly why it cannot be used."""
        try:
            self.home.mkdir(parents=True, exist_ok=True)
            probe = self.home / ".write-test"
            probe.write_text("ok")
            probe.unlink()
        except OSError as e:
            raise SettingsError(f"BENJAMIN_HOME={self.home} is not writable: {e.strerror or e}") from None
        return self.home


_ENV = {
    "home": "BENJAMIN_HOME",
    "discord_token": "DISCORD_TOKEN",
    "device": "BENJAMIN_DEVICE",
    "vote_seconds": "BENJAMIN_VOTE_SECONDS",
    "max_takes": "BENJAMIN_MAX_TAKES",
    "max_queued_per_user": "BENJAMIN_MAX_QUEUED",
    "writer_model": "BENJAMIN_WRITER_MODEL",
    "max_mb": "BENJAMIN_MAX_MB",
    "inline_worker": "BENJAMIN_INLINE_WORKER",
    "challenge_cron": "BENJAMIN_CHALLENGE_CRON",
    "challenge_channel": "BENJAMIN_CHALLENGE_CHANNEL",
    "challenge_hours": "BENJAMIN_CHALLENGE_HOURS",
    "discord_api": "DISCORD_API_BASE",
    "log_level": "BENJAMIN_LOG_LEVEL",
    "progress_edit_seconds": "BENJAMIN_PROGRESS_EDIT_SECONDS",
    "queue_url": "BENJAMIN_QUEUE_URL",
    "store_url": "BENJAMIN_STORE_URL",
    "queue_visibility_s": "BENJAMIN_QUEUE_VISIBILITY_S",
    "remote_followers": "BENJAMIN_REMOTE_JOBS",
}


def load_settings(env_file: str | os.PathLike | None = ".env", environ: dict | None = None) -> Settings:
    """Read settings from ``environ`` (default os.environ) over ``env_file`` (if it exists)."""
    values: dict[str, str] = {}
    if env_file and Path(env_file).is_file():
        from dotenv import dotenv_values

        try:
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        except (OSError, UnicodeDecodeError) as e:  # unreadable, or not UTF-8 text
            raise SettingsError(f"cannot read the settings file {env_file}: {e}") from None
    values.update(os.environ if environ is None else environ)
    kwargs = {}
    for f in fields(Settings):
        raw = values.get(_ENV[f.name])
        if raw is None or raw.strip() == "":
            continue
        kwargs[f.name] = _convert(f.name, _ENV[f.name], raw.strip())
    settings = Settings(**kwargs)
    if settings.device not in {"auto", "cpu", "cuda"}:
        raise SettingsError(f"BENJAMIN_DEVICE must be auto, cpu or cuda, not {settings.device!r}")
    return settings


# numeric settings: (type, the lowest value, whether that value itself is allowed)
_NUMBERS = {"queue_visibility_s": (float, 60, True), "remote_followers": (int, 1, True),
            "vote_seconds": (int, 0, True), "max_takes": (int, 0, True), "max_queued_per_user": (int, 0, True),
            "challenge_channel": (int, 0, True), "challenge_hours": (int, 1, True), "max_mb": (float, 0, False),
            "progress_edit_seconds": (float, 0, True)}


def _convert(name: str, env: str, raw: str):
    try:
        if name in {"home", "writer_model"}:
            return Path(raw).expanduser()
        if name == "queue_url":
            if not raw.startswith(("redis://", "rediss://")):  # (the value may hold a password: not echoed)
                raise SettingsError(f"{env} must look like redis://HOST:PORT/N")
            return raw
        if name in _NUMBERS:
            kind, lowest, inclusive = _NUMBERS[name]
            value = kind(raw)
            if not (value >= lowest if inclusive else value > lowest):  # (NaN is never in range)
                raise ValueError
            return value
        if name == "inline_worker":
            if raw.lower() in {"1", "true", "yes", "on"}:
                return True
            if raw.lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError
        if name == "device":
            return raw.lower()
        if name == "log_level":
            return raw.upper()
        return raw
    except ValueError:
        raise SettingsError(f"{env}={raw!r} is not a valid value") from None
