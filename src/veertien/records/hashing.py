"""Callers' numbers hashed before any sink sees them (the salt and its rotation are kept by
storage.privacy.CallerHasher; this is the pure part)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import replace

from veertien.records.record import CallRecord, CallRecordSink


def hash_number(salt: bytes, number: object) -> str | None:
    """A caller's number as 16 hex digits of HMAC-SHA256 under `salt` (None stays None). Once
    the salt is gone, nobody can tell which number it was, not even by trying them all."""
    if not number:
        return None
    return "h:" + hmac.new(salt, str(number).encode(), hashlib.sha256).hexdigest()[:16]


class HashingSink:
    """Passes records on with the caller's number hashed (storage.privacy.CallerHasher): the
    database and calls.jsonl never see the number itself."""

    def __init__(self, inner: CallRecordSink, hasher: Callable[[str | None], str | None]) -> None:
        self.inner = inner
        self.hasher = hasher

    def write(self, record: CallRecord) -> None:
        self.inner.write(replace(record, caller=self.hasher(record.caller)))

    def close(self) -> None:
        self.inner.close()
