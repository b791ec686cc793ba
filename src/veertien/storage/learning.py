"""Learning in the database: examples (written by a batching thread, like call records), the
tallies the learner reads, the operator's reviews and the learned sets that were in use.

Every change an operator makes (a review, a rollback) is one transaction with its audit entry.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Select, delete, distinct, func, insert, select
from sqlalchemy.exc import IntegrityError

from veertien.learning.aliases import Alias, Key, Known, Review, Rules, Tally, aliases, version_of
from veertien.learning.examples import TEACHING, Example
from veertien.learning.forms import grouped
from veertien.records.writer import INTERVAL_S, BatchWriter, JsonRecord
from veertien.storage.config import audit
from veertien.storage.schema import learning_examples, learning_reviews, learning_versions

log = logging.getLogger("veertien.storage")
MAX_FORMS = 300  # forms per area code grouped and judged: those with the most examples


@dataclass(frozen=True, slots=True)
class Queued:
    """An example in the writer's queue."""

    example: Example

    def to_json(self) -> dict[str, Any]:
        e = self.example
        return {
            "at_s": e.at_s, "area_code": e.area_code[:5], "form": e.form[:60],
            "label": e.label.value, "chosen": e.chosen[:32],
            "caller": e.caller[:64] if e.caller else None, "language": e.language[:8],
            "learning_version": e.learning_version[:16],
            "body": json.dumps(e.turn.to_json(), ensure_ascii=False),
        }  # fmt: skip


class ExampleSink:
    """Writes examples from a background thread (records.writer: batched, kept on failure)."""

    def __init__(self, engine: Engine, interval: float = INTERVAL_S) -> None:
        self.engine = engine
        self.writer = BatchWriter(self._insert, interval, "learning-examples")

    def write(self, example: Example) -> None:
        self.writer.write(Queued(example))

    def close(self) -> None:
        self.writer.close()

    def _insert(self, batch: Sequence[JsonRecord]) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(learning_examples), [q.to_json() for q in batch])


class LearningStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def mark(self) -> tuple[int, int, str]:
        """Cheap to read: changes when an example or a review is added (nodes poll it)."""
        with self.engine.connect() as conn:
            newest = conn.execute(select(func.max(learning_examples.c.id))).scalar()
            reviews = conn.execute(
                select(func.count(), func.max(learning_reviews.c.at))
            ).one()  # fmt: skip
        return (int(newest or 0), int(reviews[0]), str(reviews[1]))

    def tallies(self, rules: Rules, since_s: int = 0) -> list[Tally]:
        """The teaching examples per (area, group of forms, municipality): examples, different
        callers (a withheld number counts as one) and different windows of `rules.window_s`;
        forms the recogniser wrote differently are one group (learning.forms.grouped)."""
        t = learning_examples.c
        query = self._counted(rules, since_s).add_columns(func.min(t.id))
        with self.engine.connect() as conn:
            rows = conn.execute(query.group_by(t.area_code, t.form, t.chosen)).all()
            by_form: dict[tuple[str, str], list[Any]] = {}
            for r in rows:
                by_form.setdefault((r[0], r[1]), []).append(r)
            out: list[Tally] = []
            for area, forms in _forms_by_area(by_form).items():
                for head, members in grouped(forms).items():
                    if len(members) == 1:
                        out += [Tally(*r[:6]) for r in by_form[(area, head)]]
                    else:
                        out += self._group(
                            conn, rules, since_s=since_s, area=area, head=head, members=members
                        )
        return out

    @staticmethod
    def _counted(rules: Rules, since_s: int) -> Select[Any]:
        t = learning_examples.c
        window = t.at_s // max(1, rules.window_s)
        return (
            select(t.area_code, t.form, t.chosen, func.count(),
                   func.count(distinct(func.coalesce(t.caller, ""))), func.count(distinct(window)))
            .where(t.label.in_([label.value for label in TEACHING]), t.at_s >= since_s,
                   t.form != "")
        )  # fmt: skip

    def _group(
        self, conn: Connection, rules: Rules, *, since_s: int, area: str, head: str,
        members: tuple[str, ...],
    ) -> list[Tally]:  # fmt: skip
        """One group's tallies, its callers and windows counted once over all its forms."""
        t = learning_examples.c
        query = (
            self._counted(rules, since_s)
            .with_only_columns(t.chosen, func.count(),
                               func.count(distinct(func.coalesce(t.caller, ""))),
                               func.count(distinct(t.at_s // max(1, rules.window_s))))
            .where(t.area_code == area, t.form.in_(members))
            .group_by(t.chosen)
        )  # fmt: skip
        return [Tally(area, head, r[0], r[1], r[2], r[3], members) for r in conn.execute(query)]

    def current(self, rules: Rules, known: Known, now_s: int, days: int) -> tuple[Alias, ...]:
        """Every form with evidence from the last `days`, judged under `rules` and the reviews."""
        since = now_s - days * 86_400
        return aliases(self.tallies(rules, since), self.reviews(), rules, known)

    def evidence(
        self, area_code: str, forms: Sequence[str], limit: int = 50
    ) -> list[dict[str, Any]]:
        """The newest examples of a group of forms, for the review page (no caller, no
        audio)."""
        t = learning_examples.c
        query = (
            select(t.at_s, t.label, t.chosen, t.body)
            .where(t.area_code == area_code, t.form.in_(list(forms)))
            .order_by(t.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [{"at_s": r.at_s, "label": r.label, "chosen": r.chosen,
                 "turn": json.loads(r.body)} for r in rows]  # fmt: skip

    def reviews(self) -> dict[Key, Review]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(learning_reviews)).all()
        return {(r.area_code, r.form, r.municipality): Review(r.review) for r in rows}

    def review(self, changes: dict[Key, Review | None], actor: str, action: str) -> None:
        """Set (or, with None, take back) reviews, audited, in one transaction."""
        with self.engine.begin() as conn:
            for key, review in changes.items():
                _review(conn, key, review, actor)
                audit(conn, actor, action, "/".join(key),
                      new=review.value if review else None)  # fmt: skip

    def keep_version(self, keys: Sequence[Key]) -> str:
        """Remember this learned set (once); its version."""
        version = version_of(keys)
        try:
            with self.engine.begin() as conn:
                found = conn.execute(
                    select(learning_versions.c.version).where(
                        learning_versions.c.version == version
                    )
                ).first()
                if found is None:
                    conn.execute(insert(learning_versions).values(
                        version=version, created_at=datetime.now(UTC),
                        body=json.dumps([list(k) for k in sorted(keys)], ensure_ascii=False),
                    ))  # fmt: skip
        except IntegrityError:  # another node kept it at the same moment
            pass
        return version

    def versions(self, limit: int = 50) -> list[tuple[str, datetime, tuple[Key, ...]]]:
        """The learned sets that were in use, newest first."""
        query = select(learning_versions).order_by(learning_versions.c.created_at.desc())
        with self.engine.connect() as conn:
            rows = conn.execute(query.limit(limit)).all()
        return [(r.version, r.created_at, tuple(tuple(k) for k in json.loads(r.body)))
                for r in rows]  # fmt: skip

    def purge(self, before_s: int) -> int:
        """Delete the examples from before `before_s` (learning_retention_days)."""
        with self.engine.begin() as conn:
            t = learning_examples.c
            gone = conn.execute(delete(learning_examples).where(t.at_s < before_s))
        return int(gone.rowcount or 0)


def _forms_by_area(by_form: dict[tuple[str, str], list[Any]]) -> dict[str, list[str]]:
    """Each area's forms in the order they were first seen, at most MAX_FORMS of them (those
    with the most examples)."""
    areas: dict[str, list[str]] = {}
    for area, form in by_form:
        areas.setdefault(area, []).append(form)
    out = {}
    for area, forms in sorted(areas.items()):
        count = {f: sum(r[3] for r in by_form[(area, f)]) for f in forms}
        first = {f: min(r[6] for r in by_form[(area, f)]) for f in forms}
        kept = sorted(forms, key=lambda f: -count[f])[:MAX_FORMS]
        out[area] = sorted(kept, key=lambda f: first[f])
    return out


def _review(conn: Connection, key: Key, review: Review | None, actor: str) -> None:
    area, form, code = key
    r = learning_reviews.c
    conn.execute(
        delete(learning_reviews).where(r.area_code == area, r.form == form, r.municipality == code)
    )
    if review is not None:
        conn.execute(insert(learning_reviews).values(
            area_code=area, form=form, municipality=code, review=review.value, by=actor[:100],
            at=datetime.now(UTC),
        ))  # fmt: skip
