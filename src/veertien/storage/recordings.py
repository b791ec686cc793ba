"""Recorded prompts in the database: per area, language and sentence, the audio a
municipality uploaded (portal: /opnames), read by every node (server.recordings).

Each upload or removal is one transaction with its audit entry. The number of recordings and
their total length are bounded, since every node keeps all of them in memory.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, func, select

from veertien.errors import InputError
from veertien.storage.config import audit
from veertien.storage.schema import recordings

MAX_RECORDINGS = 2000
MAX_TOTAL_SECONDS = 7200.0  # about 115 MB of 8 kHz PCM in each node's memory
MAX_TEXT = 1000


class RecordingRefused(InputError):
    """A recording that cannot be kept (the text says why, in Dutch)."""


@dataclass(frozen=True, slots=True)
class Listed:
    """One recording without its audio, for the portal."""

    area_code: str
    language: str
    text: str
    seconds: float
    uploaded_by: str
    uploaded_at: datetime


def key_of(area_code: str, language: str, text: str) -> str:
    return hashlib.sha256(f"{area_code}|{language}|{text}".encode()).hexdigest()


class RecordingStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def mark(self) -> tuple[int, str]:
        """Cheap to read: changes when a recording is added, replaced or removed."""
        t = recordings.c
        with self.engine.connect() as conn:
            count, newest, total = conn.execute(
                select(func.count(), func.max(t.uploaded_at), func.sum(t.seconds))
            ).one()
        return (int(count), f"{newest}|{total}")

    def put(
        self, area_code: str, language: str, text: str, *, pcm: bytes, seconds: float, actor: str
    ) -> None:
        """Keep (or replace) the recording of one sentence, audited."""
        if not text or len(text) > MAX_TEXT:
            raise RecordingRefused(f"Een zin heeft 1 tot {MAX_TEXT} tekens.")
        key = key_of(area_code, language, text)
        t = recordings.c
        with self.engine.begin() as conn:
            old = conn.execute(select(t.seconds).where(t.key == key)).scalar()
            count, total = conn.execute(select(func.count(), func.sum(t.seconds))).one()
            count, total = int(count) - (old is not None), float(total or 0) - float(old or 0)
            if count + 1 > MAX_RECORDINGS:
                raise RecordingRefused(f"Er zijn al {MAX_RECORDINGS} opnames; verwijder er eerst.")
            if total + seconds > MAX_TOTAL_SECONDS:
                raise RecordingRefused(
                    f"Alle opnames samen mogen hoogstens {MAX_TOTAL_SECONDS / 3600:.0f} uur duren."
                )
            conn.execute(delete(recordings).where(t.key == key))
            conn.execute(recordings.insert().values(
                key=key, area_code=area_code, language=language, text=text, pcm=pcm,
                seconds=seconds, uploaded_by=actor[:100], uploaded_at=datetime.now(UTC),
            ))  # fmt: skip
            audit(conn, actor, "recording.put", f"{area_code}/{language}", old=old and text,
                  new={"text": text, "seconds": round(seconds, 2)})  # fmt: skip

    def remove(self, area_code: str, language: str, text: str, actor: str) -> bool:
        """Remove one recording, audited; whether there was one."""
        key = key_of(area_code, language, text)
        with self.engine.begin() as conn:
            gone = conn.execute(delete(recordings).where(recordings.c.key == key)).rowcount
            if gone:
                audit(conn, actor, "recording.remove", f"{area_code}/{language}", old=text)
        return bool(gone)

    def listing(self, area_code: str) -> list[Listed]:
        t = recordings.c
        query = (
            select(t.area_code, t.language, t.text, t.seconds, t.uploaded_by, t.uploaded_at)
            .where(t.area_code == area_code)
            .order_by(t.language, t.uploaded_at)
        )
        with self.engine.connect() as conn:
            return [Listed(*row) for row in conn.execute(query)]

    def audio(self, area_code: str, language: str, text: str) -> bytes | None:
        key = key_of(area_code, language, text)
        with self.engine.connect() as conn:
            found = conn.execute(select(recordings.c.pcm).where(recordings.c.key == key)).scalar()
        return bytes(found) if found is not None else None

    def all_audio(self) -> dict[tuple[str, str, str], bytes]:
        """Every recording: (area, language, sentence) → PCM (what a node plays)."""
        t = recordings.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.area_code, t.language, t.text, t.pcm)).all()
        return {(r[0], r[1], r[2]): bytes(r[3]) for r in rows}
