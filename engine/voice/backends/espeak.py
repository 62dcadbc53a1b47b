"""eSpeak NG through the espeakng-loader wheel (library + data in the wheel; no system package).

The fallback when the neural voice cannot run, and extra variety (its voice variants). libespeak-ng
calls exit() when it cannot find its data, so the data path is checked first, set in ESPEAK_DATA_PATH
before the library loads, and initialisation asks the library not to exit (espeakINITIALIZE_DONT_EXIT).
"""
from __future__ import annotations

import ctypes
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.errors import VoiceError
from engine.voice.delivery import Delivery
from engine.voice.spec import VoiceSpec

log = logging.getLogger(__name__)

AUDIO_OUTPUT_SYNCHRONOUS = 2
INITIALIZE_DONT_EXIT = 0x8000
CHARS_UTF8 = 1
PARAM_RATE, PARAM_VOLUME, PARAM_PITCH, PARAM_RANGE = 1, 2, 3, 4
_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


@dataclass(frozen=True)
class EspeakConfig:
    base_rate_wpm: int = 150  # words per minute at tempo 1.0 (espeak's 175 is brisk; slower recognises better)
    base_pitch: int = 50  # espeak's pitch parameter (0..100) at 0 semitones
    pitch_per_semitone: float = 4.0  # espeak pitch units per semitone (roughly)


class EspeakBackend:
    name = "espeak"

    def __init__(self, config: EspeakConfig = EspeakConfig()) -> None:
        self.config = config
        self._lib = None
        self._rate = 0
        self._chunks: list[np.ndarray] = []
        self._callback = _CALLBACK(self._on_audio)  # kept alive as long as the backend
        self._lock = threading.Lock()

    def available(self) -> bool:
        try:
            self._load()
            return True
        except VoiceError as e:
            log.warning("espeak-ng unavailable: %s", e)
            return False

    def _load(self):
        if self._lib is not None:
            return self._lib
        try:
            import espeakng_loader
        except ImportError as e:
            raise VoiceError("espeak-ng is not installed (pip package espeakng-loader)") from e
        data = Path(espeakng_loader.__file__).parent / "espeak-ng-data"
        if not (data / "phontab").is_file() or not (data / "en_dict").is_file():
            raise VoiceError(f"espeak-ng data is missing or incomplete at {data}")
        os.environ["ESPEAK_DATA_PATH"] = str(data)  # must be set before the library initialises
        try:
            lib = ctypes.CDLL(espeakng_loader.get_library_path())
        except OSError as e:
            raise VoiceError(f"libespeak-ng could not load: {e}") from e
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                     ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, str(data).encode(), INITIALIZE_DONT_EXIT)
        if rate <= 0:
            raise VoiceError(f"espeak-ng failed to initialise with data at {data}")
        lib.espeak_SetSynthCallback(self._callback)
        self._lib, self._rate = lib, rate
        return lib

    def _on_audio(self, wav, n, _events) -> int:
        if wav and n > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).astype(np.float32) / 32768.0)
        return 0  # keep going

    def synthesize(self, text: str, spec: VoiceSpec, delivery: Delivery) -> tuple[np.ndarray, int]:
        with self._lock:  # libespeak-ng is one global synthesiser
            lib = self._load()
            voice = spec.voice
            if delivery.whisper:
                voice = voice.split("+")[0] + "+whisper"
            if lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise VoiceError(f"espeak-ng has no voice {voice!r}")
            c = self.config
            pitch = c.base_pitch + c.pitch_per_semitone * (spec.pitch_semitones + delivery.pitch_semitones)
            lib.espeak_SetParameter(PARAM_RATE, int(c.base_rate_wpm * spec.tempo * delivery.tempo), 0)
            lib.espeak_SetParameter(PARAM_PITCH, int(np.clip(pitch, 0, 100)), 0)
            lib.espeak_SetParameter(PARAM_VOLUME, 100, 0)
            self._chunks = []
            data = text.encode("utf-8") + b"\0"
            if lib.espeak_Synth(data, len(data), 0, 0, 0, CHARS_UTF8, None, None) != 0:
                raise VoiceError(f"espeak-ng could not say {text[:40]!r}")
            lib.espeak_Synchronize()
            chunks, self._chunks = self._chunks, []
        if not chunks:
            raise VoiceError(f"espeak-ng produced no audio for {text[:40]!r}")
        return np.concatenate(chunks), self._rate
