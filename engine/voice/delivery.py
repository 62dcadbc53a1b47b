"""Parentheticals shape delivery: "(whispering)" whispers, "(shouting)" is louder, higher and faster."""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Delivery:
    pitch_semitones: float = 0.0  # added to the voice's own pitch
    tempo: float = 1.0  # multiplies the voice's tempo
    gain: float = 1.0  # peak level relative to normal speech
    whisper: bool = False  # unvoiced (breath only) where the backend can do it
    name: str = "normal"


NORMAL = Delivery()

# (words that trigger it, delivery); first match wins, so stronger cues come first.
_RULES: tuple[tuple[tuple[str, ...], Delivery], ...] = (
    (("whisper", "under her breath", "under his breath", "under their breath", "hushed", "sotto voce"),
     Delivery(tempo=0.95, gain=0.6, whisper=True, name="whisper")),
    (("shout", "yell", "scream", "roar", "bellow", "furious", "angrily", "angry"),
     Delivery(pitch_semitones=2.5, tempo=1.08, gain=1.0, name="shout")),
    (("excited", "eager", "laugh", "delighted", "urgent", "panick"),
     Delivery(pitch_semitones=1.5, tempo=1.08, gain=0.95, name="excited")),
    (("quiet", "soft", "gently", "murmur", "mutter", "tender"),
     Delivery(pitch_semitones=-0.5, tempo=0.94, gain=0.65, name="soft")),
    (("sad", "tearful", "sobbing", "sobs", "weary", "tired", "grave", "solemn", "slowly"),
     Delivery(pitch_semitones=-1.5, tempo=0.88, gain=0.8, name="sad")),
    (("quick", "fast", "rapid", "hurried", "breathless"),
     Delivery(tempo=1.15, name="fast")),
)


def delivery_for(parenthetical: str | None) -> Delivery:
    """Map a parenthetical such as "(whispering)" or "(SHOUTING, furious)" to a Delivery."""
    if not parenthetical:
        return NORMAL
    text = re.sub(r"[^a-z ]+", " ", parenthetical.lower())
    for words, delivery in _RULES:
        if any(re.search(r"\b" + re.escape(w), text) for w in words):
            return delivery
    return NORMAL
