"""Casting and planning on small hand-made libraries, tested by equality."""
from pathlib import Path

import pytest

from engine.footage import Library, LibraryActor, LibraryClip, LibraryShot
from engine.footage.plan import FilmPlan, PlannedShot, cast_actors, plan_film
from engine.screenplay.document import Action, Dialogue, Scene, Screenplay

CLIP = Path("/f/a.mp4")
CREDIT = "A Films, CC0"
SPEECH = "I have kept this light for forty years and I will keep it for forty more"


def screenplay() -> Screenplay:
    return Screenplay("T", scenes=[
        Scene("INT. LAB - NIGHT", [Action("A brass telescope points at the sky."), Dialogue("ALICE", "Hello there."),
                                   Dialogue("BOB", "Hi."), Dialogue("ALICE", SPEECH)]),
        Scene("EXT. BRIDGE - DAY", [Dialogue("BOB", "Bye.")]),
    ])


def library(*extra: LibraryShot, actors=(10, 20, 30)) -> Library:
    shots = (LibraryShot(1, 1, 0.0, 3.0, "none"), LibraryShot(2, 1, 3.0, 6.0, "closeup", (10,)),
             LibraryShot(3, 1, 6.0, 9.0, "closeup", (20,)), LibraryShot(4, 1, 9.0, 12.0, "two-shot", (10, 20)),
             LibraryShot(5, 1, 12.0, 15.0, "wide", (30,)), LibraryShot(6, 1, 15.0, 18.0, "none")) + extra
    return Library((LibraryClip(1, CLIP, "a", "A Films", "CC0", 18.0),), shots,
                   tuple(LibraryActor(a, f"Actor {k}") for k, a in enumerate(actors, 1)))


DURATIONS = [1.0, 0.5, 3.0, 0.8]  # voiced seconds per line; each gets a 0.35 s pause after it


def shot(beat, sid, start, end, speed, duration, framing, line=None, character=None, actor=None, swaps=()):
    return PlannedShot(beat, CLIP, sid, start, end, speed, duration, framing, line, character, actor, swaps, CREDIT)


def test_each_character_keeps_one_actor_and_lines_go_to_their_faces():
    plan = plan_film(screenplay(), library(), DURATIONS, members={"BOB": "Ada"}, props=("brass telescope",))
    assert plan == FilmPlan(
        shots=(
            shot("scene 1", 1, 0.0, 2.0, 1.0, 2.0, "none"),  # establishing: no faces
            shot("action 1.0", 5, 12.0, 14.833, 1.0, 2.833, "wide"),  # names the prop: a wide
            shot("line 0", 4, 9.0, 10.35, 1.0, 1.35, "two-shot", 0, "ALICE", 10, (("Ada", 20),)),  # an exchange
            shot("line 1", 4, 10.35, 11.2, 1.0, 0.85, "two-shot", 1, "BOB", 20, (("Ada", 20),)),
            shot("line 2", 2, 3.0, 6.0, 0.896, 3.35, "closeup", 2, "ALICE", 10),  # a speech: close-up, slowed
            shot("scene 2", 6, 15.0, 17.0, 1.0, 2.0, "none"),  # unused footage before shot 1's leftovers
            shot("line 3", 3, 6.0, 7.15, 1.0, 1.15, "closeup", 3, "BOB", 20, (("Ada", 20),)),
        ),
        casting=(("ALICE", 10), ("BOB", 20)), notes=(), credits=(CREDIT,))
    assert plan.swap_pairs() == (("Ada", 20),)


def test_fewer_actors_than_characters_double_up_and_say_so():
    lib = Library((LibraryClip(1, CLIP, "a"),), (LibraryShot(1, 1, 0.0, 4.0, "closeup", (7,)),),
                  (LibraryActor(7, "Actor 1"),))
    casting, notes = cast_actors(screenplay(), lib)
    assert casting == {"ALICE": 7, "BOB": 7}
    assert notes == ["Actor 1 plays ALICE and BOB (1 actor(s) in the footage for 2 characters)"]


def test_shots_are_not_reused_until_the_library_runs_out():
    lib = Library((LibraryClip(1, CLIP, "a"),), (LibraryShot(1, 1, 0.0, 1.0, "closeup", (7,)),
                                                 LibraryShot(2, 1, 1.0, 2.0, "closeup", (7,))),
                  (LibraryActor(7, "Actor 1"),))
    sp = Screenplay("T", scenes=[Scene("", [Dialogue("ALICE", f"Line {i}.") for i in range(4)])])
    plan = plan_film(sp, lib, [0.65] * 4)  # each line fills a whole 1-second shot
    assert [(s.shot, s.start, s.end) for s in plan.shots] == [(1, 0.0, 1.0), (2, 1.0, 2.0), (1, 0.0, 1.0),
                                                              (2, 1.0, 2.0)]


def test_short_shots_are_slowed_at_most_to_0_8_then_held_a_little():
    lib = Library((LibraryClip(1, CLIP, "a"),), (LibraryShot(1, 1, 0.0, 1.0, "closeup", (7,)),),
                  (LibraryActor(7, "Actor 1"),))
    sp = Screenplay("T", scenes=[Scene("", [Dialogue("ALICE", "A line.")])])
    (only,) = plan_film(sp, lib, [1.85]).shots  # 2.2 s on screen from 1 s of footage: 1.25 s slowed, then held
    assert (only.start, only.end, only.speed, only.duration, only.offset) == (0.0, 1.0, 0.8, 2.2, 0.0)


def test_a_line_longer_than_its_shots_cuts_between_them_instead_of_freezing():
    lib = Library((LibraryClip(1, CLIP, "a"),), (LibraryShot(1, 1, 0.0, 1.0, "closeup", (7,)),
                                                 LibraryShot(2, 1, 5.0, 6.0, "closeup", (7,)),
                                                 LibraryShot(3, 1, 9.0, 10.0, "wide", (8,))),
                  (LibraryActor(7, "Actor 1"), LibraryActor(8, "Actor 2")))
    sp = Screenplay("T", scenes=[Scene("", [Dialogue("ALICE", "A long speech.")])])
    plan = plan_film(sp, lib, [3.65])  # 4 s on screen
    assert [(s.shot, s.start, s.end, s.speed, s.duration, s.offset) for s in plan.shots] == [
        (1, 0.0, 1.0, 1.0, 1.0, 0.0), (2, 5.0, 6.0, 1.0, 1.0, 1.0),  # each shot of ALICE's actor once...
        (1, 0.0, 1.0, 0.8, 2.0, 2.0)]  # ...then the first again, slowed, holding its last second
    assert {s.actor for s in plan.shots} == {7} and sum(s.duration for s in plan.shots) == 4.0


def test_footage_with_no_faces_still_cuts_every_beat_and_says_why():
    lib = Library((LibraryClip(1, CLIP, "a"),), (LibraryShot(1, 1, 0.0, 30.0, "none"),), ())
    plan = plan_film(screenplay(), lib, DURATIONS)
    assert [s.beat for s in plan.shots] == ["scene 1", "action 1.0", "line 0", "line 1", "line 2", "scene 2",
                                            "line 3"]
    assert plan.casting == (("ALICE", None), ("BOB", None)) and "no faces" in plan.notes[0]
    assert plan_film(screenplay(), Library(), DURATIONS).shots == ()


def test_headings_avoid_faces_while_faceless_footage_lasts():
    plan = plan_film(screenplay(), library(), DURATIONS)
    for s in plan.shots:
        if s.beat.startswith("scene"):
            assert s.framing == "none"
        if s.line is not None:
            assert s.actor == dict(plan.casting)[s.character]


@pytest.mark.parametrize("members,expected", [({}, ()), ({"alice": "Ada"}, (("Ada", 10),))])
def test_cast_members_replace_only_the_actors_they_are_assigned(members, expected):
    plan = plan_film(screenplay(), library(), DURATIONS, members=members)
    assert plan.swap_pairs() == expected


def test_the_timeline_cuts_the_plan_with_captions_and_keeps_every_beat_its_length():
    from engine.pipeline.produce import footage_from_plan
    from engine.render import FootageShot, SceneCard, build_timeline
    from engine.voice.spec import VoiceSpec
    from engine.voice.synth import VoicedLine

    sp = screenplay()
    lines = [VoicedLine(i, s, d.character, d.text, None, Path(f"/w/{i}.wav"), DURATIONS[i], VoiceSpec("espeak", "en"))
             for i, (s, d) in enumerate(sp.dialogue())]
    plan = plan_film(sp, library(), DURATIONS, props=("brass telescope",))
    tl = build_timeline(sp, lines, footage=footage_from_plan(plan, {2: Path("/w/swapped.mp4")}))
    shots = [v for v in tl.visuals if isinstance(v, FootageShot)]
    assert not any(isinstance(v, SceneCard) for v in tl.visuals)  # headings are establishing shots now
    assert [(v.beat, v.start, v.duration, v.src_start, v.src_end) for v in shots] == [
        ("scene 1", 3.0, 2.0, 0.0, 2.0), ("action 1.0", 5.0, 2.833, 12.0, 14.833),
        ("line 0", 7.833, 1.35, 9.0, 10.35), ("line 1", 9.183, 0.85, 10.35, 11.2),
        ("line 2", 10.033, 3.35, 3.0, 6.0), ("scene 2", 13.383, 2.0, 15.0, 17.0), ("line 3", 15.383, 1.15, 6.0, 7.15)]
    assert shots[2].replacement == Path("/w/swapped.mp4") and shots[2].speaker == "ALICE"
    captions = [(s.text, s.speaker) for s in tl.subtitles if not s.speaker]
    assert captions == [("INT. LAB - NIGHT", ""), ("A brass telescope points at the sky.", ""),
                        ("EXT. BRIDGE - DAY", "")]
    assert tl.duration == pytest.approx(3.0 + 2.0 + 2.833 + 1.35 + 0.85 + 3.35 + 2.0 + 1.15
                                        + next(v.duration for v in tl.visuals if type(v).__name__ == "Credits"))


def test_a_plan_survives_the_job_folder_so_a_resumed_job_cuts_the_same_shots():
    from engine.pipeline.stage import from_jsonable, to_jsonable

    plan = plan_film(screenplay(), library(), DURATIONS, members={"BOB": "Ada"})
    assert from_jsonable(FilmPlan, to_jsonable(plan)) == plan
