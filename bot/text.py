"""Pure text helpers for Discord messages: escaping, excerpts, progress bars, summaries.

Nothing here touches the network or the database, so everything is unit-tested directly.
User text always goes through :func:`safe` before it is shown (markdown and mentions escaped);
the bot additionally sends with ``AllowedMentions.none()``, so even a missed escape cannot ping.
"""
from __future__ import annotations

import re

from discord.utils import escape_markdown, escape_mentions

MESSAGE_LIMIT = 2000  # Discord's content limit
NUMBER_EMOJI = ("1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟")
BAR_FULL, BAR_EMPTY = "█", "░"
_TITLE_KEY = re.compile(r"^[A-Za-z][A-Za-z ]*:")


def safe(text: object, limit: int | None = None) -> str:
    """User text made inert: markdown and mentions escaped, control characters dropped, cut to ``limit``."""
    s = "" if text is None else str(text)
    s = "".join(c for c in s if c in "\n\t" or ord(c) >= 32)
    if limit is not None and len(s) > limit:
        s = s[: max(0, limit - 1)].rstrip() + "…"
    return escape_mentions(escape_markdown(s))


def number_emoji(index: int) -> str:
    """The keycap emoji for take ``index`` (1-based)."""
    if not 1 <= index <= len(NUMBER_EMOJI):
        raise ValueError(f"no number emoji for {index}")
    return NUMBER_EMOJI[index - 1]


def emoji_number(emoji: str) -> int | None:
    """The take index a keycap emoji stands for, or None for any other emoji."""
    try:
        return NUMBER_EMOJI.index(str(emoji)) + 1
    except ValueError:
        return None


def code_block(text: str, lang: str = "") -> str:
    """``text`` in a fenced block that cannot be broken out of (inner fences neutralised)."""
    body = text.replace("```", "`\u200b`\u200b`")
    return f"```{lang}\n{body}\n```"


def excerpt(fountain: str, limit: int = 1400, max_lines: int = 45) -> str:
    """A readable first-page excerpt of a Fountain script: title page skipped, cut at a line break."""
    lines = fountain.replace("\r\n", "\n").split("\n")
    # Skip the title page: leading "Key: value" lines (and their indented continuations) up to a blank line.
    if lines and _TITLE_KEY.match(lines[0]):
        i = 0
        while i < len(lines) and lines[i].strip():
            i += 1
        lines = lines[i:]
    while lines and not lines[0].strip():
        lines.pop(0)
    out: list[str] = []
    size = 0
    blank = False
    for line in lines:
        line = line.rstrip()
        if not line:  # collapse runs of blank lines
            if blank:
                continue
            blank = True
        else:
            blank = False
        if size + len(line) + 1 > limit or len(out) >= max_lines:
            while out and not out[-1]:
                out.pop()
            out.append("…")
            break
        out.append(line)
        size += len(line) + 1
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) if out else "(empty take)"


def excerpt_block(fountain: str, budget: int, limit: int = 1400) -> str:
    """``code_block(excerpt(fountain, limit))`` cut further until it is at most ``budget`` characters
    (neutralised fences are longer than the text they replace, so the excerpt alone cannot know)."""
    limit = min(limit, budget)
    while True:
        block = code_block(excerpt(fountain, limit=limit))
        if len(block) <= budget or limit <= 0:
            return block
        limit = max(0, limit - (len(block) - budget))


def progress_bar(fraction: float | None, width: int = 20) -> str:
    """A fixed-width bar, e.g. ``██████░░░░``; None or junk counts as 0."""
    try:
        f = float(fraction or 0.0)
    except (TypeError, ValueError):
        f = 0.0
    f = min(1.0, max(0.0, f)) if f == f else 0.0  # NaN → 0
    filled = int(round(f * width))
    return BAR_FULL * filled + BAR_EMPTY * (width - filled)


def format_duration(seconds: float | None) -> str:
    """``75`` → ``1m 15s``; ``None`` → ``?``."""
    if seconds is None:
        return "?"
    try:
        s = int(round(max(0.0, float(seconds))))
    except (TypeError, ValueError):
        return "?"
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    return f"{s // 3600}h {s % 3600 // 60:02d}m"


def format_mb(n_bytes: int | float | None) -> str:
    if not n_bytes:
        return "0 MB"
    return f"{n_bytes / 2**20:.1f} MB"


JOB_ICONS = {"write": "✍️", "film": "🎬", "train": "🧠"}
STATUS_WORDS = {"queued": "queued", "running": "running", "done": "done ✅", "failed": "failed ❌",
                "cancelled": "cancelled ✖️"}


def progress_text(job: dict, title: str | None = None, position: int | None = None) -> str:
    """The body of a job's progress message: kind, title, stage, bar, percent, ETA, message, job id."""
    kind = str(job.get("kind") or "job")
    status = str(job.get("status") or "queued")
    head = f"{JOB_ICONS.get(kind, '⚙️')} **{kind}**"
    if title:
        head += f" · *{safe(title, 80)}*"
    head += f" · job #{job.get('id')}"
    lines = [head]
    if status == "queued":
        where = f" (position {position} in the queue)" if position else ""
        lines.append(f"Waiting for a worker{where}.")
    elif status == "running":
        frac = job.get("fraction") or 0.0
        stage = safe(job.get("stage") or "starting", 40)
        lines.append(f"`{stage}` {progress_bar(frac)} {int(float(frac) * 100):d}% · ETA {format_duration(job.get('eta_s'))}")
    else:
        lines.append(f"Status: **{STATUS_WORDS.get(status, safe(status, 20))}**")
    note = job.get("message")
    if note:
        lines.append(safe(note, 300))
    return "\n".join(lines)[:MESSAGE_LIMIT]


SUMMARY_LIMIT = 1400  # leaves room in a 2000-character message for the words around a brief summary


def brief_summary(brief: dict, takes: int | None = None, limit: int = SUMMARY_LIMIT) -> str:
    """What the bot understood of a brief, every part escaped; parts past ``limit`` characters are counted,
    not shown (a free-text request is summarised before it is validated, so it can be long)."""
    parts = [f"**Title:** {safe(brief.get('title'), 120)}"]
    for line in brief.get("lines") or ():
        parts.append(f"**Line:** “{safe(line, 300)}”")
    props = brief.get("props") or ()
    if props:
        parts.append("**Prop:** " + ", ".join(safe(p, 80) for p in props))
    if brief.get("science"):
        parts.append(f"**Science:** {safe(brief['science'], 200)}")
    if brief.get("pages") and float(brief["pages"]) != 1.0:
        parts.append(f"**Pages:** {float(brief['pages']):g}")
    if takes:
        parts.append(f"**Takes:** {takes}")
    shown, size = parts[:1], len(parts[0])
    for i, part in enumerate(parts[1:], start=1):
        rest = len(parts) - i
        if size + 1 + len(part) + (len(f"\n… and {rest} more") if rest > 1 else 0) > limit:
            shown.append(f"… and {rest} more")
            break
        shown.append(part)
        size += 1 + len(part)
    return "\n".join(shown)


def tally_text(tally: dict[int, int], index_of: dict[int, int]) -> str:
    """``1️⃣ 2 · 2️⃣ 0`` from a tally {take_id: votes} and {take_id: take index}."""
    items = sorted(index_of.items(), key=lambda kv: kv[1])
    return " · ".join(f"{number_emoji(i) if i <= len(NUMBER_EMOJI) else f'#{i}'} {tally.get(tid, 0)}"
                      for tid, i in items) or "no takes"
