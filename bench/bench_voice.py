"""Voice benchmark: real-time factor and word error rate (pocketsphinx) per voice variant.

    python bench/bench_voice.py            # every preset, normal delivery, + whisper/shout on the neural voice
    python bench/bench_voice.py --quick    # fewer sentences

RTF = synthesis wall time / audio duration (lower is faster; 0.05 = 20x real time). The reference row
is hibari's own call with no character transforms, timed in the same process, so the transform cost
shows as a ratio. WER is measured, not assumed: pocketsphinx transcribes every clip offline.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.voice import PRESETS, synthesize  # noqa: E402
from engine.voice.asr import transcribe, word_error_rate  # noqa: E402

SENTENCES = [
    "I was never meant to keep the light.",
    "Give me the brass telescope and close the door behind you.",
    "The ship comes in at dawn and nobody will be waiting for it.",
    "We counted every star above the harbour until the fog rolled in.",
    "Tell your brother the boat is ready and the weather is turning.",
    "She found the letter under the floorboards of the kitchen.",
    "If the lamp goes out tonight, the whole coast will be dark.",
    "Nobody has climbed those stairs since the winter of the storm.",
]


def measure(spec, sentences, parenthetical=None) -> tuple[float, float, float]:
    """(rtf, wer, audio seconds) over the sentences."""
    synth_s = audio_s = 0.0
    errors = 0.0
    for text in sentences:
        t0 = time.perf_counter()
        audio, sr = synthesize(text, spec, parenthetical)
        synth_s += time.perf_counter() - t0
        audio_s += audio.size / sr
        errors += word_error_rate(text, transcribe(audio, sr))
    return synth_s / audio_s, errors / len(sentences), audio_s


def reference_rtf(sentences) -> float:
    """hibari's plain synthesis (bundled voice, no transforms)."""
    from hibari import SAMPLE_RATE, Hibari
    from hibari.voices import voice_path

    tts = Hibari(model=voice_path("heart", download_missing=False))
    tts("Warm up.")
    t0 = time.perf_counter()
    n = sum(tts(s, seed=0).size for s in sentences)
    return (time.perf_counter() - t0) / (n / SAMPLE_RATE)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 sentences instead of 8")
    args = ap.parse_args()
    sentences = SENTENCES[:3] if args.quick else SENTENCES
    synthesize("Warm up.", PRESETS["neural"])
    synthesize("Warm up.", PRESETS["espeak-male"])
    ref = reference_rtf(sentences)
    print(f"{len(sentences)} sentences; reference: plain hibari RTF {ref:.3f} ({1 / ref:.0f}x real time)")
    print(f"{'variant':28s} {'label':58s} {'RTF':>6s} {'x ref':>6s} {'WER':>6s}")
    rows = [(name, spec, None) for name, spec in PRESETS.items()]
    rows += [("neural (whispering)", PRESETS["neural"], "(whispering)"),
             ("neural (shouting)", PRESETS["neural"], "(shouting)"),
             ("neural-bass (whispering)", PRESETS["neural-bass"], "(whispering)"),
             ("espeak-male (whispering)", PRESETS["espeak-male"], "(whispering)")]
    by_backend: dict[str, list[float]] = {}
    for name, spec, paren in rows:
        rtf, wer, _ = measure(spec, sentences, paren)
        by_backend.setdefault(spec.backend, []).append(wer)
        print(f"{name:28s} {spec.label():58s} {rtf:6.3f} {rtf / ref:6.2f} {wer:6.3f}")
    for backend, wers in by_backend.items():
        print(f"mean WER {backend}: {sum(wers) / len(wers):.3f} over {len(wers)} variants")
    return 0


if __name__ == "__main__":
    sys.exit(main())
