"""Fountain inside a line: backslash escapes, emphasis (``*italic*``, ``**bold**``, ``***both***``,
``_underline_``) and ``[[notes]]``.

Readers work on *protected* text, where every escape ``\\X`` is one private-use character, so no later rule
can mistake an escaped ``*``, ``#`` or ``<`` for markup. ``literal`` turns protected text into what a reader
sees; ``restore`` turns it back into the Fountain that was written.

Emphasis follows the spec's Markdown reading: markers stay on one line, an opening ``*`` is followed by a
non-space and a closing one follows a non-space, so ``He dialed *69 and then *23`` is not emphasis; ``_``
only opens and closes at word edges, so ``file_name_here`` keeps its underscores (Markdown's intra-word rule;
the spec does not say, and every Markdown reader the spec points to does this).
"""
from __future__ import annotations

import re

ESCAPABLE = "\\*_[](){}<>!@#~.=^/:+-"
_PUA = 0xE000  # \X -> chr(_PUA + ord(X))
_PROTECT = re.compile(r"\\([" + re.escape(ESCAPABLE) + r"])")
_PROTECTED = re.compile("[\ue000-\ue07f]")
_NOTE = re.compile(r"\[\[(.*?)\]\]", re.S)
_GONE = "\uf0ff"  # where a note was, while lines are being dropped
BOLD, ITALIC, UNDERLINE = "Bold", "Italic", "Underline"
_MARKS = {BOLD: ("\uf001", "\uf002"), ITALIC: ("\uf003", "\uf004"), UNDERLINE: ("\uf005", "\uf006")}
_EMPHASIS = [  # order matters: the longest star runs first
    (re.compile(r"\*\*\*(?=\S)(.+?)(?<=\S)\*\*\*"), (BOLD, ITALIC)),
    (re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*"), (BOLD,)),
    (re.compile(r"\*(?=\S)(.+?)(?<=\S)\*"), (ITALIC,)),
    (re.compile(r"(?<![^\W_])_(?=\S)(.+?)(?<=\S)_(?![^\W_])"), (UNDERLINE,)),
]
Run = tuple[str, frozenset]  # (text, styles)


def protect(text: str) -> str:
    """``\\X`` -> one private-use character per escape (left to right, so ``\\\\*`` is ``\\`` then ``*``)."""
    return _PROTECT.sub(lambda m: chr(_PUA + ord(m.group(1))), text)


def literal(text: str) -> str:
    """Protected text -> the characters a reader sees."""
    return _PROTECTED.sub(lambda m: chr(ord(m.group(0)) - _PUA), text)


def restore(text: str) -> str:
    """Protected text -> the Fountain it came from."""
    return _PROTECTED.sub(lambda m: "\\" + chr(ord(m.group(0)) - _PUA), text)


def cut_notes(block: str) -> tuple[str, list[str]]:
    """Remove the ``[[notes]]`` of one protected paragraph: (what is left, the notes' text).

    A line that held nothing but notes goes with them; a ``[[`` never closed in the paragraph is plain text
    (so a note running over a truly blank line is no note, as the spec says)."""
    notes: list[str] = []

    def take(m: re.Match) -> str:
        notes.append(m.group(1))
        return _GONE

    cut = _NOTE.sub(take, block)
    if not notes:
        return block, []
    lines = [x for x in cut.split("\n") if not (_GONE in x and not x.replace(_GONE, "").strip())]
    return "\n".join(lines).replace(_GONE, ""), notes


def runs(protected_line: str) -> list[Run]:
    """One protected line as styled runs of literal text."""
    s = protected_line
    for pattern, styles in _EMPHASIS:
        start = "".join(_MARKS[x][0] for x in styles)
        end = "".join(_MARKS[x][1] for x in reversed(styles))
        s = pattern.sub(lambda m: start + m.group(1) + end, s)
    if not any(a in s for a, _ in _MARKS.values()):
        return [(literal(s), frozenset())]
    out: list[Run] = []
    on: set[str] = set()
    buf = ""
    for c in s:
        style = next((k for k, (a, b) in _MARKS.items() if c in (a, b)), None)
        if style is None:
            buf += c
            continue
        if buf:
            out.append((literal(buf), frozenset(on)))
            buf = ""
        (on.add if c == _MARKS[style][0] else on.discard)(style)
    if buf or not out:
        out.append((literal(buf), frozenset(on)))
    return out


def seen(protected: str) -> str:
    """Protected Fountain (notes already cut) -> the text a reader sees, line by line."""
    return "\n".join("".join(t for t, _ in runs(line)) for line in protected.split("\n"))


def plain(markup: str) -> str:
    """Fountain inline markup (unprotected, notes already cut) -> the text a reader sees."""
    return "\n".join("".join(t for t, _ in runs(protect(line))) for line in markup.split("\n"))


def render(text: str) -> str:
    """Plain ``text`` as Fountain that reads back as exactly ``text``, escaping only what needs it.

    A backslash before an escapable character is doubled; ``/*`` and ``[[`` are broken up; ``*`` and ``_``
    are escaped only on lines where they would otherwise read as emphasis (``file_name_here`` stays as is)."""
    return "\n".join(restore(_protected(line)) for line in text.split("\n"))


def _protected(line: str, marks: str = "") -> str:
    """``line`` in protected form, escaping the characters that would otherwise read as markup."""
    out = []
    for i, c in enumerate(line):
        nxt = line[i + 1] if i + 1 < len(line) else ""
        esc = (c == "\\" and nxt != "" and nxt in ESCAPABLE) or (c == "*" and line[i - 1:i] == "/") \
            or (c == "[" and "[[" in line) or c in marks
        out.append(chr(_PUA + ord(c)) if esc else c)
    p = "".join(out)
    if not marks and "".join(t for t, _ in runs(p)) != line:
        return _protected(line, "*_")
    return p


def emphasize(line_runs: list[Run]) -> str:
    """Styled runs of one line -> Fountain markup (underline outside bold outside italic, as the spec's
    ``_**BRICK & STEEL**_``); falls back to the plain text where the markers would not read back."""
    out = []
    for text, styles in line_runs:
        body = render(text)
        if styles and text.strip() == text and text:
            stars = "*" * ((BOLD in styles) * 2 + (ITALIC in styles))
            body = stars + body + stars
            if UNDERLINE in styles:
                body = "_" + body + "_"
        out.append(body)
    markup = "".join(out)
    wanted = [(t, s) for t, s in line_runs if t]
    got = [(t, s) for t, s in runs(protect(markup)) if t]
    return markup if _merge(got) == _merge(wanted) else render("".join(t for t, _ in line_runs))


def _merge(rs: list[Run]) -> list[Run]:
    out: list[Run] = []
    for t, s in rs:
        if out and out[-1][1] == s:
            out[-1] = (out[-1][0] + t, s)
        else:
            out.append((t, s))
    return out
