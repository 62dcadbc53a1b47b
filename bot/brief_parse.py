"""Free text → brief: "@Benjamin make a film called X where someone says 'Y' and there is a Z".

Pure and deterministic. Quoted spans (“ ” ‘ ’ " ' « » „ “ 「 」) are lifted out first and replaced
by placeholders, so words inside quotes never trigger a keyword. Each part is then found after its
trigger words (called/titled/named → title; says/line → line; there is/featuring/with a → prop;
science/about → science; "N takes", "N pages"). A ``key: value`` form works too. Parts that are
not there are reported as missing, never guessed.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

_QUOTE_PAIRS = [("“", "”"), ("„", "“"), ("«", "»"), ("‹", "›"), ("「", "」"), ("『", "』"),
                ("‘", "’"), ("‚", "‘"), ('"', '"')]
_PH_BASE = 0xE000  # private-use code points stand for quoted spans
_MENTION = re.compile(r"<@[!&]?\d+>")
_BOUNDARY = re.compile(
    r"\s+(?:where|in which|with|about|featuring|including|while|and\s+(?:there|someone|somebody|"
    r"a\s+character|one\s+character|it|with|the\s+science)|that\s+(?:has|features|is\s+about))\b"
    r"|[,;!?\n]|\.(?:\s|$)|\s+-\s+|$",
    re.IGNORECASE,
)
_TRIGGERS = {
    "title": r"\b(?:called|titled|entitled|named|title\s*[:=]|title\s+is)",
    "line": r"\b(?:says?|saying|said|shouts?|whispers?|yells?|asks?|lines?\s*[:=]|lines?\s+is|dialogue\s*[:=]?|the\s+words)",
    "prop": r"(?:\bthere\s+(?:is|are|'s|’s)|\bthere’s|\bthere's|\bfeaturing|\bincluding|\bprops?\s*[:=]|\bprops?\s+is|"
            r"\bwith\s+(?=(?:a|an|the|some)\b))",
    "science": r"\b(?:science(?:\s+theme)?\s*(?:[:=]|is|of)?|theme\s*[:=]|about)",
}
_TAKES = re.compile(r"\b(\d{1,2})\s+takes?\b|\btakes?\s*[:=]\s*(\d{1,2})\b", re.IGNORECASE)
_PAGES = re.compile(r"\b(\d+(?:\.\d+)?)\s+pages?\b|\bpages?\s*[:=]\s*(\d+(?:\.\d+)?)", re.IGNORECASE)
_PROP_SPLIT = re.compile(r"\s*(?:,|\band\b)\s*(?=(?:a|an|the|some|two|three)\b)", re.IGNORECASE)
REQUIRED = ("title", "line", "prop")
HOW_TO = ('Try: "@Benjamin make a film called *The Last Lighthouse* where someone says '
          '\'I was never meant to keep the light.\' and there is a brass telescope" '
          "(optional: about <science theme>, 2 takes, 1 page), or use /film.")


@dataclass
class ParsedBrief:
    """What was understood; ``brief`` is a dict for engine.brief.Brief.from_dict."""

    title: str | None = None
    lines: list[str] = field(default_factory=list)
    props: list[str] = field(default_factory=list)
    science: str | None = None
    pages: float | None = None
    takes: int | None = None

    @property
    def missing(self) -> list[str]:
        have = {"title": bool(self.title), "line": bool(self.lines), "prop": bool(self.props)}
        return [k for k in REQUIRED if not have[k]]

    @property
    def empty(self) -> bool:
        return not (self.title or self.lines or self.props or self.science)

    def brief(self) -> dict:
        d = {"title": self.title or "", "lines": list(self.lines), "props": list(self.props),
             "science": self.science}
        if self.pages is not None:
            d["pages"] = self.pages
        return d


def strip_mentions(text: str) -> str:
    """Remove user/role mentions (the bot's own included) from a message."""
    return " ".join(_MENTION.sub(" ", text).split(" ")).strip()


def _lift_quotes(text: str) -> tuple[str, list[str]]:
    """Replace quoted spans by placeholder characters; return the skeleton and the spans."""
    spans: list[str] = []

    def repl(m: re.Match) -> str:
        spans.append(m.group(1).strip())
        return chr(_PH_BASE + len(spans) - 1)

    for open_q, close_q in _QUOTE_PAIRS:
        text = re.sub(re.escape(open_q) + r"(.+?)" + re.escape(close_q), repl, text, flags=re.DOTALL)
    # ASCII single quotes only when they are not apostrophes: ' after a non-letter, ' before a non-letter.
    text = re.sub(r"(?<![\w])'(.+?)'(?![\w])", repl, text, flags=re.DOTALL)
    return text, spans


def _restore(s: str, spans: list[str]) -> str:
    return "".join(spans[ord(c) - _PH_BASE] if _PH_BASE <= ord(c) < _PH_BASE + len(spans) else c for c in s)


def _is_placeholder(c: str, spans: list[str]) -> bool:
    return len(c) == 1 and _PH_BASE <= ord(c) < _PH_BASE + len(spans)


def _values_after(skeleton: str, spans: list[str], trigger: str) -> list[tuple[str, bool]]:
    """Each value following a trigger: (text, was_quoted)."""
    out = []
    for m in re.finditer(trigger, skeleton, re.IGNORECASE):
        rest = skeleton[m.end():].lstrip(" \t:=,")
        if not rest:
            continue
        if _is_placeholder(rest[0], spans):
            out.append((spans[ord(rest[0]) - _PH_BASE], True))
            continue
        b = _BOUNDARY.search(rest)
        phrase = rest[: b.start()] if b else rest
        phrase = _restore(phrase, spans).strip(" \t\"'“”‘’")
        if phrase:
            out.append((phrase, False))
    return out


def _first(values: list[tuple[str, bool]]) -> str | None:
    quoted = [v for v, q in values if q]
    return (quoted or [v for v, _ in values] or [None])[0]


def parse_brief(text: str) -> ParsedBrief:
    """Parse a free-text film request. Never raises; see ``ParsedBrief.missing``."""
    text = unicodedata.normalize("NFC", text or "")
    text = "".join(c for c in text if c == "\n" or unicodedata.category(c) != "Cc")
    skeleton, spans = _lift_quotes(text)
    skeleton = strip_mentions(skeleton)  # mentions outside quotes (the bot's own) are not part of the brief
    parsed = ParsedBrief()
    parsed.title = _first(_values_after(skeleton, spans, _TRIGGERS["title"]))
    for value, _ in _values_after(skeleton, spans, _TRIGGERS["line"]):
        if value not in parsed.lines:
            parsed.lines.append(value)
    for value, quoted in _values_after(skeleton, spans, _TRIGGERS["prop"]):
        items = [value] if quoted else [p for p in _PROP_SPLIT.split(value) if p.strip()]
        for p in items:
            p = p.strip()
            if p and p not in parsed.props:
                parsed.props.append(p)
    science = _values_after(skeleton, spans, _TRIGGERS["science"])
    parsed.science = _first(science)
    m = _TAKES.search(skeleton)
    if m:
        parsed.takes = int(m.group(1) or m.group(2))
    m = _PAGES.search(skeleton)
    if m:
        parsed.pages = float(m.group(1) or m.group(2))
    return parsed


def describe_missing(missing: list[str]) -> str:
    """A friendly question for the parts that were not found."""
    words = {"title": "a **title** (…called “X”…)", "line": "a **line** someone says (…says “Y”…)",
             "prop": "a **prop** (…and there is a Z…)"}
    asks = [words[m] for m in missing]
    if not asks:
        return ""
    joined = asks[0] if len(asks) == 1 else ", ".join(asks[:-1]) + " and " + asks[-1]
    return f"I still need {joined}."
