"""Call records from the accounting lines of the 302s a Kamailio front answered itself.

The shipped server/kamailio.cfg has acc write one line per answered call through
db_flatstore: acc's own fields (method, tags, Call-ID, status, reason, time), then the
`db_extra` fields below, `|`-separated. What a caller controls (Call-ID, From and
P-Asserted-Identity URIs) is hex-encoded by Kamailio before it is written, so it can never
split a line; everything else comes from the table veertien wrote (server/front_table.py,
which refuses `|`) or from Kamailio itself. A line is therefore read from its end: the last
`len(EXTRAS)` fields, whatever acc's own part holds. A line that does not read is refused
with the reason (AccError), never guessed at.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from veertien.call.redirect import caller_of
from veertien.errors import SetupError
from veertien.records import CallRecord
from veertien.routing import RoutingContext
from veertien.routing.decision import DecisionKind

# The db_extra fields of server/kamailio.cfg, in its order.
EXTRAS = (
    "cid", "src", "sport", "proto", "dialled", "from", "pai", "target", "municipality",
    "rule", "area", "reason", "version", "at", "done",
)  # fmt: skip
_HEX = ("cid", "from", "pai")
_MAX_LINE = 16_384  # Kamailio's own limits keep a line far below this


class AccError(SetupError):
    """An accounting line that cannot be a call record."""


def _unhex(name: str, text: str) -> str:
    try:
        return bytes.fromhex(text).decode("utf-8", errors="replace")
    except ValueError:
        raise AccError(f"{name} is not hex-encoded") from None


def _fields(line: str) -> dict[str, str]:
    if len(line) > _MAX_LINE:
        raise AccError(f"a line of {len(line)} characters")
    parts = line.rstrip("\n").rsplit("|", len(EXTRAS))
    if len(parts) != len(EXTRAS) + 1 or not parts[0].startswith("INVITE|"):
        raise AccError(f"not an INVITE with {len(EXTRAS)} extra fields")
    found = dict(zip(EXTRAS, parts[1:], strict=True))
    for name in _HEX:
        found[name] = _unhex(name, found[name])
    for name in ("cid", "dialled", "target", "municipality", "rule", "version", "at"):
        if not found[name]:
            raise AccError(f"no {name}")
    if not found["sport"].isdigit() or found["proto"] not in {"udp", "tcp", "tls", "sctp"}:
        raise AccError(f"source {found['proto']!r} port {found['sport']!r}")
    return found


def _seconds(name: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise AccError(f"{name} {text!r} is not a time") from None


def record_of(line: str, ctx: RoutingContext, zone: tzinfo) -> CallRecord:
    """The call record of one accounting line (the caller still in clear: the caller hashes
    it, as for a node's records); AccError when the line cannot be one."""
    f = _fields(line)
    at, done = _seconds("at", f["at"]), _seconds("done", f["done"] or f["at"])
    host = f"[{f['src']}]" if ":" in f["src"] else f["src"]
    municipality = f["municipality"]
    found = ctx.directory.municipalities.get(municipality)
    sent_from, asserted = (f"<{f[name]}>" if f[name] else None for name in ("from", "pai"))
    return CallRecord(
        call_id=f["cid"],
        started=datetime.fromtimestamp(at, zone).isoformat(timespec="milliseconds"),
        transport=f["proto"],
        peer=f"{f['proto']}:{host}:{f['sport']}",
        dialled=f["dialled"],
        caller=caller_of(sent_from, asserted),
        decision=DecisionKind.REDIRECT.value,
        rule=f["rule"],
        reason=f["reason"] if f["reason"] != "-" else "",
        data_version=f["version"],
        municipality=municipality,
        target=f["target"],
        response=302,
        outcome="redirected",
        pdd_us=round(max(done - at, 0.0) * 1e6, 1),
        area_code=f["area"] if f["area"] != "-" else None,
        final_rule=f["rule"],
        stages=("transferred",),
        municipality_name=found.name if found is not None else None,
    )
