"""What a challenge says in its channel, one function per step (plain text; Discord-free).

Times are Discord timestamps (``<t:…:F>`` full, ``<t:…:R>`` relative), so each reader sees their own zone.
User-written text goes through :func:`bot.text.safe` (no pings, no markdown surprises).
"""
from __future__ import annotations

from bot.text import format_duration, safe, tally_text


def _t(ts: float, style: str = "F") -> str:
    return f"<t:{int(ts)}:{style}>"


def hours_text(seconds: float) -> str:
    h = seconds / 3600
    return f"{h:g}-hour" if h >= 1 else f"{max(1, round(seconds / 60))}-minute"


def brief_lines(brief: dict) -> list[str]:
    props = ", ".join(safe(p, 80) for p in brief.get("props") or ())
    lines = [f"**Title:** {safe(brief.get('title'), 120)}",
             f"**Required line:** “{safe((brief.get('lines') or [''])[0], 300)}”",
             f"**Props:** {props}"]
    if brief.get("science"):
        lines.append(f"**Science:** {safe(brief['science'], 200)}")
    return lines


def estimate_text(est: dict) -> str:
    prod, margin, n = est.get("production_s", 0), est.get("margin_s", 0), est.get("jobs", 0)
    basis = f"measured on the last {n} film(s)" if n else "a first guess: no film has been made here yet"
    return (f"-# The vote closes when production must start: about {format_duration(prod)} to make the film "
            f"({basis}) plus {format_duration(margin)} to spare.")


def opened(ch: dict, brief: dict) -> str:
    b = brief["brief"]
    span = ch["deadline"] - (ch["slot_ts"] or ch["opened_at"])
    head = f"🎬 **{hours_text(span)} challenge #{ch['id']}!** Benjamin's brief:"
    return "\n".join([head, *brief_lines(b),
                      "Takes are being written now and will appear below: vote with a take's number, 🔄 asks for "
                      "another, `/cast add` puts you in the film.",
                      f"🗳️ Voting closes {_t(ch['close_at'])} ({_t(ch['close_at'], 'R')}).",
                      f"🍿 The film premieres here at the deadline, {_t(ch['deadline'])} ({_t(ch['deadline'], 'R')}).",
                      estimate_text(ch.get("estimate") or {})])


def reminder(ch: dict, brief: dict) -> str:
    return (f"⏳ Challenge #{ch['id']} *{safe(brief['brief'].get('title'), 100)}*: voting closes "
            f"{_t(ch['close_at'], 'R')} ({_t(ch['close_at'], 't')}), when production must start to premiere at "
            f"{_t(ch['deadline'], 't')}. Last chance to vote, or to `/cast add` yourself.")


def closed(ch: dict, brief: dict, data: dict) -> str:
    title = safe(brief["brief"].get("title"), 100)
    how = "closed early" if data.get("early") else "closed"
    win = f" **Take {data['take_index']}** wins" if data.get("take_index") else ""
    counts = f" ({tally_text(data['tally'], data['index_of'])})" if data.get("tally") else ""
    job = f" (job #{data['job_id']})" if data.get("job_id") else ""
    return (f"🗳️ Voting on challenge #{ch['id']} *{title}* {how}.{win}{counts}. Production has started{job}; "
            f"the film premieres here {_t(ch['deadline'], 'R')} ({_t(ch['deadline'])}).")


def no_takes(ch: dict, brief: dict, data: dict) -> str:
    why = "no take was ready to vote on" if data.get("writing") else "there were no takes"
    return (f"🗳️ Voting on challenge #{ch['id']} *{safe(brief['brief'].get('title'), 100)}* closed, but {why}, "
            "so there is no film this time.")


def failed(ch: dict, brief: dict) -> str:
    return (f"❌ Challenge #{ch['id']} *{safe(brief['brief'].get('title'), 100)}*: the film could not be made "
            "(the message above says why), so there is no premiere this time.")


def late(ch: dict, brief: dict, data: dict) -> str:
    job = data.get("job") or {}
    where = f" (still {safe(job.get('stage') or job.get('status') or 'queued', 40)}" + (
        f", {round(100 * (job.get('fraction') or 0))}%)" if job.get("status") == "running" else ")")
    return (f"⏰ The deadline of challenge #{ch['id']} *{safe(brief['brief'].get('title'), 100)}* is here, but the "
            f"film is not ready{where if job else ''}. It premieres here as soon as it is.")


def premiere(ch: dict, brief: dict, data: dict) -> str:
    title = safe(brief["brief"].get("title"), 100)
    take = data.get("take")
    missed = data.get("missed_by_s") or 0.0
    when = ("on the deadline" if missed < 60 else
            f"{format_duration(missed)} after the deadline: production ran late")
    lines = [f"🍿 **Premiere: *{title}*** · challenge #{ch['id']}" + (f" · take {take['index']}" if take else "")
             + f" · {when}"]
    film = data.get("film") or {}
    if film.get("duration_s"):
        lines.append(format_duration(film["duration_s"]))
    credits = (data.get("result") or {}).get("credits")
    if isinstance(credits, (list, tuple)):
        credits = "\n".join(str(c) for c in credits)
    lines.append("**Credits**")
    lines.append(safe(credits, 900) if credits else
                 "Written by Benjamin, an AI (a character-level LSTM). Voices are synthetic; faces may be AI-swapped.")
    if data.get("cast"):
        lines.append("**Cast:** " + safe(", ".join(data["cast"]), 300))
    voters = data.get("voters") or 0
    lines.append(f"**Votes:** {data.get('votes', 0)} of {voters} for this take" if voters else
                 "**Votes:** none were cast; the first take was produced")
    return "\n".join(lines)


def ended(ch: dict, brief: dict, user_id: int) -> str:
    return (f"🛑 Challenge #{ch['id']} *{safe(brief['brief'].get('title'), 100)}* was ended early by <@{user_id}>; "
            "no film this time.")


def status(ch: dict, brief: dict, *, takes: int, voters: int, cast: int, film_job: dict | None) -> str:
    phase = {"open": "writing takes" if brief["status"] == "writing" else "voting",
             "producing": "producing the film", "premiered": "premiered", "failed": "failed",
             "ended": "ended early"}[ch["phase"]]
    lines = [f"🎬 Challenge #{ch['id']} in <#{ch['channel_id']}>: **{phase}**", *brief_lines(brief["brief"]),
             f"Deadline: {_t(ch['deadline'])} ({_t(ch['deadline'], 'R')})"]
    if ch["phase"] == "open":
        lines.append(f"Voting closes {_t(ch['close_at'], 'R')} ({_t(ch['close_at'])})")
    if film_job and ch["phase"] == "producing":
        lines.append(f"Film: job #{film_job['id']}, {film_job['status']}"
                     + (f" ({safe(film_job.get('stage'), 30)}, {round(100 * (film_job.get('fraction') or 0))}%)"
                        if film_job["status"] == "running" else ""))
    lines.append(f"Takes: {takes} · votes: {voters} · cast: {cast} member(s)")
    return "\n".join(lines)


def history(rows: list[dict], guild_id: int, limit: int = 1900) -> str:
    """`/challenge history`: one entry per past challenge (studio.challenges.history_facts), newest first."""
    text = "📜 **Past challenges**\n"
    for r in rows:
        mid = r["message_id"]
        link = f"https://discord.com/channels/{guild_id}/{r['ch']['channel_id']}/{mid}" if mid else None
        line = history_line(r["ch"], r["brief"], take_index=r["take_index"], votes=r["votes"], voters=r["voters"],
                            link=link)
        if len(text) + len(line) + 1 > limit:
            break
        text += line + "\n"
    return text


def history_line(ch: dict, brief: dict, *, take_index: int | None, votes: int, voters: int, link: str | None) -> str:
    b = brief["brief"]
    head = (f"**#{ch['id']}** {_t(ch['opened_at'], 'd')} *{safe(b.get('title'), 80)}* · "
            f"“{safe((b.get('lines') or [''])[0], 80)}” · {safe(', '.join(b.get('props') or ()), 80)}")
    if ch["phase"] == "premiered":
        tail = f"take {take_index} won ({votes} of {voters} vote(s)) · film: {link or 'posted'}"
    else:
        tail = {"failed": "no film (it failed)", "ended": "ended early, no film"}.get(ch["phase"], ch["phase"])
    return f"{head}\n  {tail}"
