"""Cards and overlays survive hostile text: unicode, markdown, mentions, empty and huge strings."""
from __future__ import annotations

import numpy as np
import pytest

from engine.render import Credits
from engine.render.cards import (
    action_card, character_card, credits_sheet, name_tag, scene_card, subtitle_overlay, title_card, wrap, font,
)

W, H = 426, 240
NASTY = ["", "🎬 Ωmega — ＠everyone **bold** <@123> مرحبا 你好", "x" * 5000, "word " * 2000, "\n\t  "]


@pytest.mark.parametrize("text", NASTY)
def test_cards_draw_any_text_at_frame_size(text):
    for img in (title_card(W, H, text, "Written by Benjamin"), scene_card(W, H, text, 3), action_card(W, H, text),
                character_card(W, H, text, (40, 90, 120), text)):
        assert img.shape == (H, W, 3) and img.dtype == np.uint8


@pytest.mark.parametrize("text", NASTY)
def test_subtitles_stay_inside_the_bottom_of_the_frame(text):
    overlay, y = subtitle_overlay(W, H, text)
    assert overlay.shape[1] == W and overlay.shape[2] == 4
    assert y >= H // 2 and y + overlay.shape[0] <= H  # bottom half, never off-frame
    assert name_tag(W, H, text, text).shape[1] <= W


def test_wrap_fits_the_width_and_keeps_every_word():
    f = font(20)
    text = "I was never meant to keep the light, and supercalifragilisticexpialidocious words split"
    lines = wrap(text, f, 150)
    assert all(f.getlength(line) <= 150 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_credits_with_many_rows_become_a_taller_scrolling_sheet():
    short = Credits("T", cast=(("A", "Ada"),), voices=(("A", "Neural voice"),))
    many = Credits("T", cast=tuple((f"C{i}", "drawn card") for i in range(30)),
                   voices=tuple((f"C{i}", "Neural voice") for i in range(30)))
    assert credits_sheet(W, H, short).shape == (H, W, 3)
    tall = credits_sheet(W, H, many)
    assert tall.shape[0] > 2 * H and tall.shape[1] == W
