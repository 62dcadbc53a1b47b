"""A take as a PDF, typeset by screenplain (Courier Prime, standard screenplay margins)."""
from __future__ import annotations

import io
import logging
import os
from pathlib import Path

from engine.errors import EngineError

log = logging.getLogger(__name__)


def render_pdf(fountain: str, path: Path) -> Path:
    """Typeset ``fountain`` into ``path`` (atomic write); EngineError when it cannot be rendered."""
    from screenplain.export.pdf import to_pdf
    from screenplain.parsers.fountain import parse

    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        screenplay = parse(io.StringIO(fountain))
        with open(tmp, "wb") as f:
            to_pdf(screenplay, f)
        os.replace(tmp, path)
    except Exception as e:  # reportlab/screenplain raise many kinds; report one clear line
        tmp.unlink(missing_ok=True)
        raise EngineError(f"could not typeset {path.name} as PDF: {type(e).__name__}: {str(e)[:200]}") from None
    return path
