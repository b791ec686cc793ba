"""One home for the call record: the record itself, its funnel (stages and hang-up phases), the
sinks it is written through (memory, tee, hashing, calls.jsonl, the batching writer), the report
columns derived from it and the hashing of callers' numbers. storage, reports, call and server
import it; it imports nothing of theirs."""

from veertien.records.funnel import STAGE_COLUMNS, Phase, Stage
from veertien.records.hashing import HashingSink, hash_number
from veertien.records.journal import JsonLinesSink
from veertien.records.record import RECORD_FIELDS, CallRecord, CallRecordSink, MemorySink, TeeSink
from veertien.records.writer import BatchWriter, JsonRecord

__all__ = [
    "RECORD_FIELDS",
    "STAGE_COLUMNS",
    "BatchWriter",
    "CallRecord",
    "CallRecordSink",
    "HashingSink",
    "JsonLinesSink",
    "JsonRecord",
    "MemorySink",
    "Phase",
    "Stage",
    "TeeSink",
    "hash_number",
]
