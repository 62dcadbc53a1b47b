from storage.cast import (add_member, get_member, list_members, member_by_name, remove_member, request_consent,
                          resolve_consent, set_voice)
from storage.films import add_film, film_for_job
from storage.jobs import enqueue
from storage.settings import get_guild_setting, set_guild_setting


def test_member_upsert_per_guild_and_user(db):
    a = add_member(db, guild_id=1, user_id=10, name="Ada", photos=["/a.jpg"], consented_by=10)
    again = add_member(db, guild_id=1, user_id=10, name="Ada L", photos=["/b.jpg"], voice="alto", consented_by=10)
    add_member(db, guild_id=2, user_id=10, name="Ada", photos=["/a.jpg"], consented_by=10)
    assert a == again
    assert [m["name"] for m in list_members(db, 1)] == ["Ada L"]
    assert get_member(db, 1, 10)["photos"] == ["/b.jpg"] and get_member(db, 1, 10)["voice"] == "alto"
    assert member_by_name(db, 1, "ada l")["user_id"] == 10
    assert set_voice(db, 1, 10, "bass") and get_member(db, 1, 10)["voice"] == "bass"
    assert remove_member(db, 1, 10) and not remove_member(db, 1, 10)
    assert list_members(db, 1) == [] and len(list_members(db, 2)) == 1


def test_consent_request_adds_only_on_accept(db):
    declined = request_consent(db, guild_id=1, user_id=20, requested_by=1, photos=["/x.jpg"])
    assert list_members(db, 1) == []
    assert resolve_consent(db, declined, False)["status"] == "declined"
    assert list_members(db, 1) == []
    accepted = request_consent(db, guild_id=1, user_id=20, requested_by=1, photos=["/x.jpg"])
    assert resolve_consent(db, accepted, True, name="Bo")["status"] == "accepted"
    member = get_member(db, 1, 20)
    assert member["name"] == "Bo" and member["consented_by"] == 20 and member["photos"] == ["/x.jpg"]
    assert resolve_consent(db, declined, True)["status"] == "declined"  # resolves once


def test_one_film_per_job(db):
    job = enqueue(db, "film", {"brief_id": 1})
    first = add_film(db, job, path="/f.mp4", duration_s=12.5, size_bytes=1000, poster="/p.png")
    second = add_film(db, job, path="/f.mp4", duration_s=12.5, size_bytes=1200, poster=None)
    assert first == second
    assert film_for_job(db, job)["size_bytes"] == 1200
    assert db["films"].count == 1


def test_guild_settings(db):
    assert get_guild_setting(db, 5, "writer_model", "default") == "default"
    set_guild_setting(db, 5, "writer_model", "/ck/guild5.pt")
    set_guild_setting(db, 6, "writer_model", {"path": "x"})
    assert get_guild_setting(db, 5, "writer_model") == "/ck/guild5.pt"
    assert get_guild_setting(db, 6, "writer_model") == {"path": "x"}
    set_guild_setting(db, 5, "writer_model", None)
    assert get_guild_setting(db, 5, "writer_model") is None
