"""Voice choices: what a character sounds like, as plain data.

A VoiceSpec names a backend and a base voice, plus three transforms applied to it: pitch (semitones),
formant (spectral-envelope scale; <1 sounds larger, >1 smaller) and tempo (speaking rate). Presets are
the named choices users can pick (``/cast voice``); ``voice_for`` picks one deterministically per name.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from engine.errors import VoiceError


@dataclass(frozen=True)
class VoiceSpec:
    backend: str  # "hibari" (neural, default) | "espeak" | any registered backend, e.g. "piper", "coqui"
    voice: str  # the backend's own voice name, e.g. "heart" or "en-us+m3"
    pitch_semitones: float = 0.0  # + higher, - lower (-12 = half pitch)
    formant: float = 1.0  # spectral envelope scale: 0.85 = bigger/darker vocal tract, 1.1 = smaller/brighter
    tempo: float = 1.0  # speaking rate: 1.0 = the backend's natural pace
    preset: str = ""  # the preset this came from, when it came from one

    def label(self) -> str:
        """A short description for the credits, e.g. "Neural voice, lower pitch"."""
        kind = {"hibari": "Neural voice", "espeak": "eSpeak NG voice"}.get(self.backend, f"{self.backend} voice")
        parts = _espeak_traits(self.voice) if self.backend == "espeak" else []
        if self.pitch_semitones <= -10.5:
            parts.append("bass pitch")
        elif self.pitch_semitones <= -6:
            parts.append("deep pitch")
        elif self.pitch_semitones <= -2:
            parts.append("lower pitch")
        elif self.pitch_semitones >= 2:
            parts.append("higher pitch")
        if self.formant < 0.95:
            parts.append("darker tone")
        elif self.formant > 1.05:
            parts.append("brighter tone")
        if self.tempo <= 0.93:
            parts.append("slower")
        elif self.tempo >= 1.07:
            parts.append("faster")
        return kind + (", " + ", ".join(parts) if parts else "")


def _espeak_traits(voice: str) -> list[str]:
    """Readable traits of an eSpeak voice name such as "en-us+m3" or "en+klatt"."""
    lang, _, variant = voice.partition("+")
    traits = [{"en-us": "American", "en": "British", "en-gb": "British"}.get(lang.lower(), lang)]
    if variant.startswith("f"):
        traits.append(f"female {variant}")
    elif variant.startswith("m"):
        traits.append(f"male {variant}")
    elif variant:
        traits.append(variant)
    return traits


# Named presets users can choose. Neural ones first: they are the intelligible default.
# The neural base voice is hibari's bundled "heart" (American English); its other voices download
# on first use and are never used here.
_NEURAL = {
    "neural": (0.0, 1.0, 1.0),
    "neural-bright": (3.0, 1.0, 1.02),  # raising formants hurt recognition (WER 0.20 vs 0.07)
    "neural-warm": (-2.0, 0.96, 0.97),
    "neural-low": (-5.0, 0.92, 0.95),
    "neural-gravel": (-7.0, 0.88, 0.96),
    "neural-deep": (-9.0, 0.86, 0.92),
    "neural-bass": (-12.0, 0.84, 0.9),  # half pitch, formants lowered
    "neural-quick": (1.0, 1.0, 1.12),
    "neural-slow": (-3.0, 0.94, 0.86),
}
_ESPEAK = {
    "espeak-male": ("en-us+m3", 0.0, 1.0),
    "espeak-female": ("en-us+f3", 0.0, 1.0),
    "espeak-british": ("en+m1", -1.0, 0.95),
    "espeak-old": ("en+m7", -3.0, 0.88),
    "espeak-child": ("en-us+f4", 4.0, 1.08),
    "espeak-robot": ("en-us+klatt", 0.0, 0.95),
}

PRESETS: dict[str, VoiceSpec] = {
    **{name: VoiceSpec("hibari", "heart", p, f, t, preset=name) for name, (p, f, t) in _NEURAL.items()},
    **{name: VoiceSpec("espeak", v, p, 1.0, t, preset=name) for name, (v, p, t) in _ESPEAK.items()},
}
NEURAL_PRESETS = tuple(_NEURAL)
ESPEAK_PRESETS = tuple(_ESPEAK)


def list_voices() -> list[str]:
    """Preset names a user can choose, neural first."""
    return list(PRESETS)


def preset(name: str) -> VoiceSpec:
    """The preset called ``name`` (case-insensitive), or VoiceError listing the choices."""
    key = (name or "").strip().lower()
    if key not in PRESETS:
        raise VoiceError(f"unknown voice {name!r}; choose one of: {', '.join(PRESETS)}")
    return PRESETS[key]


def _name_hash(character: str) -> int:
    key = " ".join((character or "").upper().split())
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")


def voice_for(character: str, chosen: str | None = None) -> VoiceSpec:
    """The voice for ``character``: the cast member's ``chosen`` preset when given, else a neural
    preset picked deterministically from the name (same name, same voice, on every machine)."""
    if chosen:
        return preset(chosen)
    return PRESETS[NEURAL_PRESETS[_name_hash(character) % len(NEURAL_PRESETS)]]


def cast_voices(characters: list[str], chosen: dict[str, str | VoiceSpec] | None = None) -> dict[str, VoiceSpec]:
    """Voices for a whole cast, distinct where possible: chosen voices win; the others start from
    ``voice_for`` and move to the next unused preset on a clash (neural first, then eSpeak for variety)."""
    chosen = {" ".join(k.upper().split()): v for k, v in (chosen or {}).items()}  # cue names are upper case
    out: dict[str, VoiceSpec] = {}
    for name in characters:  # chosen first, so the defaults avoid them
        pick = chosen.get(" ".join(name.upper().split()))
        if isinstance(pick, VoiceSpec):
            out[name] = pick
        elif pick:
            out[name] = preset(pick)
    for name in characters:
        if name in out:
            continue
        used = set(out.values())
        start = NEURAL_PRESETS.index(voice_for(name).preset)
        order = NEURAL_PRESETS[start:] + NEURAL_PRESETS[:start] + ESPEAK_PRESETS  # neural first: most intelligible
        spec = next((PRESETS[p] for p in order if PRESETS[p] not in used), PRESETS[order[0]])
        out[name] = spec  # more characters than presets: the own default repeats, still deterministic
    return out
