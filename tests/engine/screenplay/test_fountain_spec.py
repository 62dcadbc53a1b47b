"""Fountain as the spec (fountain.io/syntax) has it: one test per rule, each on the spec's own example where it
gives one. Every parsed example must also survive a write and a second read unchanged."""
from __future__ import annotations

import pytest

from engine.screenplay.document import (Action, Dialogue, Note, PageBreak, Screenplay, Scene, Section, Synopsis,
                                        Transition)
from engine.screenplay.fountain import parse_fountain, to_fountain


def read(text: str, notes: bool = False) -> Screenplay:
    sp = parse_fountain(text, notes=notes)
    again = to_fountain(sp)
    assert parse_fountain(again, notes=notes) == sp, again  # every example round-trips
    return sp


def elements(text: str, notes: bool = False) -> list:
    return [el for s in read(text, notes).scenes for el in s.elements]


# ---------------------------------------------------------------- the findings

def test_every_character_extension_is_removed_from_the_name():
    sp = read("BOB (V.O.) (CONT'D)\nStill here.\n\nBOB\nAnd here.\n")
    assert sp.characters() == ["BOB"]
    first = next(d for _, d in sp.dialogue())
    assert first.extensions() == ("V.O.", "CONT'D")
    assert "BOB (V.O.) (CONT'D)\nStill here." in to_fountain(sp)


def test_extensions_and_headings_keep_their_spacing_and_parentheticals_their_emphasis():
    text = ("INT.  WILL'S BEDROOM - NIGHT (1973)\n\nEDWARD (V.O.)(CONT'D)\nBy the time I was born.\n\n"
            "R2D2\nBleep Boop.\n(*This is a valid character cue.*)\n")
    sp = read(text)
    assert sp.scenes[0].heading == "INT.  WILL'S BEDROOM - NIGHT (1973)"
    speech, beep, aside = sp.scenes[0].elements
    assert speech.character == "EDWARD" and speech.extensions() == ("V.O.", "CONT'D")
    assert aside.parenthetical == "(This is a valid character cue.)"
    assert to_fountain(sp) == text


def test_extensions_may_be_lower_case():
    assert elements("HANS (on the radio)\nWhat was it you said?\n") == [
        Dialogue("HANS", "What was it you said?", None, "on the radio")]


def test_a_note_over_a_truly_blank_line_is_no_note_and_its_text_stays():
    text = ("His hand is an inch from the receiver when the phone RINGS.[[This section needs work.\n"
            "Either that, or I need coffee.\n\nDefinitely coffee.]] He looks around.\n")
    got = elements(text)
    assert [el.text for el in got] == [
        "His hand is an inch from the receiver when the phone RINGS.[[This section needs work.\n"
        "Either that, or I need coffee.", "Definitely coffee.]] He looks around."]


def test_a_note_joined_by_a_two_space_line_is_a_note():
    text = ("His hand is an inch from the receiver when the phone RINGS. Scott pauses for a moment, suspicious "
            "for some reason.[[This section needs work.\nEither that, or I need coffee.\n  \nDefinitely coffee.]] "
            "He looks around. Phone ringing.\n")
    assert elements(text) == [Action("His hand is an inch from the receiver when the phone RINGS. Scott pauses for "
                                     "a moment, suspicious for some reason. He looks around. Phone ringing.")]
    kept = elements(text, notes=True)
    assert kept[1] == Note("This section needs work.\nEither that, or I need coffee.\n\nDefinitely coffee.")


def test_notes_are_kept_when_asked_for():
    text = ("INT. TRAILER HOME - DAY\n\n[[Or did we think of actual names for these guys?]]\n\n"
            "DAN\nThen let's retire them.\n")
    assert elements(text) == [Dialogue("DAN", "Then let's retire them.")]
    assert elements(text, notes=True)[0] == Note("Or did we think of actual names for these guys?")


def test_boneyard_may_span_blank_lines():
    text = ("COGNITO\nEveryone's coming after you mate!\n\n/*\nINT. GARAGE - DAY\n\nBRICK and STEEL get into "
            "Mom's PORSCHE.\n*/\n\nSTEEL\nWhat'd we do?\n")
    sp = read(text)
    assert [d.character for _, d in sp.dialogue()] == ["COGNITO", "STEEL"] and len(sp.scenes) == 1


def test_a_transition_ends_in_TO_colon_exactly():
    assert elements("CUT TO:\n") == [Transition("CUT TO:")]
    assert elements("CUT TO: \n") == [Action("CUT TO:")]  # "ending in TO:": the trailing space says otherwise
    assert elements("> Burn to White.\n") == [Transition("Burn to White.")]


def test_a_heading_needs_a_blank_line_after_it():
    assert read("EXT. BRICK'S PATIO - DAY\n\nA gorgeous day.\n").scenes[0].heading == "EXT. BRICK'S PATIO - DAY"
    sp = read("EXT. BRICK'S PATIO - DAY\nA gorgeous day.\n")
    assert sp.scenes[0].heading == "" and sp.scenes[0].elements == [Action("EXT. BRICK'S PATIO - DAY\nA gorgeous day.")]


def test_forced_names_keep_their_case():
    assert elements("@McCLANE\nYippee ki-yay! Motherfucker.\n")[0].character == "McCLANE"


def test_asterisks_that_are_not_emphasis_stay():
    assert elements("He dialed *69 and then *23, and then hung up.\n") == [
        Action("He dialed *69 and then *23, and then hung up.")]
    italic = elements("He dialed *69 and then 23*, and then hung up.")[0]
    assert italic.text == "He dialed 69 and then 23, and then hung up."
    assert elements("Open file_name_here now.\n") == [Action("Open file_name_here now.")]


def test_emphasis_markers_stay_on_one_line():
    text = "As he rattles off the long list, Brick and Steel *share a look.\n\nThis is going to be BAD.*\n"
    assert [el.text for el in elements(text)] == ["As he rattles off the long list, Brick and Steel *share a look.",
                                                  "This is going to be BAD.*"]


def test_escaped_emphasis_and_kept_emphasis():
    el = elements("INT. VAULT - NIGHT\n\nSteel enters the code on the keypad: **\\*9765\\***\n")[0]
    assert el.text == "Steel enters the code on the keypad: *9765*" and el.markup.endswith("**\\*9765\\***")
    assert to_fountain(read("From inches away. _Steel's face FILLS the scope_.\n")).strip() == \
        "From inches away. _Steel's face FILLS the scope_."


def test_indentation_inside_action_is_kept_and_ignored_elsewhere():
    text = ("\t\tCUT TO:\n\nINT. GARAGE - DAY\n\nBRICK and STEEL get in.\n    Indented, on purpose.\n\n"
            "\t\t\tBRICK\n\tThis is everybody we've ever put away.\n\n\t\t\tSTEEL\n\t\t(starting the engine)\n"
            "\tSo much for retirement!\n")
    sp = read(text)
    assert sp.scenes[0].elements == [Transition("CUT TO:")]
    assert sp.scenes[1].elements == [
        Action("BRICK and STEEL get in.\n    Indented, on purpose."),
        Dialogue("BRICK", "This is everybody we've ever put away."),
        Dialogue("STEEL", "So much for retirement!", "(starting the engine)")]


def test_a_parenthetical_after_the_last_line_is_kept():
    assert elements("BOB\nHi.\n(smiles)\n") == [Dialogue("BOB", "Hi."), Dialogue("BOB", "", "(smiles)", joined=True)]


def test_a_parenthetical_over_two_lines_is_not_spoken():
    got = elements("BOB\n(looking around,\nnervous)\nHi.\n")
    assert got == [Dialogue("BOB", "Hi.", "(looking around,\nnervous)")]
    assert elements("BOB\n(beat) Hi.\n") == [Dialogue("BOB", "(beat) Hi.")]  # closes mid-line: spoken


# ---------------------------------------------------------------- the writer

def test_multi_line_title_page_values_stay_multi_line_and_no_title_is_invented():
    text = "Title:\n    _**BRICK & STEEL**_\n    _**FULL RETIRED**_\nAuthor: Stu Maschwitz\n\nINT. HOUSE - DAY\n\nHi.\n"
    out = to_fountain(read(text))
    assert out.startswith("Title:\n    _**BRICK & STEEL**_\n    _**FULL RETIRED**_\nAuthor: Stu Maschwitz\n\n")
    untitled = to_fountain(read("Author: Me\n\nINT. HOUSE - DAY\n\nHi.\n"))
    assert "Title" not in untitled and untitled.startswith("Author: Me\n")


def test_an_escaped_scene_number_stays_text():
    sp = read("INT. HOUSE - DAY \\#1\\#\n\nHi.\n")
    assert (sp.scenes[0].heading, sp.scenes[0].number) == ("INT. HOUSE - DAY #1#", None)
    numbered = read("INT. HOUSE - DAY - FLASHBACK (1944) #110A#\n\nHi.\n").scenes[0]
    assert (numbered.heading, numbered.number) == ("INT. HOUSE - DAY - FLASHBACK (1944)", "110A")
    assert "#110A#" in to_fountain(Screenplay("", {}, [numbered]))


def test_a_parenthetical_mid_speech_is_written_under_one_cue():
    text = "STEEL\n(starting the engine)\nSo much for retirement!\n(beat)\nOr not.\n"
    assert to_fountain(read(text)) == text


def test_single_brackets_are_not_escaped():
    text = "She reads [sic] aloud, then a note [in pencil].\n"
    assert to_fountain(read(text)) == text


# ---------------------------------------------------------------- everything else the model keeps

def test_sections_synopses_and_page_breaks():
    sp = read("# ACT I\n\n= Set up the characters and the story.\n\n## CHAPTER 1\n\nEXT. PATIO - DAY\n\n"
              "= This scene sets up Brick & Steel's new life as retirees.\n\nHi.\n\n===\n\nBye.\n")
    assert sp.scenes[0].elements == [Section("ACT I", 1), Synopsis("Set up the characters and the story."),
                                     Section("CHAPTER 1", 2)]
    assert sp.scenes[1].elements == [Synopsis("This scene sets up Brick & Steel's new life as retirees."),
                                     Action("Hi."), PageBreak(), Action("Bye.")]
    assert sp.word_count() == 6  # the heading, Hi, Bye: sections and synopses do not print


def test_forced_headings_and_ellipses():
    assert read(".SNIPER SCOPE POV\n\nHi.\n").scenes[0].heading == "SNIPER SCOPE POV"
    assert elements("...and then the lights go out.\n") == [Action("...and then the lights go out.")]


def test_centered_text_and_forced_action():
    assert elements("> THE END <\n") == [Action("THE END", centered=True)]
    assert elements("!SCANNING THE AISLES...\nWhere is that pit boss?\n") == [
        Action("SCANNING THE AISLES...\nWhere is that pit boss?")]


def test_dual_dialogue():
    got = elements("BRICK\nScrew retirement.\n\nSTEEL ^\nScrew retirement.\n")
    assert got == [Dialogue("BRICK", "Screw retirement."), Dialogue("STEEL", "Screw retirement.", dual=True)]


def test_lyrics():
    got = elements("~Willy Wonka! Willy Wonka! The amazing chocolatier!\n"
                   "~Willy Wonka! Willy Wonka! Everybody give a cheer!\n")
    assert got == [Action("Willy Wonka! Willy Wonka! The amazing chocolatier!\n"
                          "Willy Wonka! Willy Wonka! Everybody give a cheer!", lyric=True)]
    sung = elements("WONKA\nCome with me.\n~And you'll be\n")
    assert sung == [Dialogue("WONKA", "Come with me."), Dialogue("WONKA", "And you'll be", lyric=True, joined=True)]


def test_an_empty_line_inside_dialogue_needs_two_spaces():
    assert elements("DEALER\nTen.\nFour.\nDealer gets a seven.\n  \nHit or stand sir?\n")[0].text == \
        "Ten.\nFour.\nDealer gets a seven.\n\nHit or stand sir?"


def test_line_breaks_in_action_are_kept():
    text = "Murtaugh, springing.\nAn explosion of sound...\nAs it rises like an avenging angel ...\n"
    assert elements(text) == [Action(text.rstrip("\n"))]


def test_character_names_need_a_letter():
    assert elements("R2D2\nBeep.\n")[0] == Dialogue("R2D2", "Beep.")
    assert elements("23\nBeep.\n") == [Action("23\nBeep.")]


@pytest.mark.parametrize("first", ["FADE IN:", "Note: the first line has a colon."])
def test_a_body_that_starts_with_a_colon_is_not_a_title_page(first):
    sp = Screenplay("", {}, [Scene("", [Action(first)]), Scene("INT. HOUSE - DAY", [Action("Hi.")])])
    assert parse_fountain(to_fountain(sp)) == sp
