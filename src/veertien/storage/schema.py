"""The database schema (SQLAlchemy Core). Changes go through an Alembic migration in
`storage/migrations/versions/`; this module is what the code reads and writes."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    false,
)

from veertien.records import STAGE_COLUMNS
from veertien.records.columns import REPORT_INDEX

metadata = MetaData()

# The routing snapshot: one row per document ("settings", "directory"), each a JSON body with
# its content version; `revision` grows by one on every change of either, so a reader can tell
# cheaply whether to reload.
config = Table(
    "config",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("body", Text, nullable=False),
    Column("version", String(64), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(64), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),  # operator, admin, viewer
    Column("municipality", String(6)),  # CBS code for admins and viewers of one municipality
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # a password somebody else made (one-time): changed at the next sign-in (migration 0005)
    Column("must_change", Boolean, nullable=False, default=False, server_default=false()),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("label", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

portal_sessions = Table(  # signed-in portal sessions: a cookie is good only while its row is
    "portal_sessions",
    metadata,
    Column("sid_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(128), nullable=False),
    Column("old", Text),  # JSON
    Column("new", Text),  # JSON
    Index("ix_audit_target", "target"),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String(200), nullable=False),
    Column("status", String(20), nullable=False),  # investigating, identified, monitoring, resolved
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

incident_updates = Table(
    "incident_updates",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident_id", Integer, ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("status", String(20), nullable=False),
    Column("message", Text, nullable=False),
)

call_records = Table(
    "call_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_id", String(255), nullable=False),
    Column("started", DateTime(timezone=True), nullable=False),
    Column("dialled", String(64), nullable=False),
    Column("caller", String(64)),
    Column("municipality", String(6)),
    Column("target", String(255)),
    Column("outcome", String(32), nullable=False),
    Column("route", String(16), nullable=False),
    Column("phase", String(32)),
    Column("response", Integer, nullable=False),
    Column("data_version", String(64), nullable=False),
    Column("duration_ms", Float),
    Column("body", Text, nullable=False),  # the whole record as JSON
    # what the reports count by (records.columns; migration 0002)
    Column("rule", String(32)),
    Column("final_rule", String(32)),
    Column("area_code", String(5)),
    Column("handover", String(8)),
    Column("day", String(10)),  # local date, YYYY-MM-DD
    Column("hour_of_week", SmallInteger),  # local: Monday 0-1 h is 0, Sunday 23-24 h is 167
    Column("pdd_us", Float),
    Column("pdd_bucket", Integer),
    Column("node", String(64)),  # the node that wrote it (migration 0008)
    Column("language", String(8), nullable=False, server_default="nl"),  # migration 0009
    *(Column(name, Boolean, nullable=False, server_default=false()) for name in STAGE_COLUMNS),
    Index("ix_calls_started", "started"),
    Index("ix_calls_municipality_started", "municipality", "started"),
    Index("ix_calls_report", *REPORT_INDEX),
)

# The salt that hashes callers' numbers in one period (storage.privacy); a period's salt is
# deleted when the period is over, so its hashes can no longer be tied to a number.
caller_salts = Table(
    "caller_salts",
    metadata,
    Column("period", Integer, primary_key=True),
    Column("salt", String(64), nullable=False),
)


# The nodes of a cluster (storage.cluster): each beats every second; `draining` is set from the
# outside (`veertien node drain`) and read by the node at its next beat.
nodes = Table(
    "nodes",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("role", String(16), nullable=False),  # sip, portal, all
    Column("sip", String(128)),  # HOST:PORT it takes SIP on
    Column("http", String(128)),  # HOST:PORT of its portal or health page
    Column("boot", String(32), nullable=False),  # one per start: tells a restart from a twin
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False),
    Column("draining", Boolean, nullable=False, server_default=false()),
    Column("dialogues", Integer, nullable=False, server_default="0"),  # running at the last beat
)

# A dialogue running inside a node, written when it starts and deleted with its call record: a
# node that dies leaves its rows here, and turns them into call records when it starts again.
open_dialogues = Table(
    "open_dialogues",
    metadata,
    Column("call_id", String(255), primary_key=True),
    Column("node", String(64), primary_key=True),
    Column("body", Text, nullable=False),  # JSON: what is known at the start of the dialogue
)

# What every portal process must agree on: the key that signs session cookies.
portal_secrets = Table(
    "portal_secrets",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", String(128), nullable=False),
)

# Failed sign-ins per key ("pair:name@address", "addr:address"), for the login limiter of all
# portal processes together (portal.security); rows older than the window are deleted.
login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False),
    Column("at", Float, nullable=False),  # seconds since the epoch
    Index("ix_login_failures_key", "key", "at"),
)

# Learning (veertien.learning, storage.learning): one row per speech turn whose outcome is known,
# with no caller number (a hash) and no audio; kept `learning_retention_days`.
learning_examples = Table(
    "learning_examples",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at_s", BigInteger, nullable=False),  # Unix seconds
    Column("area_code", String(5), nullable=False),
    Column("form", String(60), nullable=False),  # what was said, folded
    Column("label", String(16), nullable=False),  # learning.examples.Label
    Column("chosen", String(32), nullable=False),  # the municipality the call went to
    Column("caller", String(64)),  # hashed (records.hashing); NULL when withheld
    Column("language", String(8), nullable=False),
    Column("learning_version", String(16), nullable=False),
    Column("body", Text, nullable=False),  # JSON: the turn (transcripts, candidate scores)
    Index("ix_learning_form", "area_code", "form"),
    Index("ix_learning_at", "at_s"),
)

# An operator's word on a learned alias (approved, rejected, frozen): wins over the evidence.
learning_reviews = Table(
    "learning_reviews",
    metadata,
    Column("area_code", String(5), primary_key=True),
    Column("form", String(60), primary_key=True),
    Column("municipality", String(32), primary_key=True),
    Column("review", String(16), nullable=False),  # learning.aliases.Review
    Column("by", String(100), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

# Every learned set that was in use: its version (in the call records) and its aliases, so that
# the operator can go back to any of them.
learning_versions = Table(
    "learning_versions",
    metadata,
    Column("version", String(16), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("body", Text, nullable=False),  # JSON: [[area code, form, municipality], ...]
)

# The sentences a municipality recorded for its area in a language (portal: /opnames), played
# instead of a voice (call.prompts). `key` is the sha256 of "area|language|text".
recordings = Table(
    "recordings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("area_code", String(5), nullable=False),
    Column("language", String(8), nullable=False),
    Column("text", Text, nullable=False),  # the sentence as the catalogue says it
    Column("pcm", LargeBinary, nullable=False),  # 8 kHz 16-bit mono, normalised
    Column("seconds", Float, nullable=False),
    Column("uploaded_by", String(100), nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False),
)
