"""/cast (consent, face checks, reasons) and /train (admins, progress, switch and revert), against the double."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from storage.cast import get_member, list_members
from storage.settings import get_guild_setting
from tests.bot.test_discord_flow import bot_msgs, wait_msgs


def _blank_png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (200, 200), (90, 140, 200)).save(buf, "PNG")
    return buf.getvalue()


def _files(folder) -> list[str]:
    return sorted(str(p) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture
def face_jpg(shared_data) -> bytes:
    return next((shared_data / "faces").rglob("*.jpg")).read_bytes()


def test_cast_add_yourself_with_reasons_for_rejected_files(make_stack, discord_double, face_jpg):
    d, w = discord_double, discord_double.default
    st = make_stack()
    h = d.invoke_slash("cast", subcommand="add", user=w.member_id, channel_id=w.general_id,
                       options={"photo": ("me.jpg", face_jpg), "photo2": ("sky.png", _blank_png()),
                                "video": ("notes.txt", b"hello")})
    text = h.wait_original().content
    assert "You're in the cast with 1 photo(s)" in text
    assert "sky.png: no face found in sky.png;" in text and "notes.txt: not a photo or video" in text
    row = get_member(st.db, w.guild_id, w.member_id)
    assert row["consented_by"] == w.member_id and len(row["photos"]) == 1
    folder = st.settings.home / "cast" / str(w.guild_id) / str(w.member_id)
    assert _files(folder) == row["photos"]  # the rejected upload is not kept
    assert row["photos"][0].endswith("-me.jpg")  # the name it was sent by stays in the stored one

    h = d.invoke_slash("cast", subcommand="add", user=w.member_id, channel_id=w.general_id,
                       options={"photo": ("me2.jpg", face_jpg)})
    assert "You're in the cast with 1 photo(s)" in h.wait_original().content
    new_photos = get_member(st.db, w.guild_id, w.member_id)["photos"]
    assert new_photos != row["photos"] and _files(folder) == new_photos  # the replaced photo is deleted

    h = d.invoke_slash("cast", subcommand="voice", user=w.member_id, channel_id=w.general_id,
                       options={"voice": "no-such-voice"})
    assert "Unknown voice" in h.wait_original().content
    from engine.voice import list_voices

    voice = list_voices()[0]
    d.invoke_slash("cast", subcommand="voice", user=w.member_id, channel_id=w.general_id,
                   options={"voice": voice}).wait_original()
    assert get_member(st.db, w.guild_id, w.member_id)["voice"] == voice
    listing = d.invoke_slash("cast", subcommand="list", user=w.other_member_id, channel_id=w.general_id)
    assert f"<@{w.member_id}>" in listing.wait_original().content
    d.invoke_slash("cast", subcommand="remove", user=w.member_id, channel_id=w.general_id).wait_original()
    assert list_members(st.db, w.guild_id) == []
    assert _files(folder) == []  # "photos are deleted": nothing of their face is left


def test_cast_add_with_a_video_keeps_a_frame_with_the_face(make_stack, discord_double, face_jpg, shared_data):
    d, w = discord_double, discord_double.default
    st = make_stack()
    clip = (shared_data / "footage" / "pd_wh_weekly_address_obama_working_families.mp4").read_bytes()
    h = d.invoke_slash("cast", subcommand="add", user=w.other_member_id, channel_id=w.general_id,
                       options={"photo": ("me.jpg", face_jpg), "video": ("me.mp4", clip)})
    assert "You're in the cast with 2 photo(s) and 1 video(s)" in h.wait_original().content
    photos = get_member(st.db, w.guild_id, w.other_member_id)["photos"]
    assert photos[1].endswith(".jpg") and Image.open(photos[1]).size[0] > 64  # a still from the video
    assert photos[2].endswith(".mp4")  # the video itself is kept: the face swap learns from its frames
    folder = st.settings.home / "cast" / str(w.guild_id) / str(w.other_member_id)
    assert _files(folder) == sorted(photos)



def test_cast_add_says_what_would_swap_better_by_the_names_sent(make_stack, discord_double, shared_data):
    """A smile in every photo comes onto every face the person plays; a face too small for the swap is not used
    by it. The reply says so, naming the photos as the person sent them, and keeps them."""
    import cv2

    d, w = discord_double, discord_double.default
    st = make_stack()
    smile = (shared_data / "faces" / "ccby_tang_video_person_c" / "frame_005_t2.0s.jpg").read_bytes()
    photo = cv2.imread(str(shared_data / "faces" / "ccby_tang_video_person_c" / "frame_008_t3.5s.jpg"))
    ok, small = cv2.imencode(".jpg", cv2.resize(photo, None, fx=0.3, fy=0.3, interpolation=cv2.INTER_AREA))
    h = d.invoke_slash("cast", subcommand="add", user=w.member_id, channel_id=w.general_id,
                       options={"photo": ("me.jpg", smile), "photo2": ("beach.jpg", small.tobytes())})
    text = h.wait_original().content
    assert "You're in the cast with 2 photo(s)" in text
    assert "Tip: The face swap leaves out beach.jpg: the face is too small" in text
    assert "Tip: The photo shows the lips apart" in text
    assert len(get_member(st.db, w.guild_id, w.member_id)["photos"]) == 2

def test_cast_others_only_by_admins_and_only_after_they_confirm(make_stack, discord_double, face_jpg):
    d, w = discord_double, discord_double.default
    st = make_stack()
    h = d.invoke_slash("cast", subcommand="add", user=w.member_id, channel_id=w.general_id,
                       options={"photo": ("x.jpg", face_jpg), "member": w.other_member_id})
    assert "only add yourself" in h.wait_original().content
    h = d.invoke_slash("cast", subcommand="add", user=w.admin_id, channel_id=w.general_id,
                       options={"photo": ("x.jpg", face_jpg), "member": w.other_member_id})
    assert "nothing is stored until they do" in h.wait_original().content
    ask = wait_msgs(d, w.general_id, lambda m: "would like to add you" in m.content, what="consent request")[0]
    pings = d.pings(ask)
    assert set(pings.users) == {w.other_member_id} and not pings.everyone and not pings.roles
    assert get_member(st.db, w.guild_id, w.other_member_id) is None  # nothing until they agree
    yes = [c["custom_id"] for row in ask.components for c in row["components"] if c["custom_id"].endswith(":yes")][0]
    wrong = d.click_button(ask.id, yes, w.admin_id)
    assert "Only the person being asked" in wrong.wait_original().content
    d.click_button(ask.id, yes, w.other_member_id)
    d.wait_for(lambda: get_member(st.db, w.guild_id, w.other_member_id), what="member added")
    assert get_member(st.db, w.guild_id, w.other_member_id)["consented_by"] == w.other_member_id
    d.wait_for(lambda: "joined the cast" in d.message(ask.id).content, what="consent message updated")


def test_train_from_discord_switches_the_writer_and_back(make_stack, discord_double, shared_data):
    from studio.handlers import HANDLERS

    d, w = discord_double, discord_double.default
    st = make_stack(handlers=HANDLERS)
    corpus = (shared_data / "corpus" / "tinyshakespeare.txt").read_bytes()[:60_000]
    h = d.invoke_slash("train", subcommand="start", user=w.member_id, channel_id=w.general_id,
                       options={"corpus": ("plays.txt", corpus)})
    assert "Only admins" in h.wait_original().content
    h = d.invoke_slash("train", subcommand="start", user=w.admin_id, channel_id=w.general_id,
                       options={"corpus": ("plays.pdf", b"%PDF")})
    assert "only .fountain and .txt" in h.wait_original().content
    h = d.invoke_slash("train", subcommand="start", user=w.admin_id, channel_id=w.general_id,
                       options={"corpus": ("plays.txt", corpus), "preset": "tiny", "steps": 30})
    assert "Training a tiny writer on 1 attached file(s): job #" in h.wait_original().content
    done = wait_msgs(d, w.general_id, lambda m: "Training job" in m.content and "finished" in m.content,
                     timeout=90, what="training done")[0]
    assert "bits per char" in done.content
    progress = bot_msgs(d, w.general_id, lambda m: m.content.startswith("🧠 **train**"))[0]
    assert "done" in progress.content
    ckpt = get_guild_setting(st.db, w.guild_id, "writer_model")
    assert ckpt and ckpt.endswith(".pt")
    status = d.invoke_slash("train", subcommand="status", user=w.member_id, channel_id=w.general_id)
    assert "trained checkpoint" in status.wait_original().content
    d.invoke_slash("train", subcommand="revert", user=w.admin_id, channel_id=w.general_id).wait_original()
    assert get_guild_setting(st.db, w.guild_id, "writer_model") is None
    status = d.invoke_slash("train", subcommand="status", user=w.member_id, channel_id=w.general_id)
    assert "shipped model" in status.wait_original().content


def test_train_for_a_number_of_minutes_from_discord(make_stack, discord_double):
    d, w = discord_double, discord_double.default
    st = make_stack()
    for bad in (0.5, 2000):
        h = d.invoke_slash("train", subcommand="start", user=w.admin_id, channel_id=w.general_id,
                           options={"minutes": bad})
        assert "minutes must be between 1 and 1440" in h.wait_original().content
    assert st.rows("select id from jobs where kind='train'") == []  # nothing queued for a bad budget
    h = d.invoke_slash("train", subcommand="start", user=w.admin_id, channel_id=w.general_id,
                       options={"minutes": 5})
    assert "Training a base writer on the default corpus for 5 minute(s): job #" in h.wait_original().content
    from storage.jobs import get_job

    job = get_job(st.db, st.rows("select id from jobs where kind='train'")[0]["id"])
    assert job["payload"]["minutes"] == 5 and job["payload"]["preset"] == "base"  # as bot.py train --minutes 5
