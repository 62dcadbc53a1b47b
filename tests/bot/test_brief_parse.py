"""Free-text mentions → briefs."""
import pytest

from bot.brief_parse import describe_missing, parse_brief, strip_mentions


def test_the_issue_example():
    p = parse_brief("<@42> make a film called Moonrise where someone says 'We were never here' and there is a lantern")
    assert p.title == "Moonrise"
    assert p.lines == ["We were never here"]
    assert p.props == ["a lantern"]
    assert p.missing == []


@pytest.mark.parametrize("quote", [("“", "”"), ('"', '"'), ("'", "'"), ("‘", "’"), ("«", "»"), ("„", "“")])
def test_quote_styles(quote):
    o, c = quote
    p = parse_brief(f"<@!1> film called {o}Dawn{c} where she says {o}It isn't over, is it?{c} with a red kite")
    assert p.title == "Dawn"
    assert p.lines == ["It isn't over, is it?"]  # apostrophes inside are not quotes
    assert p.props == ["a red kite"]


def test_keywords_inside_quotes_do_not_trigger():
    p = parse_brief("make a film called “There is a called thing” where he says “there is a titled prop” "
                    "and there's a spoon")
    assert p.title == "There is a called thing"
    assert p.lines == ["there is a titled prop"]
    assert p.props == ["a spoon"]


def test_unicode_science_takes_pages_and_several_props():
    p = parse_brief("<@1> make a film called Ünïcødé Nights where someone whispers “ça va, 東京?” featuring "
                    "a glass eye and a broken clock, about quantum tunnelling, 2 takes, 0.5 pages")
    assert p.title == "Ünïcødé Nights"
    assert p.lines == ["ça va, 東京?"]
    assert p.props == ["a glass eye", "a broken clock"]
    assert p.science == "quantum tunnelling"
    assert p.takes == 2 and p.pages == 0.5
    assert p.brief()["pages"] == 0.5


def test_key_value_form():
    p = parse_brief("title: Moon; line: We are out of air; prop: a helmet; science: vacuum")
    assert (p.title, p.lines, p.props, p.science) == ("Moon", ["We are out of air"], ["a helmet"], "vacuum")


def test_missing_parts_are_asked_for_not_guessed():
    p = parse_brief("<@1> make a film called Tides")
    assert p.title == "Tides" and p.missing == ["line", "prop"]
    ask = describe_missing(p.missing)
    assert "line" in ask and "prop" in ask and "title" not in ask
    assert parse_brief("<@1> hello there").empty
    assert parse_brief("").empty


def test_everyone_in_the_text_stays_text():
    p = parse_brief("film called @everyone where someone says '@here <@&99> hi' and there is a <@5> cup")
    assert p.lines == ["@here <@&99> hi"]  # kept verbatim: escaping happens when shown
    assert "<@5>" not in " ".join(p.props)  # mentions outside quotes are stripped


def test_strip_mentions():
    assert strip_mentions("<@1> hi <@!2> <@&3>") == "hi"
