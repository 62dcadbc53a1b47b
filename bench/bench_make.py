"""End-to-end benchmark of `make demo` on 2 cores, with a per-stage breakdown.

    python bench/bench_make.py            # the demo exactly: default brief, shipped writer, 3 takes, 640x360
    python bench/bench_make.py --quick    # 1 take of half a page at 320x180 (a smoke run)
    python bench/bench_make.py --cores 4
    python bench/bench_make.py --cast-photos ../shared/data/faces/ccby_tang_video_person_b
                                          # a film from the shipped footage with one cast member swapped in

The job goes through the real queue and worker. Stage times are also given in reference units: one
unit is a fixed CPU workload (LSTM-sized matrix products) timed in the same process on the same
cores, so runs on different machines compare. A second run on the same job folder shows what a
resumed job costs when every stage is already done.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def pin(cores: int) -> int:
    """Use at most ``cores`` CPU cores (affinity + thread pools); returns the number in use."""
    try:
        cpus = sorted(os.sched_getaffinity(0))[:cores]
        os.sched_setaffinity(0, set(cpus))
        cores = len(cpus)
    except (AttributeError, OSError):
        pass
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(cores)
    import torch

    torch.set_num_threads(cores)
    return cores


def reference_s(repeats: int = 3) -> float:
    """Seconds for a fixed workload: 50 (64x512)@(512x2048) products, like LSTM steps (best of 3)."""
    import torch

    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(64, 512, generator=g), torch.randn(512, 2048, generator=g)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(50):
            torch.tanh(a @ b)
        best = min(best, time.perf_counter() - t0)
    return best


def run_make(home: Path, argv: list[str]) -> tuple[dict, float]:
    from bot.cli import build_parser
    from bot.cli.make import _payload, brief_from_args
    from bot.settings import Settings
    from studio.worker import Worker
    from storage import jobs
    from storage.briefs import create_brief
    from storage.db import open_db

    settings = Settings(home=home, device="cpu")
    args = build_parser().parse_args(["make", *argv])
    brief = brief_from_args(args)
    db = open_db(settings.db_path)
    job_id = jobs.enqueue(db, "make", _payload(args, settings, brief),
                          brief_id=create_brief(db, brief.to_dict(), source="bench"))
    t0 = time.perf_counter()
    Worker(settings).run_once()
    wall = time.perf_counter() - t0
    row = jobs.get_job(db, job_id)
    if row["status"] != "done":
        raise SystemExit(f"the make job {row['status']}: {row['error']}")
    return row, wall


def rerun(home: Path, row: dict) -> tuple[dict, float]:
    """Run the same job folder again (as a resumed job would): every stage should be skipped."""
    from studio.handlers import JobContext, run_job
    from bot.settings import Settings
    from engine.progress import null_progress
    from storage.db import open_db

    settings = Settings(home=home, device="cpu")
    ctx = JobContext(settings, open_db(settings.db_path), row, settings.jobs_dir / str(row["id"]), null_progress)
    t0 = time.perf_counter()
    result = run_job(ctx)
    return result, time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 take, half a page, 320x180 at 12 fps")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the temporary BENJAMIN_HOME")
    parser.add_argument("--cast-photos", type=Path, metavar="DIR",
                        help="add a cast member from the photos in DIR and swap them into the footage film")
    args = parser.parse_args()
    cores = pin(args.cores)
    import logging

    logging.basicConfig(level=logging.WARNING)
    argv = ["--demo", "--seed", "1"]
    home = Path(tempfile.mkdtemp(prefix="bench-make-"))
    if args.cast_photos:
        from storage.cast import add_member
        from storage.db import open_db

        photos = sorted(str(p) for p in args.cast_photos.glob("*.jpg"))
        add_member(open_db(home / "benjamin.db"), guild_id=0, user_id=1, name="Bench", photos=photos, consented_by=1)
        argv = ["--footage", "library", "--cast", "Bench", "--seed", "1"]
    if args.quick:
        argv += ["--takes", "1", "--pages", "0.5", "--size", "320x180", "--fps", "12"]
    ref = reference_s()
    row, wall = run_make(home, argv)
    result = row["result"]
    _, again = rerun(home, row)
    what = "make --footage library --cast (one member swapped in)" if args.cast_photos else "make demo"
    print(f"{what}{' --quick' if args.quick else ''} on {cores} core(s); reference unit = {ref:.3f} s")
    print(f"film: {result['duration_s']:.1f} s of video, {result['size_bytes'] / 2**20:.2f} MB, "
          f"{result['width']}x{result['height']}, {result['takes']} take(s)")
    print(f"{'stage':<8}{'seconds':>10}{'share':>8}{'ref units':>11}")
    stages = result["stages_s"]
    for name, s in stages.items():
        print(f"{name:<8}{s:>10.2f}{s / wall:>8.0%}{s / ref:>11.1f}")
    other = wall - sum(stages.values())
    print(f"{'other':<8}{other:>10.2f}{other / wall:>8.0%}{other / ref:>11.1f}")
    print(f"{'total':<8}{wall:>10.2f}{1:>8.0%}{wall / ref:>11.1f}")
    print(f"real-time factor: {wall / result['duration_s']:.2f} (wall seconds per second of film)")
    print(f"resume with every stage done: {again:.2f} s ({again / wall:.1%} of a full run)")
    if args.keep:
        print(f"kept: {home}")
    else:
        import shutil

        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
