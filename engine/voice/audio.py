"""Small numpy audio helpers (no scipy here): resample, trim, level, WAV read/write."""
from __future__ import annotations

import os
import wave
from pathlib import Path

import numpy as np

SAMPLE_RATE = 24000  # every voiced line is stored at this rate, mono 16-bit


def resample(audio: np.ndarray, sr_from: int, sr_to: int) -> np.ndarray:
    """Band-limited resampling by FFT (exact length ratio); fine for speech-length clips."""
    audio = np.asarray(audio, np.float32)
    if sr_from == sr_to or audio.size == 0:
        return audio
    n_out = int(round(audio.size * sr_to / sr_from))
    spec = np.fft.rfft(audio.astype(np.float64))
    n_bins = n_out // 2 + 1
    if n_bins <= spec.size:
        spec = spec[:n_bins]
    else:
        spec = np.concatenate([spec, np.zeros(n_bins - spec.size, spec.dtype)])
    return (np.fft.irfft(spec, n_out) * (n_out / audio.size)).astype(np.float32)


def time_stretch(audio: np.ndarray, tempo: float, sr: int) -> np.ndarray:
    """Overlap-add time stretch (tempo > 1 is faster) keeping pitch; for backends without a rate control."""
    if abs(tempo - 1.0) < 1e-3 or audio.size == 0:
        return audio
    win = int(0.04 * sr)
    hop_out = win // 2
    hop_in = hop_out * tempo
    window = np.hanning(win).astype(np.float32)
    n_frames = max(1, int((audio.size - win) / hop_in) + 1)
    out = np.zeros(n_frames * hop_out + win, np.float32)
    norm = np.zeros_like(out)
    padded = np.concatenate([audio, np.zeros(win, np.float32)])
    for i in range(n_frames):
        a = int(i * hop_in)
        out[i * hop_out: i * hop_out + win] += padded[a: a + win] * window
        norm[i * hop_out: i * hop_out + win] += window
    return out / np.maximum(norm, 1e-3)


def trim_silence(audio: np.ndarray, sr: int, threshold: float = 0.01, pad_s: float = 0.08) -> np.ndarray:
    """Cut leading/trailing near-silence, keeping a short pad."""
    loud = np.flatnonzero(np.abs(audio) > threshold * max(1e-6, float(np.abs(audio).max(initial=0.0))))
    if loud.size == 0:
        return audio
    pad = int(pad_s * sr)
    return audio[max(0, loud[0] - pad): loud[-1] + pad]


def set_peak(audio: np.ndarray, peak: float) -> np.ndarray:
    """Scale so the loudest sample is ``peak`` (0..1)."""
    top = float(np.abs(audio).max(initial=0.0))
    if top < 1e-6:
        return audio
    return (audio * (peak / top)).astype(np.float32)


def write_wav(path: Path, audio: np.ndarray, sr: int = SAMPLE_RATE) -> None:
    """Write mono 16-bit PCM atomically (temp file + rename), so a killed job never leaves half a WAV."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    pcm = (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(pcm.tobytes())
    os.replace(tmp, path)


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Mono float32 samples and the sample rate of a 16-bit PCM WAV."""
    with wave.open(str(path), "rb") as w:
        sr, ch, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
        raw = w.readframes(w.getnframes())
    if width != 2:
        raise ValueError(f"{path} is not 16-bit PCM")
    audio = np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0
    if ch > 1:
        audio = audio.reshape(-1, ch).mean(axis=1)
    return audio, sr


def wav_duration(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / float(w.getframerate())
