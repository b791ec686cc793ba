"""Recorded prompts in the database: kept per area, language and sentence, replaced in place,
removed, audited, read back whole by a node; bounded in number and length."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from veertien.storage import recordings as module
from veertien.storage.recordings import RecordingRefused
from veertien.storage.schema import audit_log
from veertien.storage.store import Storage

PCM = b"\x01\x02" * 4000
TEXT = "Dat haw ik net goed ferstien."


def test_put_replace_remove_and_audit(storage: Storage) -> None:
    store = storage.recordings
    before = store.mark()
    store.put("0113", "fy", TEXT, pcm=PCM, seconds=0.5, actor="beheer")
    assert store.mark() != before
    store.put("0113", "fy", TEXT, pcm=PCM[:800], seconds=0.05, actor="beheer")
    assert store.audio("0113", "fy", TEXT) == PCM[:800]
    assert store.audio("0511", "fy", TEXT) is None  # per area
    assert [(r.text, r.seconds) for r in store.listing("0113")] == [(TEXT, 0.05)]
    assert store.all_audio() == {("0113", "fy", TEXT): PCM[:800]}
    marked = store.mark()
    assert store.remove("0113", "fy", TEXT, "beheer") and not store.remove("0113", "fy", TEXT, "x")
    assert store.mark() != marked and store.all_audio() == {}
    with storage.engine.connect() as conn:
        actions = [r.action for r in conn.execute(select(audit_log).order_by(audit_log.c.id))]
    assert actions == ["recording.put", "recording.put", "recording.remove"]


def test_the_number_and_total_length_are_bounded(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = storage.recordings
    monkeypatch.setattr(module, "MAX_RECORDINGS", 2)
    monkeypatch.setattr(module, "MAX_TOTAL_SECONDS", 10.0)
    store.put("0113", "fy", "a", pcm=PCM, seconds=4.0, actor="b")
    store.put("0113", "fy", "b", pcm=PCM, seconds=4.0, actor="b")
    with pytest.raises(RecordingRefused, match="al 2 opnames"):
        store.put("0113", "fy", "c", pcm=PCM, seconds=1.0, actor="b")
    with pytest.raises(RecordingRefused, match="hoogstens"):
        store.put("0113", "fy", "b", pcm=PCM, seconds=7.0, actor="b")  # replacing counts once
    store.put("0113", "fy", "b", pcm=PCM, seconds=6.0, actor="b")
    assert len(store.all_audio()) == 2
    with pytest.raises(RecordingRefused):
        store.put("0113", "fy", "", pcm=PCM, seconds=1.0, actor="b")
