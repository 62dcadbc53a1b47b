"""The production pipeline: write -> cast -> voice -> swap -> render, one stage contract for all.

    plan = ProductionPlan(brief, fountain_text, members=(CastMember("Ada", (photo,)),), max_mb=8)
    film = produce(plan, job_dir, on_progress)      # resumes from job_dir/<stage>/done.json

Each stage writes under ``job_dir/<stage>/`` and its done-marker last, so a killed job resumes
without redoing finished stages. Stages are plain functions of their inputs and the job folder.
"""
from engine.pipeline.cast import CastAssignment, CastInputs, CastStage, assign
from engine.pipeline.plan import CastMember, FilmResult, ProductionPlan
from engine.pipeline.produce import produce, run_stage
from engine.pipeline.render import RenderInputs, RenderStage
from engine.pipeline.stage import Stage
from engine.pipeline.swap import ShotSwap, SwapInputs, SwapStage
from engine.pipeline.voice import VoiceStage
from engine.pipeline.write import TakeInfo, WriteInputs, WriteStage, pick_take

STAGES = ("write", "cast", "voice", "swap", "render")

__all__ = [
    "CastAssignment", "CastInputs", "CastStage", "assign", "CastMember", "FilmResult", "ProductionPlan",
    "produce", "run_stage", "RenderInputs", "RenderStage", "Stage", "SwapStage", "ShotSwap", "SwapInputs", "VoiceStage",
    "TakeInfo", "WriteInputs", "WriteStage", "pick_take", "STAGES",
]
