"""Benjamin against the Discord double: the real bot (real discord.py HTTP + gateway) plus a worker thread.

Job handlers are small stand-ins by default (instant takes, a fake mp4), so the Discord side is tested
quickly and deterministically; test_end_to_end.py runs the real engine handlers.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

from bot.cli.run import build_bot
from bot.settings import load_settings
from studio.worker import Worker
from engine.progress import Progress
from storage.briefs import get_brief
from storage.db import open_db
from storage.films import add_film
from storage.takes import add_take


def settings_for(double, home: Path, **env: str):
    base = {"BENJAMIN_HOME": str(home), "DISCORD_TOKEN": double.token, "DISCORD_API_BASE": double.api_base,
            "BENJAMIN_DEVICE": "cpu", "BENJAMIN_PROGRESS_EDIT_SECONDS": "0.2", "BENJAMIN_VOTE_SECONDS": "600",
            "BENJAMIN_INLINE_WORKER": "0"}
    base.update(env)
    return load_settings(None, environ=base)


class FakeJobs:
    """Stand-in handlers. ``film_gate``: the film job waits for it (restart tests); ``film_bytes``: mp4 size."""

    def __init__(self) -> None:
        self.film_gate: threading.Event | None = None
        self.film_bytes = 20_000
        self.film_steps = 0  # extra progress reports (0.05 s apart) before the film is done
        self.film_notes: list[str] = []  # what the film's swap had to say

    def handlers(self) -> dict:
        return {"write": self.write, "film": self.film}

    def write(self, ctx) -> dict:
        payload = ctx.job["payload"]
        brief = get_brief(ctx.db, payload["brief_id"])["brief"]
        n, start = int(payload.get("takes") or 1), int(payload.get("start_index") or 0)
        ctx.job_dir.mkdir(parents=True, exist_ok=True)
        ids = []
        for i in range(start + 1, start + n + 1):
            ctx.on_progress(Progress("write", (i - start - 1) / n, f"writing take {i}"))
            f = ctx.job_dir / f"take{i}.fountain"
            f.write_text(f"Title: {brief['title']}\n\nINT. ROOM - DAY\n\nALICE\n{brief['lines'][0]}\n\n"
                         f"She picks up {brief['props'][0]}.\n", encoding="utf-8")
            pdf = ctx.job_dir / f"take{i}.pdf"
            pdf.write_bytes(b"%PDF-1.4\n% stand-in\n")
            ids.append(add_take(ctx.db, payload["brief_id"], index=i, fountain_path=str(f), pdf_path=str(pdf),
                                seed=1000 + i, score=0.0))
        return {"brief_id": payload["brief_id"], "take_ids": ids}

    def film(self, ctx) -> dict:
        payload = ctx.job["payload"]
        ctx.job_dir.mkdir(parents=True, exist_ok=True)
        poster = ctx.job_dir / "poster.png"
        poster.write_bytes(b"\x89PNG\r\n\x1a\n")
        for k in range(self.film_steps):
            preview = poster if k == self.film_steps // 2 else None  # a still, halfway through
            ctx.on_progress(Progress("render", k / max(1, self.film_steps), f"frame {k}", eta_s=self.film_steps - k,
                                     preview=preview))
            time.sleep(0.05)
        while self.film_gate is not None and not self.film_gate.wait(0.05):
            ctx.on_progress(Progress("render", 0.5, "waiting"))  # raises when cancelled
        ctx.job_dir.mkdir(parents=True, exist_ok=True)
        path = ctx.job_dir / "film.mp4"
        path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * max(0, self.film_bytes - 12))
        add_film(ctx.db, ctx.job["id"], path=str(path), duration_s=12.0, size_bytes=path.stat().st_size,
                 poster=str(poster), brief_id=payload["brief_id"], take_id=payload["take_id"])
        return {"film": str(path), "credits": ["Written by Benjamin (AI)", "Voices: synthetic"],
                "notes": list(self.film_notes)}


class Stack:
    """A bot and a worker on one settings; start/stop each independently (restarts)."""

    def __init__(self, double, run_bot, settings, handlers: dict | None, film_overrides: dict | None = None):
        self.double, self.run_bot, self.settings = double, run_bot, settings
        self.handlers = handlers
        self.film_overrides = film_overrides
        self.bot = None
        self.clock = None  # the bot's clock (None: real time); challenges run on it
        self._worker_stop = None
        self.db = open_db(settings.db_path)

    def start_bot(self):
        s = self.settings
        self.bot = self.run_bot(lambda: build_bot(s, poll_seconds=0.1, guild_ready_timeout=0.1,
                                                  film_overrides=self.film_overrides, clock=self.clock))
        return self.bot

    def stop_bot(self) -> None:
        self.bot.stop()

    def start_worker(self) -> None:
        worker = Worker(self.settings, handlers=self.handlers, poll_s=0.05, lease_s=20)
        _thread, self._worker_stop = worker.start_thread()

    def stop_worker(self) -> None:
        if self._worker_stop is not None:
            self._worker_stop.set()
            self._worker_stop = None

    def rows(self, sql: str, params=()) -> list[dict]:
        return list(self.db.query(sql, params))
