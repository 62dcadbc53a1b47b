"""/produce, /queue, /job info, previews, long jobs, secrets, and the real `python bot.py run`."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from storage.briefs import get_brief
from tests.bot.test_discord_flow import start_film, wait_msgs
from tests.bot.test_discord_more import _voting

ROOT = Path(__file__).resolve().parents[2]


def test_produce_closes_the_latest_vote_for_the_requester_or_an_admin(make_stack, discord_double):
    d, w = discord_double, discord_double.default
    st = make_stack()
    brief_id, _, _ = _voting(d, st, w.member_id)
    h = d.invoke_slash("produce", user=w.other_member_id, channel_id=w.films_id)
    assert "Only the person who asked" in h.wait_original().content
    d.invoke_slash("produce", user=w.admin_id, channel_id=w.films_id).wait_original()
    wait_msgs(d, w.films_id, lambda m: "wins" in m.content, what="closed by admin")
    assert get_brief(st.db, brief_id)["status"] in ("producing", "done", "posted")
    h = d.invoke_slash("produce", user=w.admin_id, channel_id=w.films_id)
    assert "no open vote" in h.wait_original().content


def test_closing_a_vote_answers_even_when_the_bot_cannot_post_there(make_stack, discord_double):
    from tests.discord_double.state import SEND_MESSAGES

    d, w = discord_double, discord_double.default
    st = make_stack()
    brief_id, _, _ = _voting(d, st, w.member_id)
    d.set_channel_permissions(w.films_id, w.bot_role_id, deny=SEND_MESSAGES)
    h = d.invoke_slash("produce", user=w.member_id, channel_id=w.films_id)
    assert h.wait_original().content == "Closed."
    assert get_brief(st.db, brief_id)["status"] in ("producing", "done", "posted")
    assert st.rows("select kind from jobs where brief_id = ? and kind = 'film'", [brief_id])


def test_queue_and_job_info(make_stack, discord_double, fake_jobs):
    d, w = discord_double, discord_double.default
    fake_jobs.film_gate = threading.Event()
    st = make_stack()
    brief_id, ballot, _ = _voting(d, st, w.member_id)
    d.click_button(ballot.id, f"benjamin:vote:close:{brief_id}", w.member_id)
    job = d.wait_for(lambda: st.rows("select * from jobs where kind='film' and status='running'"), what="film")[0]
    q = d.invoke_slash("queue", user=w.member_id, channel_id=w.films_id).wait_original().content
    assert f"1. job #{job['id']} · film · <@{w.member_id}> · running" in q and "← yours" in q
    info = d.invoke_slash("job", subcommand="info", user=w.other_member_id, channel_id=w.films_id,
                          options={"job": job["id"]}).wait_original().content
    assert "**Title:** Moonrise" in info and "Take 1 · seed 1001" in info and "max_mb" in info
    fake_jobs.film_gate.set()


def test_progress_shows_a_preview_and_survives_the_interaction_token(make_stack, discord_double, fake_jobs,
                                                                      monkeypatch):
    d, w = discord_double, discord_double.default
    fake_jobs.film_steps = 10
    fake_jobs.film_gate = threading.Event()
    st = make_stack()
    brief_id, ballot, _ = _voting(d, st, w.member_id)
    d.click_button(ballot.id, f"benjamin:vote:close:{brief_id}", w.member_id)
    progress = wait_msgs(d, w.films_id, lambda m: m.content.startswith("🎬 **film**") and m.attachments,
                         what="a preview still")[0]
    assert progress.attachments[0].filename == "preview.png"
    d.advance_clock(16 * 60)  # past the 15-minute interaction token: progress is a channel message
    fake_jobs.film_gate.set()
    wait_msgs(d, w.films_id, lambda m: any(a.filename.endswith(".mp4") for a in m.attachments), what="film")
    assert "done" in d.message(progress.id).content


def test_no_token_in_logs(make_stack, discord_double, caplog):
    caplog.set_level(logging.DEBUG)
    d, w = discord_double, discord_double.default
    make_stack()
    start_film(d, w.member_id)
    wait_msgs(d, w.films_id, lambda m: m.content.startswith("🗳️"), what="ballot")
    ours = [r for r in caplog.records if r.name.split(".")[0] in ("bot", "discord", "storage", "engine")]
    assert ours and not [r for r in ours if d.token in r.getMessage()]


def test_bot_py_run_needs_a_token():
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    r = subprocess.run([sys.executable, "bot.py", "--env-file", "/nonexistent", "run"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "DISCORD_TOKEN is not set" in r.stderr and "Traceback" not in r.stderr


def _bot_py_run(d, home: Path, ignore_sigint: bool = False) -> subprocess.Popen:
    env = {**os.environ, "BENJAMIN_HOME": str(home), "DISCORD_TOKEN": d.token,
           "DISCORD_API_BASE": d.api_base, "BENJAMIN_INLINE_WORKER": "1"}
    def ignore():  # what a shell's background job (`bot.py run &`) inherits
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    return subprocess.Popen([sys.executable, "bot.py", "--env-file", "/nonexistent", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=ignore if ignore_sigint else None)


def test_bot_py_run_connects_and_answers_and_stops_on_sigint_even_started_with_it_ignored(discord_double, tmp_path):
    d, w = discord_double, discord_double.default
    proc = _bot_py_run(d, tmp_path / "home", ignore_sigint=True)
    try:
        d.wait_for(lambda: "film" in d.commands() and d.connected, timeout=60, what="bot.py run to connect")
        assert {"film", "queue", "cancel", "produce", "job", "cast", "train"} <= set(d.commands())
        h = d.invoke_slash("queue", user=w.member_id, channel_id=w.general_id)
        assert "The queue is empty" in h.wait_original(timeout=60).content
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=90)  # a safety net: it stops in seconds, slower on a loaded machine
    assert proc.returncode == 0 and "Traceback" not in err, err[-2000:]
    assert d.token not in err + out


def test_bot_py_run_stops_on_sigterm_with_a_job_running_and_gives_the_job_back(discord_double, tmp_path):
    from storage import jobs
    from tests.studio.test_worker_process import make_job

    db, job = make_job(tmp_path / "home", takes=2)
    proc = _bot_py_run(discord_double, tmp_path / "home")
    try:
        discord_double.wait_for(lambda: discord_double.connected and jobs.get_job(db, job)["save_points"] > 0,
                                timeout=120, what="bot.py run to connect and its worker to start the job")
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=90)  # a safety net: it stops in seconds, slower on a loaded machine
    assert proc.returncode == 0 and "Traceback" not in err, err[-2000:]
    row = jobs.get_job(db, job)
    assert row["status"] == "queued" and row["lease_owner"] is None  # resumable by the next worker


def test_a_failing_command_answers_instead_of_going_silent(make_stack, discord_double, monkeypatch):
    import storage.jobs

    def broken(db, workers=1):
        raise RuntimeError("boom at /secret/path")

    d, w = discord_double, discord_double.default
    make_stack()
    monkeypatch.setattr(storage.jobs, "queue", broken)
    h = d.invoke_slash("queue", user=w.member_id, channel_id=w.films_id)
    text = h.wait_original().content
    assert "Something went wrong" in text and "boom" not in text and "Traceback" not in text


def test_a_failing_button_answers_instead_of_going_silent(make_stack, discord_double, monkeypatch):
    import studio.voting

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    d, w = discord_double, discord_double.default
    st = make_stack()
    brief_id, ballot, _ = _voting(d, st, w.member_id)
    monkeypatch.setattr(studio.voting, "winner", broken)
    h = d.click_button(ballot.id, f"benjamin:vote:close:{brief_id}", w.member_id)
    text = h.wait_original().content
    assert "Something went wrong" in text and "boom" not in text
    assert get_brief(st.db, brief_id)["status"] == "voting"
