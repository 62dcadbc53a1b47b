"""The challenge brief: what every take must honour."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field, replace

from engine.errors import BriefError

MAX_TITLE = 120
MAX_LINE = 300
MAX_LINES = 5
MAX_PROP = 80
MAX_PROPS = 10
MAX_SCIENCE = 200
MAX_PRIME = 500
MIN_PAGES, MAX_PAGES = 0.5, 5.0  # about 1 page = 1 minute; the challenge caps films at 5 minutes


@dataclass(frozen=True)
class Brief:
    title: str
    lines: tuple[str, ...] = ()  # dialogue that must be spoken, verbatim
    props: tuple[str, ...] = ()  # props or actions that must appear in action lines
    science: str | None = None  # optional science theme
    genre: str | None = None  # optional genre, e.g. "sci-fi"
    prime: str | None = None  # optional prime text for the writer
    pages: float = 1.0  # target length in pages
    extra: dict = field(default_factory=dict, compare=False)  # front-end metadata, ignored by the engine

    def validated(self) -> "Brief":
        """Return a cleaned copy, or raise BriefError saying exactly what is wrong."""
        title = _clean(self.title, "title", MAX_TITLE)
        if not title:
            raise BriefError("the brief needs a title")
        lines = tuple(_clean(x, "required line", MAX_LINE) for x in _as_tuple(self.lines))
        if any(not x for x in lines):
            raise BriefError("a required line is empty")
        if len(lines) > MAX_LINES:
            raise BriefError(f"at most {MAX_LINES} required lines, got {len(lines)}")
        props = tuple(_clean(x, "prop", MAX_PROP) for x in _as_tuple(self.props))
        if any(not x for x in props):
            raise BriefError("a prop is empty")
        if len(props) > MAX_PROPS:
            raise BriefError(f"at most {MAX_PROPS} props, got {len(props)}")
        science = _clean(self.science, "science theme", MAX_SCIENCE) or None
        genre = _clean(self.genre, "genre", 40) or None
        prime = _clean(self.prime, "prime text", MAX_PRIME, keep_newlines=True) or None
        try:
            pages = float(self.pages)
        except (TypeError, ValueError):
            raise BriefError(f"pages must be a number, not {self.pages!r}") from None
        if not MIN_PAGES <= pages <= MAX_PAGES:
            raise BriefError(f"pages must be between {MIN_PAGES} and {MAX_PAGES} (the challenge caps films at 5 minutes)")
        return replace(self, title=title, lines=lines, props=props, science=science,
                       genre=genre, prime=prime, pages=pages)

    def to_dict(self) -> dict:
        return {"title": self.title, "lines": list(self.lines), "props": list(self.props),
                "science": self.science, "genre": self.genre, "prime": self.prime, "pages": self.pages}

    @classmethod
    def from_dict(cls, d: dict) -> "Brief":
        return cls(title=d.get("title", ""), lines=tuple(d.get("lines") or ()), props=tuple(d.get("props") or ()),
                   science=d.get("science"), genre=d.get("genre"), prime=d.get("prime"),
                   pages=d.get("pages", 1.0))


DEFAULT_BRIEF = Brief(
    title="The Last Lighthouse",
    lines=("I was never meant to keep the light.",),
    props=("a brass telescope",),
    science="bioluminescence",
    pages=1.0,
)


def _as_tuple(value) -> tuple:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _clean(value, what: str, limit: int, keep_newlines: bool = False) -> str:
    """NFC-normalise, drop control characters, collapse whitespace, enforce a length limit."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BriefError(f"the {what} must be text")
    text = unicodedata.normalize("NFC", value)
    keep = "\n" if keep_newlines else ""
    # control characters go, but a line break or other whitespace control between words becomes a space
    text = "".join(c if c in keep or c == "\t" or unicodedata.category(c) != "Cc" else (" " if c.isspace() else "")
                   for c in text)
    if not keep_newlines:
        text = " ".join(text.split())
    text = text.strip()
    if len(text) > limit:
        raise BriefError(f"the {what} is {len(text)} characters long; the limit is {limit}")
    return text
