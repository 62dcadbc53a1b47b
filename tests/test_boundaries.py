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
