"""/footage: admins add a clip (ingested in a thread, reasons for bad files), anyone lists the library."""
from __future__ import annotations

import pytest

from bot.cogs.footage import check_clip, describe
from storage.footage import list_clips
from tests.footage_clips import make_clip


@pytest.fixture(scope="module")
def clip_bytes(tmp_path_factory) -> bytes:
    return make_clip(tmp_path_factory.mktemp("clip") / "c.mp4", seconds=3, cut=True).read_bytes()


def test_footage_add_by_an_admin_then_list(make_stack, discord_double, clip_bytes):
    d, w = discord_double, discord_double.default
    st = make_stack()
    h = d.invoke_slash("footage", subcommand="list", user=w.member_id, channel_id=w.general_id)
    assert "no footage yet" in h.wait_original().content and "shipped footage" in h.wait_original().content

    h = d.invoke_slash("footage", subcommand="add", user=w.member_id, channel_id=w.general_id,
                       options={"clip": ("harbour.mp4", clip_bytes)})
    assert "Only admins" in h.wait_original().content
    h = d.invoke_slash("footage", subcommand="add", user=w.admin_id, channel_id=w.general_id,
                       options={"clip": ("notes.txt", b"hello")})
    assert "notes.txt is not a video" in h.wait_original().content
    h = d.invoke_slash("footage", subcommand="add", user=w.admin_id, channel_id=w.general_id,
                       options={"clip": ("broken.mp4", b"\x00" * 2000)})
    assert "broken.mp4" in h.wait_original().content and "not added" in h.wait_original().content

    h = d.invoke_slash("footage", subcommand="add", user=w.admin_id, channel_id=w.general_id,
                       options={"clip": ("harbour.mp4", clip_bytes), "credit": "Harbour Films",
                                "licence": "CC BY 4.0"})
    text = h.wait_original().content
    assert "added #1 harbour: 2 shot(s), 0 actor(s)" in text
    (row,) = list_clips(st.db, w.guild_id)
    assert (row["credit"], row["licence"], row["status"]) == ("Harbour Films", "CC BY 4.0", "done")
    assert list_clips(st.db, 0) == []  # the server's library, not the local one

    h = d.invoke_slash("footage", subcommand="add", user=w.admin_id, channel_id=w.general_id,
                       options={"clip": ("again.mp4", clip_bytes)})
    assert "already in the library as #1" in h.wait_original().content
    h = d.invoke_slash("footage", subcommand="list", user=w.member_id, channel_id=w.general_id)
    assert "#1 harbour" in h.wait_original().content and "Harbour Films, CC BY 4.0" in h.wait_original().content


def test_check_clip_and_describe_are_plain():
    assert check_clip("a.MOV", 10) is None
    assert "not a video" in check_clip("a.gif", 10)
    assert "at most 500 MB" in check_clip("a.mp4", 2**30)
    clip = {"id": 3, "name": "pier", "duration": 4.0, "status": "ingesting", "credit": "", "licence": "PD",
            "shots": [{"actors": [1, 2]}, {"actors": [1]}]}
    assert describe([clip], [{"id": 1, "name": "Actor 1"}, {"id": 2, "name": "Actor 2"}]) == (
        "**#3 pier**: 4.0 s, 2 shot(s), 2 actor(s) (unfinished: add it again). PD")
