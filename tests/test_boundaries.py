"""engine/ must not know about Discord, the scheduler or the database."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"discord", "apscheduler", "storage", "bot", "sqlite_utils"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__":
            if node.args and isinstance(node.args[0], ast.Constant):
                names.add(str(node.args[0].value).split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "import_module":
            if node.args and isinstance(node.args[0], ast.Constant):
                names.add(str(node.args[0].value).split(".")[0])
    return names


def test_engine_imports_no_discord_scheduler_or_storage():
    files = sorted((ROOT / "engine").rglob("*.py"))
    assert files, "engine/ has no Python files"
    bad = {str(f.relative_to(ROOT)): sorted(_imports(f) & FORBIDDEN) for f in files}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, f"engine/ must not import {sorted(FORBIDDEN)}: {bad}"


def test_boundary_check_catches_a_forbidden_import(tmp_path):
    f = tmp_path / "x.py"
    f.write_text("import discord\nfrom storage.jobs import enqueue\nimportlib.import_module('apscheduler')\n")
    assert _imports(f) & FORBIDDEN == {"discord", "storage", "apscheduler"}


def test_storage_does_not_import_discord_or_engine_internals():
    for f in (ROOT / "storage").rglob("*.py"):
        assert not (_imports(f) & {"discord", "apscheduler", "bot"}), f


def test_studio_imports_no_discord_and_nothing_of_the_bot():
    """A worker machine runs studio/, engine/ and storage/ only: no Discord code (the footage library in
    bot/library.py is Discord-free and is the one bot module it may use)."""
    files = sorted((ROOT / "studio").rglob("*.py"))
    assert files, "studio/ has no Python files"
    bad = {str(f.relative_to(ROOT)): sorted(_imports(f) & {"discord", "apscheduler"}) for f in files}
    assert not {k: v for k, v in bad.items() if v}, bad
    for f in files:
        others = {m for m in _module_imports(f) if m.split(".")[0] == "bot" and m not in ("bot", "bot.library")}
        assert not others, f"{f.name} imports the bot's {others}"


def _loads_discord(imports: str) -> bool:
    """Whether a fresh Python that runs ``imports`` has discord.py loaded."""
    import os
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", f"import sys; {imports}; print('discord' in sys.modules)"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.strip() in ("True", "False"), out.stderr[-2000:]
    return out.stdout.strip() == "True"


def test_a_worker_process_loads_no_discord():
    assert not _loads_discord("import studio.worker, studio.handlers, studio.compute, studio.remote, studio.follow, "
                              "bot.cli.worker, bot.library")


def test_the_command_line_loads_no_discord():
    """Every subcommand of bot.py (cast, swap, make...) runs without loading discord.py: only ``bot.py run``
    does, when it starts the bot. (Loading it cost every command a third of a second.)"""
    assert not _loads_discord("import bot.cli; bot.cli._commands()")


def _module_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_cogs_import_no_other_cog_and_run_no_sql():
    for f in sorted((ROOT / "bot" / "cogs").glob("*.py")):
        others = {m for m in _module_imports(f) if m.startswith("bot.cogs.") and m != "bot.cogs._common"}
        assert not others, f"{f.name} imports another cog: {others}"
        text = f.read_text(encoding="utf-8")
        for sql in ("SELECT ", "UPDATE ", "INSERT ", "DELETE ", ".execute(", ".query("):
            assert sql not in text, f"{f.name} runs SQL ({sql.strip()}); storage/ owns the queries"


def test_only_the_brief_life_module_changes_a_brief_status():
    callers = [str(f.relative_to(ROOT)) for d in ("bot", "studio", "storage", "engine") for f in (ROOT / d).rglob("*.py")
               if "set_brief_status" in f.read_text(encoding="utf-8")]
    assert sorted(callers) == ["storage/briefs.py", "studio/life.py"], callers
