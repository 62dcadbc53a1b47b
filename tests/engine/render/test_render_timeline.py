"""The timeline is plain data: built from screenplay + line durations + shots, checked by equality."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import RenderError
from engine.render import (
    AI_NOTE, ActionCard, AudioCue, CharacterCard, Credits, FootageShot, Portrait, SceneCard, Subtitle, Timeline,
    TitleCard, build_timeline, credits_text,
)
from engine.render.timeline import card_color
from engine.screenplay.document import Action, Dialogue, Scene, Screenplay, Transition
from engine.voice import PRESETS, VoicedLine

SP = Screenplay("The Last Lighthouse", scenes=[
    Scene("INT. LIGHTHOUSE - NIGHT", [
        Action("Waves hit the rocks."),
        Dialogue("MARA", "I was never meant to keep the light."),
        Transition("CUT TO:"),
        Dialogue("TOMAS", "Then why stay?", "(whispering)"),
    ]),
    Scene("EXT. CLIFF - DAWN", [Dialogue("MARA", "Somebody has to.")]),
])


def voiced(durations=(2.0, 1.5, 1.25)) -> list[VoicedLine]:
    spoken = [(0, "MARA", "I was never meant to keep the light.", None, PRESETS["neural-deep"]),
              (0, "TOMAS", "Then why stay?", "(whispering)", PRESETS["neural-bright"]),
              (1, "MARA", "Somebody has to.", None, PRESETS["neural-deep"])]
    return [VoicedLine(i, s, c, t, p, Path(f"/v/{i}.wav"), d, v)
            for i, ((s, c, t, p, v), d) in enumerate(zip(spoken, durations))]


def test_timeline_from_screenplay_and_durations():
    tl = build_timeline(SP, voiced(), size=(854, 480), fps=24)
    deep, bright = PRESETS["neural-deep"].label(), PRESETS["neural-bright"].label()
    # title 3 | scene 2 | action 2 (4 words: the 2 s minimum) | line 2+0.35 | line 1.5+0.35 | scene 2 |
    # line 1.25+0.35 | credits 5 s + 0.35 s per row (2 cast + 2 voices) = 6.4 s
    expected = Timeline(
        width=854, height=480, fps=24, duration=21.2,
        visuals=(
            TitleCard(0.0, 3.0, "The Last Lighthouse", "Written by Benjamin"),
            SceneCard(3.0, 2.0, "INT. LIGHTHOUSE - NIGHT", 1),
            ActionCard(5.0, 2.0, "Waves hit the rocks.", 0),
            CharacterCard(7.0, 2.35, "MARA", card_color("MARA"), None),
            CharacterCard(9.35, 1.85, "TOMAS", card_color("TOMAS"), "(whispering)"),
            SceneCard(11.2, 2.0, "EXT. CLIFF - DAWN", 2),
            CharacterCard(13.2, 1.6, "MARA", card_color("MARA"), None),
            Credits("The Last Lighthouse", cast=(("MARA", "drawn card"), ("TOMAS", "drawn card")),
                    voices=(("MARA", deep), ("TOMAS", bright)), footage=(), note=AI_NOTE, start=14.8, duration=6.4),
        ),
        subtitles=(
            Subtitle(7.0, 9.0, "I was never meant to keep the light.", "MARA"),
            Subtitle(9.35, 10.85, "Then why stay?", "TOMAS"),
            Subtitle(13.2, 14.45, "Somebody has to.", "MARA"),
        ),
        audio=(AudioCue(7.0, Path("/v/0.wav"), 2.0), AudioCue(9.35, Path("/v/1.wav"), 1.5),
               AudioCue(13.2, Path("/v/2.wav"), 1.25)),
        title="The Last Lighthouse",
    )
    assert tl == expected


def test_faces_give_portraits_and_footage_takes_its_line():
    face = Path("/faces/mara.jpg")
    shot = FootageShot(Path("/f/clip.mp4"), 1.0, 9.0, line=1, source="Weekly address (public domain)")
    tl = build_timeline(SP, voiced(), faces={"MARA": face}, footage=[shot])
    shots = [v for v in tl.visuals if isinstance(v, (Portrait, FootageShot, CharacterCard))]
    assert shots == [
        Portrait(7.0, 2.35, "MARA", face, (1.0, 1.12), (0.03, -0.02), None),
        FootageShot(Path("/f/clip.mp4"), 1.0, 2.85, 9.35, 1.85, 1, "Weekly address (public domain)", "TOMAS"),
        Portrait(13.2, 1.6, "MARA", face, (1.0, 1.12), (0.03, -0.02), None),  # line 2: even, same drift
    ]
    credits = tl.visuals[-1]
    assert credits.cast == (("MARA", "face photo"), ("TOMAS", "drawn card"))
    assert credits.footage == ("Weekly address (public domain)",)


def test_untied_footage_fills_lines_in_order_and_short_clips_are_clamped():
    a = FootageShot(Path("/f/a.mp4"), 0.0, 1.0)
    tl = build_timeline(SP, voiced(), footage=[a])
    first = tl.visuals[3]
    assert isinstance(first, FootageShot) and (first.src_start, first.src_end, first.line) == (0.0, 1.0, 0)
    assert isinstance(tl.visuals[4], CharacterCard)  # only one shot given


def test_given_credits_are_kept_and_completed():
    given = Credits("The Last Lighthouse", cast=(("MARA", "Ada (@ada)"), ("TOMAS", "Bo")), footage=("PD clips",))
    credits = build_timeline(SP, voiced(), credits=given).visuals[-1]
    assert credits.cast == given.cast and credits.footage == ("PD clips",)
    assert credits.voices == (("MARA", PRESETS["neural-deep"].label()), ("TOMAS", PRESETS["neural-bright"].label()))
    assert "AI-made" in credits.note and "Benjamin" in credits.note


def test_long_action_is_split_over_cards_with_reading_time():
    long = " ".join(["word"] * 100)
    sp = Screenplay("T", scenes=[Scene("", [Action(long)])])
    tl = build_timeline(sp, [])
    cards = [v for v in tl.visuals if isinstance(v, ActionCard)]
    assert [len(c.text.split()) for c in cards] == [40, 40, 20]
    assert [c.duration for c in cards] == [6.0, 6.0, 6.0]  # 40/3+0.5 and 20/3+0.5 s, capped at 6 s
    assert not any(isinstance(v, SceneCard) for v in tl.visuals)  # no heading, no scene card


def test_mismatched_lines_are_refused():
    with pytest.raises(RenderError, match="do not match"):
        build_timeline(SP, voiced()[:2])


def test_odd_or_absurd_sizes():
    assert build_timeline(SP, voiced(), size=(427, 241)).width == 426
    with pytest.raises(RenderError, match="out of range"):
        build_timeline(SP, voiced(), size=(10, 10))


def test_lookup_helpers():
    tl = build_timeline(SP, voiced())
    assert isinstance(tl.visual_at(0.5), TitleCard)
    assert tl.subtitle_at(8.0).speaker == "MARA"
    assert tl.subtitle_at(9.1) is None  # the pause after a line has no subtitle
    assert tl.visual_at(tl.duration + 1) is None


def test_long_lines_are_subtitled_in_readable_pieces_over_the_spoken_time():
    text = ("I was never meant to keep the light. My father kept it, and his mother before him, "
            "and every one of them died up here waiting for a ship.")
    sp = Screenplay("T", scenes=[Scene("", [Dialogue("MARA", text)])])
    line = VoicedLine(0, 0, "MARA", text, None, Path("/v/0.wav"), 6.0, PRESETS["neural"])
    subs = build_timeline(sp, [line]).subtitles
    first = "I was never meant to keep the light. My father kept it, and his mother before him,"
    second = "and every one of them died up here waiting for a ship."
    split = round(3.0 + 6.0 * len(first) / (len(first) + len(second)), 3)
    assert subs == (Subtitle(3.0, split, first, "MARA"), Subtitle(split, 9.0, second, "MARA"))


def test_media_is_checked_once_per_file_and_every_shot_of_a_bad_one_is_reported(tmp_path, monkeypatch):
    import numpy as np
    from PIL import Image

    from engine.render import frames

    good, bad = tmp_path / "tomas.png", tmp_path / "mara.jpg"
    Image.fromarray(np.zeros((80, 60, 3), np.uint8)).save(good)
    bad.write_bytes(b"not a photo")
    tl = build_timeline(SP, voiced(), faces={"MARA": bad, "TOMAS": good})
    opened = []
    real = frames.load_photo
    monkeypatch.setattr(frames, "load_photo", lambda path, *a, **k: opened.append(Path(path)) or real(path, *a, **k))
    problems = frames.check_media(tl)
    mara = [i for i, v in enumerate(tl.visuals) if isinstance(v, Portrait) and v.character == "MARA"]
    assert sorted(problems) == mara and len(mara) == 2  # both of MARA's lines fall back to a card
    assert all("cast photo for MARA" in problems[i] and "mara.jpg" in problems[i] for i in mara)
    assert sorted(opened) == sorted([bad, good])  # each photo opened once


def test_a_line_with_no_words_gets_no_empty_subtitle_box():
    sp = Screenplay("Quiet", scenes=[Scene("INT. ROOM - DAY", [Dialogue("MARA", ""), Dialogue("TOMAS", "Well.")])])
    lines = [VoicedLine(0, 0, "MARA", "", None, Path("/v/0.wav"), 0.6, PRESETS["neural"]),
             VoicedLine(1, 0, "TOMAS", "Well.", None, Path("/v/1.wav"), 0.5, PRESETS["neural"])]
    tl = build_timeline(sp, lines)
    assert [(s.speaker, s.text) for s in tl.subtitles] == [("TOMAS", "Well.")]
    assert len(tl.audio) == 2  # the pause is still timed and played


def test_credits_text_lists_cast_voices_footage_and_the_ai_note():
    credits = Credits("T", cast=(("MARA", "Ada"), ("BOB", "drawn card")), voices=(("MARA", "Neural voice"),),
                      footage=("clip.mp4 (CC BY, someone)",))
    assert credits_text(credits) == (
        "Cast: MARA (Ada); BOB (drawn card)",
        "Voices: MARA: Neural voice",
        "Footage: clip.mp4 (CC BY, someone)",
        AI_NOTE,
    )
    assert credits_text(Credits("T")) == (AI_NOTE,)
