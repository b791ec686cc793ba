"""Learning in the database (SQLite and PostgreSQL): examples written by the batching thread,
tallied per form with different callers and windows, reviews audited, learned sets kept."""

from __future__ import annotations

from sqlalchemy import select

from veertien.learning.aliases import Review, Rules, Tally, active
from veertien.learning.examples import Candidate, Example, Label, Turn
from veertien.storage.learning import ExampleSink, LearningStore
from veertien.storage.schema import audit_log
from veertien.storage.store import Storage

TURN = Turn("Ganzenstad.", (("whisper", "Ganzenstad.", 0.8),),
            (Candidate("GM0664", "Goes", 0.4, 0.3),), 0.2, "retry")  # fmt: skip


def example(at_s: int, caller: str | None, label: Label = Label.KEYED, form: str = "ganzenstad",
            chosen: str = "GM0664") -> Example:  # fmt: skip
    return Example(at_s, "0113", form, label, chosen, caller, "nl", "none", TURN)


def test_tallies_count_callers_and_windows_once(storage: Storage) -> None:
    sink = ExampleSink(storage.engine)
    for at, caller in [(0, "h:a"), (10, "h:a"), (700, "h:b"), (1300, None), (1400, None)]:
        sink.write(example(at, caller))
    sink.write(example(2000, "h:c", Label.ACCEPTED))  # teaches nothing
    sink.write(example(2000, "h:c", form=""))  # no form: nothing to learn
    sink.write(example(2100, "h:d", chosen="GM0678"))
    sink.close()
    store = LearningStore(storage.engine)
    found = sorted(store.tallies(Rules(window_s=600)), key=lambda t: t.municipality)
    assert found == [
        Tally("0113", "ganzenstad", "GM0664", 5, 3, 3),  # callers a, b, withheld; windows 0, 1, 2
        Tally("0113", "ganzenstad", "GM0678", 1, 1, 1),
    ]
    assert store.tallies(Rules(window_s=600), since_s=1000)[0].examples in (1, 2)
    evidence = store.evidence("0113", ["ganzenstad"])
    assert len(evidence) == 7 and evidence[0]["turn"]["said"] == "Ganzenstad."
    assert store.purge(1000) == 3


def test_reviews_are_audited_and_learned_sets_kept(storage: Storage) -> None:
    store = LearningStore(storage.engine)
    key = ("0113", "ganzenstad", "GM0664")
    before = store.mark()
    store.review({key: Review.APPROVED}, "beheerder", "learning.approve")
    assert store.reviews() == {key: Review.APPROVED} and store.mark() != before
    found = store.current(Rules(), lambda a, f: frozenset(), 10_000, 180)
    version = store.keep_version(active(found))
    assert store.keep_version(active(found)) == version  # once
    (kept,) = store.versions()
    assert kept[0] == version and kept[2] == (key,)
    store.review({key: None}, "beheerder", "learning.undo")
    assert store.reviews() == {}
    with storage.engine.connect() as conn:
        actions = [r.action for r in conn.execute(select(audit_log).order_by(audit_log.c.id))]
    assert actions[-2:] == ["learning.approve", "learning.undo"]


def test_forms_written_differently_are_tallied_as_one_group(storage: Storage) -> None:
    """One caller who was heard as "gondentai" and as "gandentai" still counts once."""
    sink = ExampleSink(storage.engine)
    for at, caller, form in [(0, "h:a", "gondentai"), (700, "h:b", "ganbentai"),
                             (1400, "h:a", "gandentai"), (2100, "h:c", "kapelle")]:  # fmt: skip
        sink.write(example(at, caller, form=form))
    sink.close()
    found = LearningStore(storage.engine).tallies(Rules(window_s=600))
    assert sorted(found, key=lambda t: t.form) == [
        Tally("0113", "gondentai", "GM0664", 3, 2, 3, ("gondentai", "ganbentai", "gandentai")),
        Tally("0113", "kapelle", "GM0664", 1, 1, 1),
    ]
