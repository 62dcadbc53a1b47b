"""Render: a plain-data Timeline (``build_timeline``) turned into an mp4 (``render_film``).

    tl = build_timeline(screenplay, voiced_lines, faces={"ALICE": photo})
    result = render_film(tl, job / "film.mp4", max_mb=10, on_progress=cb)
"""
from engine.render.ffmpeg import Budget, EncodeConfig, encode_command, plan_budget, probe, reencode_command
from engine.render.timeline import (
    AI_NOTE,
    ActionCard,
    AudioCue,
    CharacterCard,
    Credits,
    FootageShot,
    Portrait,
    SceneCard,
    Subtitle,
    Timeline,
    TimelineConfig,
    TitleCard,
    build_timeline,
    credits_text,
)
from engine.render.video import RenderConfig, RenderResult, render_film

__all__ = [
    "Budget", "EncodeConfig", "encode_command", "plan_budget", "probe", "reencode_command",
    "AI_NOTE", "ActionCard", "AudioCue", "CharacterCard", "Credits", "FootageShot", "Portrait", "SceneCard",
    "Subtitle", "Timeline", "TimelineConfig", "TitleCard", "build_timeline", "credits_text",
    "RenderConfig", "RenderResult", "render_film",
]
