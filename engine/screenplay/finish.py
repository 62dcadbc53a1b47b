"""From sampled text to a finished take: tidy, cap the cast, trim to length, check the brief, score.

``missing(sp, brief)`` is the one definition of "honours the brief" (tests use it too):
each required line is a whole dialogue element spoken by a character in the body (not the first element);
each prop appears verbatim in an action line; the science theme appears (any case) somewhere in the body.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from engine.brief import Brief
from engine.screenplay.document import PRINTED, Action, Dialogue, Scene, Screenplay, Transition
from engine.screenplay.pages import LINES_PER_PAGE, element_lines, heading_lines
from engine.screenplay.plays import stage_direction

THE_END = Transition("FADE OUT.")
_DIRECTION = re.compile(r"^(Re-)?(Enter|Exit|Exeunt)\b(\s+(and|all|[A-Z][A-Z'\-]*,?))*\.?$")  # "Enter A and B"
_FADE = re.compile(r"^FADE (IN|OUT)\b[\s.:-]*$", re.I)  # the take has its own start (a heading) and FADE OUT.
_EXIT = re.compile(r"^[\w ,']{0,40}\b(go|goes|exit|exits|exeunt|leave|leaves)\.?$", re.I)


def tidy(sp: Screenplay, max_cast: int, brief: Brief) -> Screenplay:
    """Drop empty and stray elements, end action lines with punctuation, keep at most ``max_cast`` speakers."""
    scenes = []
    for scene in _split_at_stray_headings(sp.scenes, brief):
        elements = []
        for el in scene.elements:
            if not isinstance(el, PRINTED):  # a take keeps what prints: no stray sections, synopses or notes
                continue
            text = el.text.strip()
            if not text or (isinstance(el, Dialogue) and not re.search(r"\w", text)):
                continue
            if isinstance(el, Action):
                if not re.search(r"\w", text) or _FADE.match(text):
                    continue
                required = is_required(el, brief)
                if not required and _DIRECTION.match(text):
                    text = stage_direction(text)  # the play's "Enter X" as the screenplay's "X enters."
                el = Action(_ending(text, required))
            elif isinstance(el, Dialogue):
                el, text = _direction_first(el, text, brief)
                cue = clean_cue(el.character)
                if not cue or (text.startswith("(") and ")" not in text and not is_required(el, brief)):
                    continue  # no name left, or only a stage direction left open: nothing to speak
                el = replace(el, character=cue,
                             text=text if text in brief.lines else _ending(text, is_required(el, brief)))
            elements.append(el)
        # a transition leads to the next scene: one with more of this scene after it ("CUT TO:" then speech) goes
        elements = [el for k, el in enumerate(elements) if not isinstance(el, Transition) or k == len(elements) - 1]
        while elements and isinstance(elements[0], Action) and _EXIT.match(elements[0].text) \
                and not is_required(elements[0], brief):  # nobody leaves a scene before anything happens
            elements.pop(0)
        heading = clean_heading(scene.heading)
        if elements or heading:
            scenes.append(Scene(heading, elements))
    scenes = [s for s in scenes if _worth_keeping(s, brief)]
    if scenes and not scenes[0].heading:
        scenes[0].heading = "INT. SOMEWHERE - NIGHT"
    sp = Screenplay(sp.title, dict(sp.title_page), [s for s in scenes if s.elements])
    return cap_cast(sp, max_cast)


TIMES = ("DAY", "NIGHT", "CONTINUOUS", "LATER", "MOMENTS LATER", "DAWN", "DUSK", "MORNING", "EVENING",
         "SAME TIME", "SPACE")
_LOOSE_HEADING = re.compile(r"^[A-Z][A-Z0-9 .'&-]*? - (" + "|".join(TIMES) + r")[-.]*$")  # "CONTROL ROOM - DAY--"


def _direction_first(el: Dialogue, text: str, brief: Brief) -> tuple[Dialogue, str]:
    """A speech whose first line is a stage direction the sampler left unbalanced ("(to COLONIST (30s, on
    the lent)"): Fountain reads no parenthetical there, so it was spoken aloud and shown as a subtitle.
    The line becomes the speech's parenthetical, its brackets put right; the lines after it are the speech."""
    first, _, rest = text.partition("\n")
    if el.parenthetical is not None or not rest.strip() or not first.startswith("(") or is_required(el, brief) \
            or (")" in first and not first.endswith(")")):  # "(beat) Yes." is a line with a pause in it
        return el, text
    words = " ".join(first.replace("(", " ").replace(")", " ").split())
    return replace(el, parenthetical=f"({words})" if words else None, parenthetical_markup=None, markup=None), \
        rest.strip()


def clean_heading(heading: str) -> str:
    """A sampled scene heading in shape: upper case, no half-open "(20S, ..." from a character's introduction,
    at most a place, a sub-place and a time ("INT. SHIP - BRIDGE - NIGHT"), no trailing punctuation, <= 60 chars."""
    heading = " ".join(heading.upper().split())
    if heading.count("(") > heading.count(")"):
        heading = heading[: heading.rfind("(")]
    parts = [p.strip(" ,;:-.") for p in heading.split(" - ")]
    parts = [p for p in parts if p]
    if len(parts) > 3:
        parts = parts[:2] + ([parts[-1]] if parts[-1] in TIMES else [])
    heading = " - ".join(parts)
    if len(heading) > 60:
        heading = heading[:60].rsplit(" ", 1)[0]
    place = re.sub(r"^(INT|EXT|EST|INT\./EXT|I/E)\.?\s*", "", heading)
    if len(re.sub(r"[^A-Z]", "", place)) < 3:  # "INT. IN": no place at all
        return ""
    return heading.rstrip(" ,;:-.")


def clean_cue(name: str) -> str:
    """A character cue without stray punctuation ("LORD GORING)" -> "LORD GORING")."""
    return " ".join(re.sub(r"[^\w .'-]", " ", name).split()).strip(" .-'")


def _split_at_stray_headings(scenes: list[Scene], brief: Brief) -> list[Scene]:
    """An upper-case action line that reads as a heading without INT./EXT. ("CONTROL ROOM - DAY") starts a scene."""
    out: list[Scene] = []
    for scene in scenes:
        current = Scene(scene.heading, [])
        out.append(current)
        for el in scene.elements:
            if isinstance(el, Action) and _LOOSE_HEADING.match(el.text.strip()) and not is_required(el, brief):
                current = Scene("INT. " + el.text.strip().rstrip("-."), [])
                out.append(current)
            else:
                current.elements.append(el)
    return out


def _worth_keeping(scene: Scene, brief: Brief) -> bool:
    """A scene of one stray action line ("They go.") adds a heading and nothing else."""
    if any(isinstance(el, Dialogue) for el in scene.elements) or len(scene.elements) > 1:
        return True
    return any(is_required(el, brief) for el in scene.elements)


def _ending(text: str, keep_all: bool = False) -> str:
    """A speech or action cut mid-sentence ends at its last full sentence, else trails off."""
    if text[-1] in ".!?\"')":
        return text
    if keep_all:
        return text.rstrip(" ,;:-") + "."
    cut = max(text.rfind(". "), text.rfind("! "), text.rfind("? "))
    if cut >= 30:
        return text[: cut + 1]
    return text.rstrip(" ,;:-") + "--"


def cap_cast(sp: Screenplay, max_cast: int) -> Screenplay:
    """Give the lines of minor characters to the main ones (a five-minute film has few roles to cast)."""
    counts = Counter(d.character for _, d in sp.dialogue())
    keep = [name for name, _ in counts.most_common(max_cast)]
    if len(counts) <= max_cast:
        return sp
    flat = [(s, i) for s, scene in enumerate(sp.scenes) for i, el in enumerate(scene.elements)
            if isinstance(el, Dialogue)]
    names = [sp.scenes[s].elements[i].character for s, i in flat]
    for k, (s, i) in enumerate(flat):
        if names[k] in keep:
            continue
        around = {names[k - 1] if k else None, names[k + 1] if k + 1 < len(names) else None}
        choices = [n for n in keep if n not in around] or keep
        names[k] = choices[k % len(choices)]
        sp.scenes[s].elements[i] = replace(sp.scenes[s].elements[i], character=names[k], extension=None)
    return sp


def is_required(el, brief: Brief) -> bool:
    if isinstance(el, Dialogue) and el.text in brief.lines:
        return True
    if isinstance(el, Action) and any(p in el.text for p in brief.props):
        return True
    return bool(brief.science) and brief.science.casefold() in el.text.casefold()


def trim(sp: Screenplay, brief: Brief, target_lines: int) -> Screenplay:
    """Cut the take to ``target_lines`` (room left for FADE OUT.), never cutting what the brief asks for."""
    budget = target_lines - 2
    items = [(s, el) for s, scene in enumerate(sp.scenes) for el in scene.elements]
    keep = [True] * len(items)
    used = sum(_cost(sp, items, keep))
    # cut from the end first, then the longest optional elements, until it fits
    order = list(range(len(items) - 1, -1, -1))
    last_required = max((k for k, (_, el) in enumerate(items) if is_required(el, brief)), default=-1)
    tail = [k for k in order if k > last_required + 1]
    middle = sorted((k for k in order if 0 < k <= last_required + 1 and not is_required(items[k][1], brief)),
                    key=lambda k: -element_lines(items[k][1]))
    for k in tail + middle:
        if used <= budget:
            break
        keep[k] = False
        used = sum(_cost(sp, items, keep))
    for k in sorted(range(len(items)), key=lambda k: -len(items[k][1].text)):
        if used <= budget:  # still long: shorten the longest kept elements to their first sentences
            break
        s, el = items[k]
        if keep[k] and not isinstance(el, Transition):
            items[k] = (s, shorten(el, brief))
            used = sum(_cost(sp, items, keep))
    scenes: list[Scene] = []
    k = 0
    for i, scene in enumerate(sp.scenes):
        kept = [items[k + j][1] for j in range(len(scene.elements)) if keep[k + j]]
        k += len(scene.elements)
        if kept and (not scenes or _worth_keeping(Scene(scene.heading, kept), brief)):
            scenes.append(Scene(scene.heading, kept))
    if scenes:
        scenes[-1].elements.append(THE_END)
    return Screenplay(sp.title, dict(sp.title_page), scenes)


def shorten(el, brief: Brief):
    """``el`` cut after the sentence holding its required part (or after its first sentence)."""
    if isinstance(el, Dialogue) and el.text in brief.lines:
        return el
    text = el.text
    start = 20
    for part in [p for p in brief.props if p in text] + ([brief.science] if brief.science else []):
        at = text.casefold().find(part.casefold())
        if at >= 0:
            start = max(start, at + len(part))
    m = re.compile(r"[.!?](\s|$)").search(text, start)
    if m and m.end() < len(text.rstrip()):
        return replace(el, text=text[: m.start() + 1])
    m = re.compile(r"[\s,;:]").search(text, start)  # no sentence end: cut at the next word
    if not m:
        return el
    cut = text[: m.start()].rstrip(" ,;:-")
    return replace(el, text=cut + ("." if start > 20 else "--"))


def _cost(sp: Screenplay, items, keep) -> list[int]:
    costs, seen = [], set()
    for k, (s, el) in enumerate(items):
        if not keep[k]:
            continue
        if s not in seen:
            costs.append(heading_lines(sp.scenes[s].heading, not seen))
            seen.add(s)
        costs.append(element_lines(el))
    return costs


def missing(sp: Screenplay, brief: Brief) -> list[str]:
    """What the take fails to honour (empty when it honours the whole brief)."""
    problems = []
    if sp.title != brief.title:
        problems.append("the title is missing from the title page")
    elements = [el for scene in sp.scenes for el in scene.elements]
    for line in brief.lines:
        where = [k for k, el in enumerate(elements) if isinstance(el, Dialogue) and el.text == line]
        if not where or all(k == 0 for k in where):
            problems.append(f"required line not spoken in the body: {line!r}")
    for prop in brief.props:
        if not any(isinstance(el, Action) and prop in el.text for el in elements):
            problems.append(f"prop not in any action line: {prop!r}")
    if brief.science:
        text = " ".join([s.heading for s in sp.scenes] + [el.text for el in elements]).casefold()
        if brief.science.casefold() not in text:
            problems.append(f"science theme not mentioned: {brief.science!r}")
    return problems


def score(sp: Screenplay, mean_logprob: float) -> float:
    """Higher reads better: the model's own confidence, minus penalties for a flat or repetitive take."""
    lines = [d for _, d in sp.dialogue()]
    speakers = len({d.character for d in lines})
    elements = [el for scene in sp.scenes for el in scene.elements]
    texts = [el.text for el in elements]
    repeats = (len(texts) - len(set(texts))) / max(1, len(texts))
    dialogue_share = len(lines) / max(1, len(elements))
    value = mean_logprob - 2.0 * repeats
    value -= 0.5 * (speakers < 2) + 0.25 * (speakers > 4)
    value -= 0.5 * abs(dialogue_share - 0.7)
    return round(value, 4)


def minimum_lines(brief: Brief) -> int:
    """Body lines the brief's own text needs, at the least."""
    need = sum(element_lines(Dialogue("X" * 12, line)) for line in brief.lines)
    need += sum(element_lines(Action("Someone picks up " + p + ".")) for p in brief.props)
    if brief.science:
        need += element_lines(Dialogue("X" * 12, "Tell me about " + brief.science + "."))
    return need + 6  # a heading and FADE OUT.


def pages_needed(brief: Brief) -> float:
    return round(minimum_lines(brief) / LINES_PER_PAGE * 1.5 + 0.05, 1)
