"""The SIP transaction layer and UAS core, sans I/O.

`SipCore.receive(data, peer, now)` takes one datagram or framed stream message and returns
outputs: bytes to transmit, requests for the transaction user (the call layer), and notices.
It answers by itself what needs no call logic: retransmissions (absorbed by transactions),
OPTIONS (200, the health probe), CANCEL (200 + 487), Max-Forwards 0 (483), unknown methods
(405 with Allow), unsupported extensions (420), invalid requests (400 with the reason), and it
sends 100 Trying for every new INVITE. Malformed bytes never raise: they come back as `Dropped`.
"""

from __future__ import annotations

import heapq
import itertools
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from veertien import __version__
from veertien.sip.admission import SourceBlocked, SourceGuard, Verdict
from veertien.sip.message import REASONS, Headers, Request, Response, canonical_name
from veertien.sip.overload import OverloadGuard
from veertien.sip.parser import ParseError, check_request, parse_message
from veertien.sip.shed import fast_503
from veertien.sip.transaction import (
    ClientInviteTransaction,
    ClientNonInviteTransaction,
    ClientTransaction,
    Deliver,
    Peer,
    ServerInviteTransaction,
    ServerNonInviteTransaction,
    ServerTransaction,
    State,
    Timeout,
    TimerValues,
    Transmit,
    TxnKey,
)
from veertien.sip.uri import CSeq, SipSyntaxError, Via, split_commas, tag_of, top_via

MAGIC = "z9hG4bK"
# The first Via header's sent-by and branch, for the ACK fast path.
_TOP_VIA = re.compile(
    rb"\r?\n(?:via|v)[ \t]*:[ \t]*SIP[ \t]*/[ \t]*2\.0[ \t]*/[ \t]*[A-Za-z]+[ \t]+"
    rb"([A-Za-z0-9.\-\[\]:]+)[^\r\n,]*?;[ \t]*branch=([^;,\s]+)",
    re.IGNORECASE,
)
_OC = re.compile(rb";[ \t]*oc(?=[ \t]*(?:;|,|\r|\n|$))", re.IGNORECASE)  # RFC 7339 asked for
_Answer = tuple[int, str | None, list[tuple[str, str]]]
_TRANSACTION, _ACCEPTED = 0, 1  # what a timer-heap entry's key names
MAX_ECHO = 8192  # the headers a response copies (Via, From, To, Call-ID, CSeq) may be this big
_ECHOED = frozenset({"Via", "From", "To", "Call-ID", "CSeq"})


@dataclass(frozen=True, slots=True)
class IncomingRequest:
    """A new request for the transaction user; answer it with `SipCore.respond(key, ...)`."""

    key: TxnKey
    request: Request
    peer: Peer


@dataclass(frozen=True, slots=True)
class IncomingAck:
    """An ACK that matched no transaction: the ACK for a 2xx, which belongs to a dialog."""

    request: Request
    peer: Peer


@dataclass(frozen=True, slots=True)
class Cancelled:
    """The caller cancelled a pending INVITE; the core has already sent 200 and 487."""

    key: TxnKey
    request: Request


@dataclass(frozen=True, slots=True)
class AckTimeout:
    """Our 2xx to an INVITE was sent for 64*T1 without an ACK (RFC 3261 13.3.1.4): the
    session should be ended (BYE)."""

    key: TxnKey


@dataclass(frozen=True, slots=True)
class Dropped:
    """Input that was not answered: garbage, or a request too broken to reply to."""

    reason: str
    peer: Peer


Output = (
    Transmit
    | Deliver
    | Timeout
    | IncomingRequest
    | IncomingAck
    | Cancelled
    | AckTimeout
    | Dropped
    | SourceBlocked
)


class _Accepted:
    """A 2xx to an INVITE, sent again until its ACK comes (RFC 3261 13.3.1.4: from T1,
    doubling up to T2, for 64*T1), and at once for a retransmitted INVITE (RFC 6026's
    Accepted state): the UA core's timer, on the same injected clock as the transactions."""

    __slots__ = (
        "ack_id", "data", "give_up_at", "interval", "key", "peer", "retransmit_at", "t2",
        "terminated",
    )  # fmt: skip

    def __init__(
        self, key: TxnKey, data: bytes, peer: Peer, now: float, timers: TimerValues
    ) -> None:
        self.key = key
        self.data = data
        self.peer = peer
        self.interval = timers.t1
        self.t2 = timers.t2
        self.retransmit_at = now + timers.t1
        self.give_up_at = now + 64 * timers.t1
        self.terminated = False
        self.ack_id: tuple[str, int] = ("", 0)  # (Call-ID, CSeq) its ACK will carry

    def next_deadline(self) -> float | None:
        return None if self.terminated else min(self.retransmit_at, self.give_up_at)

    def on_timer(self, now: float) -> list[Output]:
        if now >= self.give_up_at:
            self.terminated = True
            return [AckTimeout(self.key)]
        if now < self.retransmit_at:
            return []
        self.interval = min(2 * self.interval, self.t2)
        self.retransmit_at = now + self.interval
        return [Transmit(self.data, self.peer)]


@dataclass(frozen=True, slots=True)
class CoreConfig:
    timers: TimerValues = field(default_factory=TimerValues)
    allow: tuple[str, ...] = ("INVITE", "ACK", "CANCEL", "BYE", "OPTIONS", "NOTIFY")
    server: str = f"veertien/{__version__}"


def make_response(
    request: Request,
    status: int,
    reason: str | None = None,
    *,
    to_tag: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
) -> Response:
    """A response copying Via, From, To (with our tag), Call-ID and CSeq (RFC 3261 8.2.6.2)."""
    items: list[tuple[str, str]] = [("Via", v) for v in request.headers.get_all("Via")]
    to = request.header("To") or ""
    if to_tag and status > 100 and tag_of(to) is None:
        to = f"{to};tag={to_tag}"
    for name, value in (
        ("From", request.header("From")),
        ("To", to),
        ("Call-ID", request.header("Call-ID")),
        ("CSeq", request.header("CSeq")),
    ):
        if value is not None:
            items.append((name, value))
    items.extend((canonical_name(n), v) for n, v in headers)
    return Response(
        status, reason or REASONS.get(status, "Unknown"), Headers(items, canonical=True), body
    )


class SipCore:
    def __init__(
        self,
        config: CoreConfig | None = None,
        new_id: Callable[[], str] | None = None,
        guard: OverloadGuard | None = None,
        sources: SourceGuard | None = None,
    ) -> None:
        self.config = config or CoreConfig()
        self.guard = guard or OverloadGuard()  # sheds new calls while the node is behind
        self.sources = sources or SourceGuard()  # rate limits, blocks, carriers (admission.py)
        # told to take no new calls (`veertien node drain`): new INVITEs and OPTIONS get 503,
        # so a dispatcher in front (Kamailio) sends calls elsewhere; running dialogues go on
        self.draining = False
        self.servers: dict[TxnKey, ServerTransaction] = {}
        self.clients: dict[TxnKey, ClientTransaction] = {}
        self.to_tags: dict[TxnKey, str] = {}
        self.accepted: dict[TxnKey, _Accepted] = {}  # 2xx to INVITEs awaiting their ACK
        self._acks: dict[tuple[str, int], TxnKey] = {}  # (Call-ID, CSeq) → the INVITE's key
        self._heap: list[tuple[float, int, TxnKey, int]] = []
        self._seq = itertools.count()
        prefix = os.urandom(4).hex()
        counter = itertools.count(1)
        self.new_id = new_id or (lambda: f"{prefix}{next(counter):x}")

    # -- input -----------------------------------------------------------------------------
    def receive(self, data: bytes, peer: Peer, now: float) -> list[Output]:
        """Handle one message. Never raises on bad input."""
        if self.sources.blocked(peer.host, now):
            return []  # a blocked source: not a byte parsed, nothing answered
        quick = self._quick(data, peer, now)
        if quick is not None:
            return quick
        try:
            message = parse_message(data)
        except ParseError as exc:
            return [Dropped(str(exc), peer)]
        if isinstance(message, Response):
            return self._on_response(message, peer, now)
        if len(data) > MAX_ECHO and _echoed_size(message) > MAX_ECHO:
            # Our answer would copy these headers and could not be sent (over UDP a datagram
            # holds 65,507 bytes): no transaction, no call record; a logged drop.
            return [Dropped(f"{message.method} too large to answer", peer)]
        return self._on_request(message, peer, now)

    def _quick(self, data: bytes, peer: Peer, now: float) -> list[Output] | None:
        """The fast paths that need no parse: the ACK of a failed or redirected INVITE, and
        the 503 while shedding. None: parse and take the normal path."""
        if data.startswith(b"ACK "):
            return self._absorb_ack(data, now)
        if data.startswith(b"INVITE ") and self.sources.trusted(peer.host):
            return self._shed_quickly(data, peer, now)
        return None

    def _shed_quickly(self, data: bytes, peer: Peer, now: float) -> list[Output] | None:
        """While shedding: a new INVITE from a trusted source (a carrier's SBC) answered 503
        from its bytes (sip/shed.py), unless it is one we know (a retransmission of a call
        we took). None: the normal path."""
        match = _TOP_VIA.search(data) if self.guard.refusing(now) else None
        if match is None:
            return None
        branch = match.group(2).decode("ascii", "replace")
        key = (branch, match.group(1).decode("ascii", "replace").lower(), "INVITE")
        known = key in self.servers or key in self.accepted or not branch.startswith(MAGIC)
        if known:
            return None
        source = (peer.host, peer.port)
        top = data[match.start() : data.find(b"\n", match.end())]
        oc = _oc_params(self.guard.oc(now)) if _OC.search(top) else b""
        answer = fast_503(
            data, self.new_id(), self.config.server, self.guard.retry_after_s, source,
            top_params=oc,
        )  # fmt: skip
        if answer is None:
            return None
        self.guard.refused(now)
        return [Transmit(answer, peer)]

    def _absorb_ack(self, data: bytes, now: float) -> list[Output] | None:
        """Fast path for the ACK that ends a failed or redirected INVITE: match its transaction
        from the top Via without parsing the whole message. None: take the normal path."""
        match = _TOP_VIA.search(data)
        if match is None:
            return None
        branch = match.group(2).decode("ascii", "replace")
        if not branch.startswith(MAGIC):
            return None
        key = (branch, match.group(1).decode("ascii", "replace").lower(), "INVITE")
        txn = self.servers.get(key)
        if not isinstance(txn, ServerInviteTransaction) or txn.state is State.PROCEEDING:
            return None
        return self._track(txn, txn.on_ack(now))

    def _on_request(self, request: Request, peer: Peer, now: float) -> list[Output]:
        checked = check_request(request)
        if checked.problem is not None or checked.via is None or checked.cseq is None:
            return self._stateless(request, peer, 400, checked.problem or "Bad Request")
        via = checked.via
        request = _stamp_via(request, via, peer, lambda: self.guard.oc(now))
        key = _server_key(request, via, checked.cseq.number)
        known = self._known(request, key, checked.cseq.number, peer, now)
        if known is not None:
            return known
        if request.method == "CANCEL":
            return self._on_cancel(request, via, key, peer, now)
        refused = self._gate(request, peer, now)
        if refused is not None:
            return refused
        return self._new_server_transaction(request, key, peer, now)

    def _gate(self, request: Request, peer: Peer, now: float) -> list[Output] | None:
        """A new request's way in: a blocked or limited source is dropped, an INVITE from
        outside the carriers gets 403, a new call while the node is behind 503; None: in."""
        verdict, block = self.sources.admit(request, peer.host, now)
        if verdict is Verdict.DROP:
            return [block] if block is not None else []
        initial = not _has_to_tag(request)
        if verdict is Verdict.FORBIDDEN and initial:
            return self._stateless(request, peer, 403, "Forbidden")  # not one of our carriers
        if self.draining and initial and request.method in ("INVITE", "OPTIONS"):
            return self._shed(request, peer, "Draining")
        if request.method == "INVITE" and initial and self.guard.shedding(now):
            return self._shed(request, peer)
        return None

    def _shed(self, request: Request, peer: Peer, reason: str = "Overloaded") -> list[Output]:
        """A new call while the node is behind (or draining): 503 with Retry-After,
        statelessly, at once."""
        headers = [
            ("Server", self.config.server),
            ("Retry-After", str(self.guard.retry_after_s)),
        ]
        response = make_response(request, 503, reason, to_tag=self.new_id(), headers=headers)
        return [Transmit(response.to_bytes(), peer)]

    def _known(
        self, request: Request, key: TxnKey, cseq: int, peer: Peer, now: float
    ) -> list[Output] | None:
        """What a request for a transaction we have (a retransmission, an ACK), an ACK for a
        2xx, or an INVITE we already accepted, comes to; None for a new request."""
        existing = self.servers.get(key)
        if existing is not None:
            if request.method == "ACK" and isinstance(existing, ServerInviteTransaction):
                return self._track(existing, existing.on_ack(now))
            return list(existing.on_retransmission())
        if request.method == "ACK":
            self._acknowledged(request.header("Call-ID") or "", cseq)
            return [IncomingAck(request, peer)]
        accepted = self.accepted.get(key)
        if accepted is not None:  # the INVITE again: our 2xx was lost on the way
            return [Transmit(accepted.data, peer)]
        return None

    def _acknowledged(self, call_id: str, cseq: int) -> None:
        key = self._acks.pop((call_id, cseq), None)
        accepted = self.accepted.pop(key, None) if key is not None else None
        if accepted is not None:
            accepted.terminated = True

    def _new_server_transaction(
        self, request: Request, key: TxnKey, peer: Peer, now: float
    ) -> list[Output]:
        txn: ServerTransaction
        if request.method == "INVITE":
            txn = ServerInviteTransaction(key, request, peer, self.config.timers)
        else:
            txn = ServerNonInviteTransaction(key, request, peer, self.config.timers)
        self.servers[key] = txn
        self.to_tags[key] = self.new_id()
        automatic = self._automatic_answer(request)
        if automatic is not None:
            return self.respond(key, *automatic, now=now)
        out: list[Output] = []
        if request.method == "INVITE":
            out.extend(self.respond(key, 100, now=now))
        out.append(IncomingRequest(key, request, peer))
        return out

    def _automatic_answer(self, request: Request) -> _Answer | None:
        allow = ", ".join(self.config.allow)
        if request.method not in self.config.allow:
            return 405, None, [("Allow", allow)]
        if request.header("Max-Forwards") == "0":
            return 483, None, []
        required = request.headers.values("Require")
        if required and request.method != "CANCEL":
            return 420, None, [("Unsupported", ", ".join(required))]
        if request.method == "OPTIONS":
            return 200, None, [("Allow", allow), ("Accept", "application/sdp")]
        return None

    def _on_cancel(
        self, cancel: Request, via: Via, key: TxnKey, peer: Peer, now: float
    ) -> list[Output]:
        invite_key = (*key[:-1], "INVITE")
        invite = self.servers.get(invite_key)
        self.servers[key] = ServerNonInviteTransaction(key, cancel, peer, self.config.timers)
        self.to_tags[key] = self.to_tags.get(invite_key) or self.new_id()
        if not isinstance(invite, ServerInviteTransaction):
            return self.respond(key, 481, now=now)
        out = self.respond(key, 200, now=now)
        if invite.state is State.PROCEEDING:
            out += self.respond(invite_key, 487, now=now)
            out.append(Cancelled(invite_key, cancel))
        return out

    def _stateless(self, request: Request, peer: Peer, status: int, reason: str) -> list[Output]:
        if request.method == "ACK":
            return [Dropped(f"invalid ACK: {reason}", peer)]
        try:
            top_via(request.headers.values("Via"))
        except SipSyntaxError:
            return [Dropped(f"unanswerable request: {reason}", peer)]
        response = make_response(
            request,
            status,
            reason.replace("\r", " ").replace("\n", " "),
            to_tag=self.new_id(),
            headers=[("Server", self.config.server)],
        )
        return [Transmit(response.to_bytes(), peer)]

    def _on_response(self, response: Response, peer: Peer, now: float) -> list[Output]:
        try:
            via = top_via(response.headers.values("Via"))
            method = CSeq.parse(response.header("CSeq") or "").method
        except SipSyntaxError:
            return [Dropped("response without a usable Via or CSeq", peer)]
        key: TxnKey = (via.branch or "", method)
        txn = self.clients.get(key)
        if txn is None:
            if method == "INVITE" and 200 <= response.status < 300:
                # a retransmitted 2xx after the transaction ended: the dialog must ACK it again
                return [Deliver(key, response)]
            return [Dropped(f"stray {response.status} response", peer)]
        return self._track(txn, txn.on_response(response, now))

    # -- the transaction user's side ----------------------------------------------------------
    def respond(
        self,
        key: TxnKey,
        status: int,
        reason: str | None = None,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
        *,
        now: float,
    ) -> list[Output]:
        """Send a response in a server transaction. Unknown or finished ones: nothing."""
        txn = self.servers.get(key)
        if txn is None:
            return []
        extra = [("Server", self.config.server), *headers]
        response = make_response(
            txn.request, status, reason, to_tag=self.to_tags.get(key), headers=extra, body=body
        )
        out = txn.respond(response, now)
        if isinstance(txn, ServerInviteTransaction) and 200 <= status < 300 and out:
            self._accept(txn, out[0].data if isinstance(out[0], Transmit) else b"", now)
        return self._track(txn, out)

    def _accept(self, txn: ServerInviteTransaction, data: bytes, now: float) -> None:
        """Keep sending our 2xx until its ACK (the transaction itself has ended)."""
        accepted = _Accepted(txn.key, data, txn.peer, now, self.config.timers)
        self.accepted[txn.key] = accepted
        cseq = CSeq.parse(txn.request.header("CSeq") or "").number
        accepted.ack_id = (txn.request.header("Call-ID") or "", cseq)
        self._acks[accepted.ack_id] = txn.key
        self._track(accepted, [])

    def send_request(self, request: Request, peer: Peer, now: float) -> tuple[TxnKey, list[Output]]:
        """Start a client transaction. The request's top Via must carry a fresh branch."""
        key = client_key(request)
        txn: ClientTransaction
        if request.method == "INVITE":
            txn = ClientInviteTransaction(key, request, peer, self.config.timers)
        else:
            txn = ClientNonInviteTransaction(key, request, peer, self.config.timers)
        self.clients[key] = txn
        return key, self._track(txn, txn.start(now))

    def new_branch(self) -> str:
        return f"{MAGIC}{self.new_id()}"

    # -- timers ---------------------------------------------------------------------------------
    def _timed(
        self, key: TxnKey, kind: int
    ) -> ServerTransaction | ClientTransaction | _Accepted | None:
        if kind == _ACCEPTED:
            return self.accepted.get(key)
        return self.servers.get(key) or self.clients.get(key)

    def next_deadline(self) -> float | None:
        while self._heap:
            deadline, _, key, kind = self._heap[0]
            timed = self._timed(key, kind)
            if timed is not None and timed.next_deadline() == deadline:
                return deadline
            heapq.heappop(self._heap)
        return None

    def on_timers(self, now: float) -> list[Output]:
        out: list[Output] = []
        while (deadline := self.next_deadline()) is not None and deadline <= now:
            _, _, key, kind = heapq.heappop(self._heap)
            timed = self._timed(key, kind)
            if timed is not None:
                out.extend(self._track(timed, timed.on_timer(now)))
        return out

    def _track(
        self,
        txn: ServerTransaction | ClientTransaction | _Accepted,
        out: Sequence[Output],
    ) -> list[Output]:
        kind = _ACCEPTED if isinstance(txn, _Accepted) else _TRANSACTION
        if txn.terminated:
            self._forget(txn)
        else:
            deadline = txn.next_deadline()
            if deadline is not None:
                heapq.heappush(self._heap, (deadline, next(self._seq), txn.key, kind))
        return list(out)

    def _forget(self, txn: ServerTransaction | ClientTransaction | _Accepted) -> None:
        if isinstance(txn, _Accepted):
            if self.accepted.get(txn.key) is txn:
                del self.accepted[txn.key]
            if self._acks.get(txn.ack_id) == txn.key:
                del self._acks[txn.ack_id]
        elif isinstance(txn, ServerInviteTransaction | ServerNonInviteTransaction):
            self.servers.pop(txn.key, None)
            self.to_tags.pop(txn.key, None)
        else:
            self.clients.pop(txn.key, None)


def _has_to_tag(request: Request) -> bool:
    """A request inside a dialog (a re-INVITE): never shed, it belongs to a call we took."""
    return tag_of(request.header("To") or "") is not None


def _echoed_size(request: Request) -> int:
    """How many bytes of the request's headers any response to it copies."""
    return sum(len(v) for n, v in request.headers if n in _ECHOED)


def client_key(request: Request) -> TxnKey:
    """The key of the client transaction that sends `request`: its top Via branch and method."""
    return (top_via(request.headers.values("Via")).branch or "", request.method)


def _server_key(request: Request, via: Via, cseq: int) -> TxnKey:
    """RFC 3261 17.2.3 matching; RFC 2543 peers without the magic cookie get a fallback key."""
    method = "INVITE" if request.method == "ACK" else request.method
    branch = via.branch or ""
    if branch.startswith(MAGIC):
        return (branch, via.sent_by, method)
    from_tag = tag_of(request.header("From") or "") or ""
    return ("2543", request.header("Call-ID") or "", str(cseq), from_tag, via.sent_by, method)


def _oc_params(values: dict[str, str]) -> bytes:
    return "".join(f";{k}={v}" for k, v in values.items()).encode()


def _stamp_via(request: Request, via: Via, peer: Peer, oc: Callable[[], dict[str, str]]) -> Request:
    """Add received= and rport= to the top Via (RFC 3261 18.2.1, RFC 3581) where needed, and
    the overload-control parameters where the upstream asked for them (RFC 7339: `oc`
    without a value), so every response to it says how loaded we are."""
    changes: dict[str, str | None] = {}
    if via.has_param("oc") and not via.param("oc"):
        changes.update(oc())
    if via.host != peer.host:
        changes["received"] = peer.host
    if via.has_param("rport") and not via.param("rport"):
        changes["rport"] = str(peer.port)
    if not changes:
        return request
    lines = request.headers.get_all("Via")
    first = ", ".join([str(via.with_params(**changes)), *split_commas(lines[0])[1:]])
    items = []
    replaced = False
    for name, value in request.headers:
        if name == "Via" and not replaced:
            items.append((name, first))
            replaced = True
        else:
            items.append((name, value))
    return Request(
        request.method, request.uri, Headers(items, canonical=True), request.body, request.version
    )
