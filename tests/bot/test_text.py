"""Pure text helpers: escaping, excerpts, progress bars, listings."""
from bot.cogs.queue import job_info_text, queue_text
from bot.text import (brief_summary, code_block, emoji_number, excerpt, excerpt_block, format_duration, number_emoji,
                      progress_bar, progress_text, safe, tally_text)


def test_safe_escapes_mentions_and_markdown():
    s = safe("@everyone look at **this** <@123> @here")
    assert "@everyone" not in s and "@here" not in s  # a zero-width space breaks the mention
    assert "**this**" not in s and r"\*\*this\*\*" in s
    assert safe("x" * 50, limit=10).endswith("…") and len(safe("x" * 50, limit=10)) == 10


def test_number_emoji_round_trip():
    assert [emoji_number(number_emoji(i)) for i in range(1, 11)] == list(range(1, 11))
    assert emoji_number("👍") is None


def test_code_block_cannot_be_broken_out_of():
    block = code_block("a\n```\n@everyone")
    assert block.startswith("```") and block.endswith("```")
    assert block.count("```") == 2


FOUNTAIN = """Title: The Last Lighthouse
Credit: written by
Author: Benjamin

INT. LIGHTHOUSE - NIGHT

KEEPER
I was never meant to keep the light.



She polishes a brass telescope.
""" + "\n".join(f"Line {i} of a very long scene." for i in range(200))


def test_excerpt_skips_title_page_and_cuts_at_a_line():
    ex = excerpt(FOUNTAIN, limit=400)
    assert ex.startswith("INT. LIGHTHOUSE - NIGHT")
    assert "Title:" not in ex
    assert "I was never meant to keep the light." in ex
    assert "\n\n\n" not in ex  # blank runs collapsed
    assert ex.endswith("…") and len(ex) <= 402
    assert all(line.startswith("Line ") or not line.startswith("Lin") for line in ex.splitlines())
    assert excerpt("") == "(empty take)"


def test_progress_bar_and_durations():
    assert progress_bar(0.5, 10) == "█████░░░░░"
    assert progress_bar(None, 4) == "░░░░" and progress_bar(7, 4) == "████" and progress_bar(float("nan"), 2) == "░░"
    assert format_duration(75) == "1m 15s" and format_duration(5) == "5s" and format_duration(None) == "?"
    assert format_duration(3700) == "1h 01m"


def test_progress_text_running_queued_done():
    job = {"id": 7, "kind": "film", "status": "running", "stage": "render", "fraction": 0.42, "eta_s": 65,
           "message": "shot 3 of 6 @everyone"}
    text = progress_text(job, title="My *Film*")
    assert "job #7" in text and "`render`" in text and "42%" in text and "ETA 1m 05s" in text
    assert "@everyone" not in text and r"My \*Film\*" in text
    assert "position 3" in progress_text({**job, "status": "queued"}, position=3)
    assert "done" in progress_text({**job, "status": "done", "message": ""})


def test_brief_summary_escapes_everything():
    s = brief_summary({"title": "@everyone", "lines": ["hi <@&123456789012345678>"], "props": ["a _cup_"],
                       "science": None}, takes=2)
    assert "@everyone" not in s and "<@&123456789012345678>" not in s and r"\_cup\_" in s and "**Takes:** 2" in s


def test_tally_text_in_take_order():
    assert tally_text({11: 2, 10: 0}, {10: 1, 11: 2}) == "1️⃣ 0 · 2️⃣ 2"


def test_queue_and_job_info_text():
    rows = [{"id": 3, "kind": "film", "status": "running", "stage": "voice", "fraction": 0.5, "eta_s": 30,
             "requester_id": 1, "position": 1},
            {"id": 4, "kind": "write", "status": "queued", "requester_id": 2, "eta_s": 90, "position": 2}]
    text = queue_text(rows, user_id=2)
    assert text.index("job #3") < text.index("job #4")
    assert "← yours" in text.splitlines()[2] and "← yours" not in text.splitlines()[1]
    assert queue_text([]).startswith("The queue is empty")
    info = {"job": {"id": 4, "kind": "film", "status": "queued", "requester_id": 2,
                    "payload": {"brief_id": 1, "take_id": 9, "max_mb": 9.0}},
            "brief": {"id": 1, "status": "producing", "brief": {"title": "T", "lines": ["L"], "props": ["P"]}},
            "take": {"index": 2, "seed": 1234, "score": 0.51234}}
    out = job_info_text(info)
    assert "Take 2 · seed 1234" in out and "max_mb" in out and "**Title:** T" in out


def test_brief_summary_counts_what_does_not_fit():
    brief = {"title": "T", "lines": [f"{i} " + "_" * 290 for i in range(8)], "props": ["a bell"], "science": None}
    s = brief_summary(brief, takes=2, limit=1400)
    assert len(s) <= 1400 and s.startswith("**Title:** T") and s.endswith("more")
    assert brief_summary({"title": "T", "lines": ["hi"], "props": ["a bell"]}) == \
        "**Title:** T\n**Line:** “hi”\n**Prop:** a bell"


def test_excerpt_block_fits_its_budget_even_full_of_fences():
    page = "INT. ROOM - DAY\n\n" + ("`" * 90 + "\n") * 40
    assert len(code_block(excerpt(page, limit=1600))) > 1900  # what used to be sent
    block = excerpt_block(page, budget=1900, limit=1600)
    assert len(block) <= 1900 and block.startswith("```\nINT. ROOM") and block.endswith("\n```")
    assert excerpt_block("short", budget=1900) == code_block("short")


def test_a_films_post_keeps_its_notes_within_one_message():
    """The swap's notes go under the credits, as many as fit: the post (and the warning a too-big film adds to
    it) stays one Discord message, whatever the credits and notes weigh."""
    from bot.cogs.delivery import _film_text

    job = {"id": 7, "requester_id": 42}
    film = {"duration_s": 61.0, "size_bytes": 4_000_000}
    notes = [f"Bea: note {i} " + "about a photo that would swap better " * 8 for i in range(12)]
    text = _film_text(job, "Moonrise", {"index": 2}, film, {"credits": ["Cast " * 300], "notes": notes})
    assert "**Notes**\n- Bea: note 0 about a photo" in text and text.endswith("Requested by <@42>.")
    assert len(text) + 250 <= 2000
    short = _film_text(job, "Moonrise", None, film, {"credits": ["Written by Benjamin"], "notes": notes[:2]})
    assert short.count("\n- Bea: note") == 2
    assert "**Notes**" not in _film_text(job, "Moonrise", None, film, {"credits": ["Written by Benjamin"]})
