"""The footage index: clips by hash per guild, shots recorded one by one, actors matched and averaged."""
import pytest

from storage import footage as store
from storage.db import StorageError

VALUES = {"path": "/lib/a.mp4", "name": "a", "credit": "C", "licence": "CC BY", "duration": 4.0, "fps": 24.0,
          "variable_fps": 0, "width": 640, "height": 360, "rotation": 0, "has_audio": 0, "size_bytes": 10}


def near(emb, actors):
    """Test matcher: same actor when the first coordinate is within 0.1."""
    return next((i for i, mean in actors if abs(mean[0] - emb[0]) < 0.1), None)


def shot(i, framing="closeup"):
    return {"shot_index": i, "start": float(i), "end": float(i + 1), "framing": framing, "thumbnail": None}


def test_a_clip_is_one_row_per_guild_and_hash(db):
    a = store.start_clip(db, 0, "h1", VALUES, [(0, 2), (2, 4)])
    assert store.start_clip(db, 0, "h1", VALUES, []) == a  # the same clip again: the same row
    b = store.start_clip(db, 5, "h1", VALUES, [(0, 4)])  # another server's library is its own
    assert a != b
    row = store.get_clip(db, a)
    assert row["status"] == "ingesting" and row["spans"] == [[0, 2], [2, 4]] and row["has_audio"] is False
    with pytest.raises(StorageError):
        store.start_clip(db, 0, "h2", {"bogus": 1}, [])


def test_shots_record_actors_matched_across_clips_with_a_running_mean(db):
    a = store.start_clip(db, 0, "h1", VALUES, [(0, 1), (1, 2)])
    b = store.start_clip(db, 0, "h2", {**VALUES, "name": "b"}, [(0, 1)])
    first = store.record_shot(db, a, shot(0, "two-shot"), [{"embedding": [0.0] * 128, "thumbnail": "f0.jpg"},
                                                           {"embedding": [1.0] * 128}], near)
    assert store.done_shots(db, a) == {0}
    again = store.record_shot(db, b, shot(0), [{"embedding": [0.05] + [0.0] * 127}], near)
    assert again == [first[0]]  # the same person in another clip is the same actor
    actors = store.list_actors(db, 0)
    assert [x["name"] for x in actors] == ["Actor 1", "Actor 2"]
    assert actors[0]["embedding"][0] == pytest.approx(0.025) and actors[0]["samples"] == 2
    assert actors[0]["thumbnail"] == "f0.jpg"
    assert store.record_shot(db, a, shot(0), [{"embedding": [5.0] * 128}], near) == first  # recorded once
    assert len(store.list_actors(db, 0)) == 2


def test_finished_clips_list_with_their_shots_and_removal_drops_lonely_actors(db):
    a = store.start_clip(db, 0, "h1", VALUES, [(0, 1)])
    b = store.start_clip(db, 0, "h2", {**VALUES, "name": "b"}, [(0, 1)])
    store.record_shot(db, a, shot(0), [{"embedding": [0.0] * 128}, {"embedding": [1.0] * 128}], near)
    store.record_shot(db, b, shot(0), [{"embedding": [0.0] * 128}], near)
    store.finish_clip(db, a)
    assert [c["id"] for c in store.list_clips(db, 0, include_unfinished=False)] == [a]
    assert store.list_clips(db, 0)[0]["shots"][0]["actors"] == [1, 2]
    assert [c["id"] for c in store.find_clips(db, 0, "b")] == [b]
    assert [c["id"] for c in store.find_clips(db, 0, str(a))] == [a]
    removed = store.remove_clip(db, a)
    assert [x["name"] for x in removed] == ["Actor 2"]  # Actor 1 is still in clip b
    assert [x["name"] for x in store.list_actors(db, 0)] == ["Actor 1"]
    assert store.get_clip(db, a) is None and store.done_shots(db, a) == set()
