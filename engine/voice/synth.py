"""Voice a screenplay: one cached WAV per spoken line, with its duration and the voice that spoke it."""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import unicodedata
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from engine.errors import EngineError, VoiceError
from engine.progress import EtaClock, Progress, ProgressFn, null_progress
from engine.screenplay.document import Screenplay
from engine.voice.audio import SAMPLE_RATE, resample, set_peak, trim_silence, wav_duration, write_wav
from engine.voice.backends import get_backend
from engine.voice.delivery import delivery_for
from engine.voice.spec import VoiceSpec, cast_voices

log = logging.getLogger(__name__)

CACHE_VERSION = 1  # bump when synthesis changes, so cached WAVs are redone
MAX_CHARS = 1000  # longer lines are cut at a sentence boundary (a film line this long is a monologue)


@dataclass(frozen=True)
class VoiceConfig:
    sample_rate: int = SAMPLE_RATE  # every WAV is written at this rate
    peak: float = 0.89  # peak level of normal delivery (whisper/soft scale it down)
    fade_s: float = 0.01  # fade in/out against clicks
    beat_s: float = 0.6  # silence for a line with nothing speakable ("...")
    fallback: str = "espeak"  # backend used when the chosen one cannot run here


@dataclass
class VoicedLine:
    index: int  # position among the spoken lines, 0-based
    scene: int  # scene index in the screenplay
    character: str
    text: str
    parenthetical: str | None
    wav: Path
    duration_s: float
    voice: VoiceSpec  # the voice that actually spoke (after any fallback)


def speakable(text: str) -> str:
    """Text as a voice should read it: markdown marks and mentions dropped, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(c if unicodedata.category(c)[0] != "C" else " " for c in text)
    text = re.sub(r"[*_`~|#<>\[\]{}\\]+", " ", text)
    text = re.sub(r"@(everyone|here)\b", r"\1", text)
    text = " ".join(text.split())
    if len(text) > MAX_CHARS:
        cut = max(text.rfind(". ", 0, MAX_CHARS), text.rfind("! ", 0, MAX_CHARS), text.rfind("? ", 0, MAX_CHARS))
        text = text[: cut + 1 if cut > 0 else MAX_CHARS]
    return text


def synthesize(text: str, spec: VoiceSpec, parenthetical: str | None = None,
               config: VoiceConfig = VoiceConfig()) -> tuple[np.ndarray, int]:
    """Speak ``text`` in ``spec``'s voice, shaped by the parenthetical. Returns (float32 mono, rate)."""
    audio, sr, _ = _synthesize(text, spec, parenthetical, config)
    return audio, sr


def _synthesize(text: str, spec: VoiceSpec, parenthetical: str | None,
                config: VoiceConfig) -> tuple[np.ndarray, int, VoiceSpec]:
    """As synthesize, also returning the spec actually used (the fallback's, when the first failed)."""
    delivery = delivery_for(parenthetical)
    said = speakable(text)
    if not re.search(r"\w", said):
        return np.zeros(int(config.beat_s * config.sample_rate), np.float32), config.sample_rate, spec
    backend = get_backend(spec.backend)
    try:
        audio, sr = backend.synthesize(said, spec, delivery)
    except VoiceError as first:
        if spec.backend == config.fallback:
            raise
        log.warning("voice %s failed (%s); falling back to %s", spec.backend, first, config.fallback)
        spec = fallback_spec(spec, config.fallback)
        audio, sr = get_backend(spec.backend).synthesize(said, spec, delivery)
    audio = trim_silence(np.asarray(audio, np.float32), sr)
    audio = resample(audio, sr, config.sample_rate)
    audio = set_peak(audio, config.peak * delivery.gain)
    n = min(int(config.fade_s * config.sample_rate), audio.size // 2)
    if n:
        ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
        audio[:n] *= ramp
        audio[-n:] *= ramp[::-1]
    return audio, config.sample_rate, spec


def fallback_spec(spec: VoiceSpec, backend: str) -> VoiceSpec:
    """The nearest voice on the fallback backend (keeps pitch and tempo)."""
    voice = "en-us+m3" if spec.pitch_semitones < -3 else "en-us+f3"
    return replace(spec, backend=backend, voice=voice, formant=1.0, preset=f"{spec.preset or spec.backend} (eSpeak)")


def line_key(text: str, parenthetical: str | None, spec: VoiceSpec) -> str:
    """Cache key of a line: changes whenever what is said, how, or by which voice changes."""
    blob = json.dumps([CACHE_VERSION, text, parenthetical or "", asdict(spec)], sort_keys=True, ensure_ascii=False)
    return hashlib.sha1(blob.encode("utf-8")).hexdigest()[:12]


def _slug(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "-", unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode())
    return s.strip("-")[:24] or "X"


def voice_screenplay(screenplay: Screenplay, out_dir: Path, voices: dict[str, VoiceSpec] | None = None,
                     on_progress: ProgressFn = null_progress, config: VoiceConfig = VoiceConfig()) -> list[VoicedLine]:
    """One WAV per spoken line in ``out_dir`` (cached by text+voice, so a killed job resumes).

    ``voices`` maps characters to voices (a cast member's choice); the rest get distinct defaults."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cast = cast_voices(screenplay.characters(), dict(voices or {}))
    spoken = list(screenplay.dialogue())
    clock = EtaClock()
    lines: list[VoicedLine] = []
    for index, (scene, d) in enumerate(spoken):
        on_progress(Progress("voice", index / max(1, len(spoken)), f"line {index + 1}/{len(spoken)}: {d.character}",
                             clock.eta(index / max(1, len(spoken)))))
        spec = cast[d.character]
        fresh = not any(out_dir.glob(f"{index:03d}_*.wav"))
        lines.append(_voice_line(index, scene, d.character, d.text, d.parenthetical, spec, out_dir, config))
        if fresh:  # a new WAV is on disk: a killed job resumes after it
            on_progress(Progress("voice", (index + 1) / max(1, len(spoken)), f"voiced line {index + 1}",
                                 saved=f"line {index + 1}"))
    on_progress(Progress("voice", 1.0, f"{len(lines)} lines voiced", 0.0))
    return lines


def _voice_line(index: int, scene: int, character: str, text: str, parenthetical: str | None,
                spec: VoiceSpec, out_dir: Path, config: VoiceConfig) -> VoicedLine:
    prefix = f"{index:03d}_{_slug(character)}_"
    wav = out_dir / f"{prefix}{line_key(text, parenthetical, spec)}.wav"
    used = spec
    if wav.is_file() and _readable(wav):
        used = _read_used(wav, spec)
        log.debug("cached: %s", wav.name)
    else:
        for ext in ("wav", "json", "part"):  # an older take of this line (text or voice changed), or a
            for stale in out_dir.glob(f"{index:03d}_*.{ext}"):  # write a kill cut short
                stale.unlink(missing_ok=True)
        try:
            audio, sr, used = _synthesize(text, spec, parenthetical, config)
        except EngineError:
            raise
        except Exception as e:  # a backend bug must still read as a voice problem
            raise VoiceError(f"could not voice line {index + 1} ({character}): {e}") from e
        if used != spec:  # noted before the WAV lands: a cached WAV without it would credit the wrong voice
            side, tmp = wav.with_suffix(".json"), wav.with_suffix(".json.part")
            tmp.write_text(json.dumps(asdict(used)), encoding="utf-8")
            os.replace(tmp, side)
        write_wav(wav, audio, sr)
    return VoicedLine(index, scene, character, text, parenthetical, wav, wav_duration(wav), used)


def _readable(wav: Path) -> bool:
    try:
        return wav_duration(wav) > 0
    except Exception:
        return False


def _read_used(wav: Path, spec: VoiceSpec) -> VoiceSpec:
    """The fallback voice recorded beside a cached WAV, if the line was voiced by one."""
    side = wav.with_suffix(".json")
    if side.is_file():
        try:
            return VoiceSpec(**json.loads(side.read_text(encoding="utf-8")))
        except (ValueError, TypeError):
            pass
    return spec
