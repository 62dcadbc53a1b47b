"""/film → takes → votes → production → the posted mp4, over real discord.py against the double."""
from __future__ import annotations

from bot.text import number_emoji
from storage.briefs import get_brief
from storage.jobs import get_job
from storage.votes import tally


def bot_msgs(d, channel_id, pred=lambda m: True):
    return [m for m in d.bot_messages(channel_id) if pred(m)]


def wait_msgs(d, channel_id, pred, n=1, timeout=20.0, what="messages"):
    return d.wait_for(lambda: (lambda ms: ms if len(ms) >= n else None)(bot_msgs(d, channel_id, pred)),
                      timeout=timeout, what=what)


def is_take(m):
    return m.content.startswith("**Take ")


def is_ballot(m):
    return m.content.startswith("🗳️ **Vote**")


def custom_ids(m):
    return [c["custom_id"] for row in m.components for c in row.get("components", [])]


def start_film(d, user, **opts):
    w = d.default
    options = {"title": "Moonrise", "line": "We were never here", "prop": "a lantern", "takes": 2, **opts}
    handle = d.invoke_slash("film", user=user, channel_id=w.films_id, options=options)
    return handle.wait_original()


def test_film_to_takes_to_votes_to_posted_mp4(make_stack, discord_double, fake_jobs):
    d, w = discord_double, discord_double.default
    fake_jobs.film_steps = 10  # half a second: long enough to get a progress message
    fake_jobs.film_notes = ["Bea: the actor is turned partly away from the camera @everyone"]
    st = make_stack()
    ack = start_film(d, w.member_id)
    assert "Moonrise" in ack.content and "Writing 2 take(s): job #" in ack.content
    brief_id = int(ack.content.split("Brief #")[1].split()[0])

    ballot = wait_msgs(d, w.films_id, is_ballot, what="the ballot")[0]  # posted after the takes
    takes = bot_msgs(d, w.films_id, is_take)
    assert len(takes) == 2
    for i, m in enumerate(takes, start=1):
        assert "We were never here" in m.content  # the excerpt shows the script
        names = sorted(a.filename for a in m.attachments)
        assert names == [f"moonrise-take{i}.fountain", f"moonrise-take{i}.pdf"]
        assert m.reactions.get(number_emoji(i)) == [w.bot_id]  # the bot's own reaction to vote with
    assert custom_ids(ballot) == [f"benjamin:takes:more:{brief_id}", f"benjamin:vote:close:{brief_id}"]
    assert get_brief(st.db, brief_id)["status"] == "voting"
    take_ids = [t["id"] for t in st.rows("select id from takes where brief_id = ? order by take_index", [brief_id])]
    assert tally(st.db, brief_id) == {take_ids[0]: 0, take_ids[1]: 0}  # the bot's reactions are not votes

    d.user_reacts(w.films_id, takes[1].id, w.other_member_id, number_emoji(2))
    d.user_reacts(w.films_id, takes[0].id, w.admin_id, number_emoji(1))
    d.wait_for(lambda: sum(tally(st.db, brief_id).values()) == 2, what="two votes")

    # someone else cannot close the vote; the requester can
    refused = d.click_button(ballot.id, f"benjamin:vote:close:{brief_id}", w.other_member_id)
    assert "Only the person who asked" in refused.wait_original().content
    assert get_brief(st.db, brief_id)["status"] == "voting"
    d.click_button(ballot.id, f"benjamin:vote:close:{brief_id}", w.member_id)

    closed = wait_msgs(d, w.films_id, lambda m: "closed" in m.content and "wins" in m.content, what="result")[0]
    assert "Take 1" in closed.content or "Take 2" in closed.content  # 1-1 tie, requester did not vote
    assert "Take 1" in closed.content  # ... so the lowest take wins
    film_msg = wait_msgs(d, w.films_id, lambda m: any(a.filename.endswith(".mp4") for a in m.attachments),
                         what="the film")[0]
    job_id = int(film_msg.content.split("job #")[1].split()[0])
    names = sorted(a.filename for a in film_msg.attachments)
    assert names == [f"moonrise-job{job_id}.mp4", "moonrise-poster.png", "moonrise-script.fountain"]
    assert "Credits" in film_msg.content and "Written by Benjamin (AI)" in film_msg.content
    # what the swap had to say reaches the channel, and a note cannot ping anyone
    assert "- Bea: the actor is turned partly away from the camera" in film_msg.content
    assert "@everyone" not in film_msg.content.replace("@\u200beveryone", "")
    job = d.wait_for(lambda: (lambda j: j if j["posted_at"] else None)(get_job(st.db, job_id)), what="marked posted")
    assert job["kind"] == "film" and job["posted_message_id"] == film_msg.id
    assert job["payload"]["max_mb"] < 10  # the guild's 10 MiB limit, less room for poster and script
    assert get_brief(st.db, brief_id)["status"] == "posted"  # made, then posted
    # the progress message of the film job was edited in place to its final state
    progress = bot_msgs(d, w.films_id, lambda m: m.content.startswith("🎬 **film**"))
    assert len(progress) == 1 and "done" in progress[0].content and progress[0].components == []


def test_film_answers_in_time_when_storage_is_slow(make_stack, discord_double):
    """A busy database must not let the interaction expire: the bot defers, then follows up."""
    import time as _time

    d, w = discord_double, discord_double.default
    st = make_stack()
    st.bot.client._db_executor.submit(_time.sleep, 2.5)  # occupy the bot's storage thread for 2.5 s
    handle = d.invoke_slash("film", user=w.member_id, channel_id=w.films_id,
                            options={"title": "Slow", "line": "Wait", "prop": "a clock", "takes": 1})
    assert handle.wait_response().response_type == 5  # deferred ("thinking"), within the 3 s window
    assert "Writing 1 take(s)" in handle.wait_original().content
