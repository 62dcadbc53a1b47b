"""Voice backends by name, loaded once and cached (facefusion style), released on demand.

hibari (neural, default) and espeak (fallback) ship in wheels. Piper and Coqui TTS plug in through the
same interface and are offered only where they really run (library importable, model on disk).
"""
from __future__ import annotations

import logging
import threading

from engine.errors import VoiceError
from engine.voice.backends._base import VoiceBackend

log = logging.getLogger(__name__)

_FACTORIES = {
    "hibari": ("engine.voice.backends.hibari", "HibariBackend"),
    "espeak": ("engine.voice.backends.espeak", "EspeakBackend"),
    "piper": ("engine.voice.backends.optional", "PiperBackend"),
    "coqui": ("engine.voice.backends.optional", "CoquiBackend"),
}
_LOADED: dict[str, VoiceBackend] = {}
_LOCK = threading.Lock()


def register_backend(name: str, backend: VoiceBackend) -> None:
    """Plug in another backend instance (anything with ``available()`` and ``synthesize()``)."""
    with _LOCK:
        _LOADED[name] = backend


def get_backend(name: str) -> VoiceBackend:
    """The backend called ``name``, created once; VoiceError if unknown."""
    with _LOCK:
        if name not in _LOADED:
            if name not in _FACTORIES:
                raise VoiceError(f"unknown voice backend {name!r}; known: {', '.join(sorted(_FACTORIES))}")
            import importlib

            module, cls = _FACTORIES[name]
            _LOADED[name] = getattr(importlib.import_module(module), cls)()
        return _LOADED[name]


def backend_available(name: str) -> bool:
    try:
        return get_backend(name).available()
    except VoiceError:
        return False


def release_backends() -> None:
    """Drop loaded models (they reload on next use)."""
    with _LOCK:
        _LOADED.clear()
