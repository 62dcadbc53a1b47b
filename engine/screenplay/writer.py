"""The writer: Brief -> takes. A character LSTM writes each take; the brief is woven in as it writes.

    takes = write_takes(Brief("Sunspring", lines=("I don't know.",), props=("a pearl",)), WriteOptions(seed=1))
    takes[0].fountain, takes[0].screenplay

Every take carries the title on a Fountain title page ("Written by Benjamin"), speaks each required line
verbatim in the body, names each prop in an action line, mentions the science theme, and fits the page target.
"""
from __future__ import annotations

import functools
import logging
import random
import re
import secrets
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from engine.brief import MAX_PAGES, MIN_PAGES, Brief
from engine.device import pick_device
from engine.errors import BriefError, ModelError
from engine.progress import EtaClock, Progress, ProgressFn, null_progress
from engine.screenplay.document import Action, Dialogue, Scene, Screenplay
from engine.screenplay.finish import is_required, minimum_lines, missing, pages_needed, score, tidy, trim
from engine.screenplay.fountain import escape, parse_fountain, to_fountain
from engine.screenplay.pages import LINES_PER_PAGE
from engine.screenplay.weave import WeaveConfig, Weaver, target_lines

log = logging.getLogger(__name__)
ASSETS = Path(__file__).resolve().parents[2] / "assets" / "writer"
# The shipped writers, by name (``--model screenplay``); the first is the default.
SHIPPED_MODELS = {"screenplay": "benjamin-screenplay.pt", "shakespeare": "benjamin-shakespeare.pt"}
MAX_TAKES = 12
PRIMES = ("INT. ", "EXT. ")


@dataclass(frozen=True)
class WriteOptions:
    takes: int = 3  # takes written together in one batch
    pages: float | None = None  # target length; None = brief.pages
    seed: int | None = None  # take k uses seed + k - 1; None = a fresh random seed
    temperature: float = 0.8  # sampling temperature (lower = safer, higher = stranger)
    top_k: int | None = 40  # sample among the k likeliest characters; None = all
    model: Path | str | None = None  # checkpoint, transformers model folder or shipped name; None = the default
    device: str = "auto"  # auto | cpu | cuda
    max_cast: int = 4  # speaking characters per take, at most
    first_index: int = 1  # the first take's number (files take-N); later ones count up from it
    cast_names: tuple[str, ...] = ()  # opt in: the busiest characters take these names (the cast's), in order


@dataclass
class Take:
    index: int  # 1-based
    fountain: str
    screenplay: Screenplay
    seed: int
    score: float  # higher = reads better; used to pick the best take
    fountain_path: Path | None = None
    pdf_path: Path | None = None
    pages: float = 0.0  # estimated body pages
    fdx_path: Path | None = None  # the take as Final Draft XML, beside the PDF


def default_checkpoint() -> Path:
    """The default shipped writer checkpoint (assets/writer/benjamin-screenplay.pt)."""
    return ASSETS / next(iter(SHIPPED_MODELS.values()))


def resolve_model(model: Path | str | None) -> Path:
    """A shipped model's name ("screenplay", "shakespeare"), a path, or None (the default) -> a path."""
    if model is None:
        return default_checkpoint()
    if isinstance(model, str) and model in SHIPPED_MODELS:
        return ASSETS / SHIPPED_MODELS[model]
    return Path(model)


def write_takes(brief: Brief, options: WriteOptions = WriteOptions(), out_dir: Path | None = None,
                on_progress: ProgressFn = null_progress) -> list[Take]:
    """Write ``options.takes`` takes of ``brief``; with ``out_dir``, also take-N.fountain, .pdf and .fdx there."""
    brief = brief.validated()
    pages = _check(brief, options)
    base = options.seed if options.seed is not None else secrets.randbelow(2**31)
    seeds = [base + k for k in range(options.takes)]
    lines = target_lines(pages)
    on_progress(Progress("write", 0.0, f"writing {options.takes} take(s) of {pages:g} page(s)"))
    model_path = resolve_model(options.model)
    if model_path.is_dir():
        from engine.llm.hf import sample_hf

        texts, logprobs = sample_hf(model_path, brief, seeds, lines, options, on_progress)
    else:
        texts, logprobs = _sample_lstm(model_path, brief, seeds, lines, options, on_progress)
    takes = []
    for k, (text, lp, seed) in enumerate(zip(texts, logprobs, seeds), start=1):
        takes.append(finish_take(options.first_index + k - 1, text, brief, seed, lines, lp, options.max_cast,
                                 options.cast_names))
    if out_dir is not None:
        _write_files(takes, Path(out_dir), on_progress)
    on_progress(Progress("write", 1.0, f"wrote {len(takes)} take(s)"))
    return takes


def _check(brief: Brief, options: WriteOptions) -> float:
    if not 1 <= int(options.takes) <= MAX_TAKES:
        raise BriefError(f"takes must be between 1 and {MAX_TAKES}, not {options.takes}")
    if not 0.05 <= float(options.temperature) <= 3.0:
        raise BriefError(f"temperature must be between 0.05 and 3, not {options.temperature}")
    if options.top_k is not None and options.top_k < 1:
        raise BriefError(f"top-k must be at least 1, not {options.top_k}")
    pages = float(options.pages if options.pages is not None else brief.pages)
    if not MIN_PAGES <= pages <= MAX_PAGES:
        raise BriefError(f"pages must be between {MIN_PAGES} and {MAX_PAGES}, not {pages:g}")
    if minimum_lines(brief) > 0.8 * pages * LINES_PER_PAGE:
        raise BriefError(f"the brief's lines and props alone fill most of {pages:g} page(s): "
                         f"ask for at least {pages_needed(brief):g} pages, or shorten the brief")
    return pages


def prime_text(brief: Brief, seed: int) -> str:
    """The text each take starts from: the brief's prime, else the start of a scene heading."""
    if brief.prime:
        text = brief.prime.strip("\n")
        first = parse_fountain(text).scenes
        if first and first[0].heading:  # Fountain: use it as written, the model starts the next element
            return text + "\n\n"
        return escape(" ".join(text.split()))  # prose: the model carries on from it
    return random.Random(seed).choice(PRIMES)


def _sample_lstm(path: Path, brief: Brief, seeds: list[int], lines: int, options: WriteOptions,
                 on_progress: ProgressFn) -> tuple[list[str], list[float]]:
    from engine.screenplay.sampler import sample_lstm

    device = pick_device(options.device)
    model, vocab = load_writer(path, device)
    weavers = [Weaver(brief, lines, random.Random(s), prime_text(brief, s), WeaveConfig(), options.max_cast)
               for s in seeds]
    max_steps = int(lines * 60 * 2.5) + sum(len(x) + 40 for x in brief.lines + brief.props) + 400
    clock = EtaClock()

    def step(i: int) -> None:
        done = max(min(1.0, w.lines / w.target) for w in weavers) * 0.95
        on_progress(Progress("write", done, f"{i} characters written", clock.eta(done)))

    stats = sample_lstm(model, vocab, weavers, seeds, options.temperature, options.top_k, max_steps, device, step)
    return [w.text for w in weavers], [s.logprob / max(1, s.chosen) for s in stats]


@functools.lru_cache(maxsize=4)
def _load_cached(path: str, mtime_ns: int, device: str):
    from engine.screenplay.checkpoint import check_vocab, load_checkpoint

    ckpt = load_checkpoint(Path(path), device)
    check_vocab(ckpt.vocab, "\n .AEIOUaeiou", "screenplay text",
                f"{path} was not trained on screenplays or plays (python bot.py train makes one that is)")
    return ckpt.model, ckpt.vocab


def load_writer(path: Path, device: str = "cpu"):
    """(model, vocab) for a checkpoint, cached by path, modification time and device."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"no writer checkpoint at {path} (the shipped ones are {', '.join(SHIPPED_MODELS)}; "
                         "train one with: python bot.py train)")
    return _load_cached(str(path.resolve()), path.stat().st_mtime_ns, device)


def finish_take(index: int, text: str, brief: Brief, seed: int, lines: int, mean_logprob: float,
                max_cast: int = 4, cast_names: tuple[str, ...] = ()) -> Take:
    """Sampled body text -> a checked, trimmed, titled Take (characters renamed after the cast, when asked)."""
    sp = tidy(parse_fountain(text), max_cast, brief)
    for scene in sp.scenes:  # "(as if all )", closed by the weaver after a space -> "(as if all)"
        scene.elements = [replace(el, parenthetical=re.sub(r"\s+\)$", ")", el.parenthetical),
                                  parenthetical_markup=None)
                          if isinstance(el, Dialogue) and el.parenthetical and el.parenthetical.endswith(" )") else el
                          for el in scene.elements]
    sp.title = brief.title
    sp.title_page = {"Title": brief.title, "Credit": "Written by", "Author": "Benjamin",
                     "Notes": "Written by Benjamin, an AI (a character-level LSTM), from a challenge brief."}
    sp = trim(sp, brief, lines)
    _ensure(sp, brief)
    if cast_names:  # after trimming: the busiest speakers of the take as it will be filmed take the names
        sp = rename_characters(sp, cast_names, brief)
    fountain = to_fountain(sp)
    final = parse_fountain(fountain)
    problems = missing(final, brief)
    if problems:  # never hand back a take that drops a constraint
        raise BriefError(f"take {index} could not honour the brief: {problems[0]}")
    from engine.screenplay.pages import page_count

    return Take(index, fountain, final, seed, score(final, mean_logprob), pages=round(page_count(final), 2))


def rename_characters(sp: Screenplay, names: tuple[str, ...] | list[str], brief: Brief | None = None) -> Screenplay:
    """The busiest speaking characters take ``names`` in order (the cast playing parts named after them): cues
    and mentions in action and speech follow. Text the brief requires stays verbatim; a name another
    character already has is passed over (two characters would merge)."""
    counts = Counter(el.character for scene in sp.scenes for el in scene.elements if isinstance(el, Dialogue))
    wanted = [" ".join(n.split()).upper() for n in names if n and n.strip()]
    mapping: dict[str, str] = {}
    for old, _ in counts.most_common():
        while wanted and wanted[0] in counts and wanted[0] != old:
            wanted.pop(0)
        if not wanted:
            break
        mapping[old] = wanted.pop(0)
    if not mapping:
        return sp
    pattern = re.compile(r"\b(" + "|".join(re.escape(o) for o in sorted(mapping, key=len, reverse=True)) + r")\b",
                         re.I)

    def sub(el, text):
        if text is None or (brief is not None and is_required(el, brief)):
            return text
        return pattern.sub(lambda m: _as_written(mapping[m.group(1).upper()], m.group(1)), text)

    scenes = []
    for scene in sp.scenes:
        elements = []
        for el in scene.elements:
            if isinstance(el, Dialogue):
                el = replace(el, character=mapping.get(el.character, el.character), text=sub(el, el.text),
                             markup=sub(el, el.markup))
            elif isinstance(el, Action):
                el = replace(el, text=sub(el, el.text), markup=sub(el, el.markup))
            elements.append(el)
        scenes.append(replace(scene, elements=elements))
    return Screenplay(sp.title, dict(sp.title_page), scenes)


def _as_written(name: str, like: str) -> str:
    """``name`` in the case of the word it replaces: VIOLA -> ALICE, Viola -> Alice."""
    return name if like.isupper() else " ".join(w[:1] + w[1:].lower() for w in name.split())


def _ensure(sp: Screenplay, brief: Brief) -> None:
    """Safety net: put back anything the weaver could not place (rare; logged)."""
    for problem in missing(sp, brief):
        log.warning("weaving missed part of the brief, inserting it directly: %s", problem)
    if not sp.scenes:
        sp.scenes.append(Scene("INT. SOMEWHERE - NIGHT", [Action("Silence.")]))
    elements = lambda: [el for s in sp.scenes for el in s.elements]  # noqa: E731
    body = sp.scenes[len(sp.scenes) // 2].elements
    if not body:
        body.append(Action("Silence."))
    who = (sp.characters() or ["H"])[0]
    for line in brief.lines:
        if not any(isinstance(el, Dialogue) and el.text == line for el in elements()[1:]):
            body.insert(max(1, len(body) // 2), Dialogue(who, line))
    for prop in brief.props:
        if not any(isinstance(el, Action) and prop in el.text for el in elements()):
            body.insert(max(1, len(body) // 2), Action(f"{who.title()} picks up {prop}."))
    if brief.science and any(p.startswith("science") for p in missing(sp, brief)):
        body.insert(max(1, len(body) // 2), Dialogue(who, f"Tell me about {brief.science}."))


def _write_files(takes: list[Take], out_dir: Path, on_progress: ProgressFn) -> None:
    from engine.screenplay.fdx import write_fdx
    from engine.screenplay.pdf import render_pdf

    out_dir.mkdir(parents=True, exist_ok=True)
    for take in takes:
        take.fountain_path = out_dir / f"take-{take.index}.fountain"
        tmp = take.fountain_path.with_suffix(".fountain.tmp")
        tmp.write_text(take.fountain, encoding="utf-8")
        tmp.replace(take.fountain_path)
        take.pdf_path = render_pdf(take.fountain, out_dir / f"take-{take.index}.pdf")
        take.fdx_path = write_fdx(take.screenplay, out_dir / f"take-{take.index}.fdx")
        done = takes.index(take) + 1
        on_progress(Progress("write", 0.95 + 0.05 * done / len(takes), f"saved take {take.index}"))
