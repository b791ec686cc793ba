"""RFC 3261 section 17 transactions, sans I/O.

Each transaction is a small state machine. It is fed messages and the current time (`now`, in
seconds from any monotonic clock) and returns what to do: `Transmit` bytes to a peer, `Deliver` a
response to the transaction user, or report a `Timeout`. Timers keep the RFC's names (A, B, D, E,
F, G, H, I, J, K); `deadlines` maps each running timer to when it fires and `on_timer(now)` fires
the ones that are due. Nothing here sleeps or reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from veertien.sip.message import Headers, Request, Response


class Transport(Enum):
    UDP = "UDP"
    TCP = "TCP"

    @property
    def reliable(self) -> bool:
        return self is not Transport.UDP


@dataclass(frozen=True, slots=True)
class Peer:
    """Where a message came from / goes to. `conn` names the TCP connection, 0 for UDP."""

    transport: Transport
    host: str
    port: int
    conn: int = 0

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.transport.value.lower()}:{host}:{self.port}"


@dataclass(frozen=True, slots=True)
class TimerValues:
    """RFC 3261 timer base values in seconds (17.1.1.1, table 4)."""

    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0


class Timer(Enum):
    A = "A"  # INVITE client: retransmit request (unreliable)
    B = "B"  # INVITE client: give up
    D = "D"  # INVITE client: wait for response retransmissions
    E = "E"  # non-INVITE client: retransmit request (unreliable)
    F = "F"  # non-INVITE client: give up
    G = "G"  # INVITE server: retransmit final response (unreliable)
    H = "H"  # INVITE server: give up waiting for ACK
    I = "I"  # INVITE server: absorb ACK retransmissions  # noqa: E741
    J = "J"  # non-INVITE server: absorb request retransmissions
    K = "K"  # non-INVITE client: wait for response retransmissions


class State(Enum):
    CALLING = "calling"
    TRYING = "trying"
    PROCEEDING = "proceeding"
    COMPLETED = "completed"
    CONFIRMED = "confirmed"
    TERMINATED = "terminated"


TxnKey = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Transmit:
    data: bytes
    peer: Peer


@dataclass(frozen=True, slots=True)
class Deliver:
    """A response for the transaction user (client transactions)."""

    key: TxnKey
    response: Response


@dataclass(frozen=True, slots=True)
class Timeout:
    """A transaction gave up: B/F for clients (no answer), H for an INVITE server (no ACK)."""

    key: TxnKey
    timer: Timer


TxnOutput = Transmit | Deliver | Timeout


class _Transaction:
    def __init__(self, key: TxnKey, peer: Peer, timers: TimerValues, state: State) -> None:
        self.key = key
        self.peer = peer
        self.timers = timers
        self.state = state
        self.deadlines: dict[Timer, float] = {}
        self._interval: dict[Timer, float] = {}

    @property
    def reliable(self) -> bool:
        return self.peer.transport.reliable

    @property
    def terminated(self) -> bool:
        return self.state is State.TERMINATED

    def next_deadline(self) -> float | None:
        return min(self.deadlines.values()) if self.deadlines else None

    def _start(self, timer: Timer, now: float, interval: float) -> None:
        self._interval[timer] = interval
        self.deadlines[timer] = now + interval

    def _terminate(self) -> None:
        self.state = State.TERMINATED
        self.deadlines.clear()

    def on_timer(self, now: float) -> list[TxnOutput]:
        out: list[TxnOutput] = []
        for timer in sorted(self.deadlines, key=lambda t: self.deadlines[t]):
            if timer in self.deadlines and self.deadlines[timer] <= now:
                del self.deadlines[timer]
                out.extend(self._fire(timer, now))
        return out

    def _fire(self, timer: Timer, now: float) -> list[TxnOutput]:
        raise NotImplementedError


class ServerInviteTransaction(_Transaction):
    """RFC 3261 17.2.1: PROCEEDING → COMPLETED (3xx–6xx) → CONFIRMED (ACK) → TERMINATED."""

    def __init__(self, key: TxnKey, request: Request, peer: Peer, timers: TimerValues) -> None:
        super().__init__(key, peer, timers, State.PROCEEDING)
        self.request = request
        self.last: bytes | None = None
        self.final: Response | None = None

    def respond(self, response: Response, now: float) -> list[TxnOutput]:
        if self.state is not State.PROCEEDING:
            return []
        self.last = response.to_bytes()
        if response.status >= 200:
            self.final = response
            if response.status < 300:
                self._terminate()  # 2xx retransmission belongs to the dialog (TU)
            else:
                self.state = State.COMPLETED
                if not self.reliable:
                    self._start(Timer.G, now, self.timers.t1)
                self._start(Timer.H, now, 64 * self.timers.t1)
        return [Transmit(self.last, self.peer)]

    def on_retransmission(self) -> list[TxnOutput]:
        if self.state in (State.PROCEEDING, State.COMPLETED) and self.last is not None:
            return [Transmit(self.last, self.peer)]
        return []

    def on_ack(self, now: float) -> list[TxnOutput]:
        if self.state is State.COMPLETED:
            self.state = State.CONFIRMED
            self.deadlines.clear()
            self._start(Timer.I, now, 0.0 if self.reliable else self.timers.t4)
        return []

    def _fire(self, timer: Timer, now: float) -> list[TxnOutput]:
        if timer is Timer.G and self.state is State.COMPLETED and self.last is not None:
            self._start(Timer.G, now, min(2 * self._interval[Timer.G], self.timers.t2))
            return [Transmit(self.last, self.peer)]
        if timer is Timer.H:
            self._terminate()
            return [Timeout(self.key, Timer.H)]
        if timer is Timer.I:
            self._terminate()
        return []


class ServerNonInviteTransaction(_Transaction):
    """RFC 3261 17.2.2: TRYING → PROCEEDING (1xx) → COMPLETED (final) → TERMINATED (J)."""

    def __init__(self, key: TxnKey, request: Request, peer: Peer, timers: TimerValues) -> None:
        super().__init__(key, peer, timers, State.TRYING)
        self.request = request
        self.last: bytes | None = None

    def respond(self, response: Response, now: float) -> list[TxnOutput]:
        if self.state not in (State.TRYING, State.PROCEEDING):
            return []
        self.last = response.to_bytes()
        if response.status < 200:
            self.state = State.PROCEEDING
        else:
            self.state = State.COMPLETED
            self._start(Timer.J, now, 0.0 if self.reliable else 64 * self.timers.t1)
        return [Transmit(self.last, self.peer)]

    def on_retransmission(self) -> list[TxnOutput]:
        if self.state in (State.PROCEEDING, State.COMPLETED) and self.last is not None:
            return [Transmit(self.last, self.peer)]
        return []

    def _fire(self, timer: Timer, now: float) -> list[TxnOutput]:
        if timer is Timer.J:
            self._terminate()
        return []


def make_ack(request: Request, response: Response) -> Request:
    """The ACK for a non-2xx final response (RFC 3261 17.1.1.3): same branch, To from response."""
    headers = [("Via", request.headers.values("Via")[0])]
    headers += [(n, v) for n, v in request.headers if n in ("From", "Call-ID", "Route")]
    headers.append(("To", response.header("To") or request.header("To") or ""))
    cseq = (request.header("CSeq") or "").split()[0]
    headers += [("CSeq", f"{cseq} ACK"), ("Max-Forwards", "70")]
    return Request("ACK", request.uri, Headers(headers))


class ClientInviteTransaction(_Transaction):
    """RFC 3261 17.1.1: CALLING → PROCEEDING → COMPLETED (3xx–6xx, ACK sent) → TERMINATED."""

    def __init__(self, key: TxnKey, request: Request, peer: Peer, timers: TimerValues) -> None:
        super().__init__(key, peer, timers, State.CALLING)
        self.request = request
        self.data = request.to_bytes()
        self.ack: bytes | None = None

    def start(self, now: float) -> list[TxnOutput]:
        if not self.reliable:
            self._start(Timer.A, now, self.timers.t1)
        self._start(Timer.B, now, 64 * self.timers.t1)
        return [Transmit(self.data, self.peer)]

    def on_response(self, response: Response, now: float) -> list[TxnOutput]:
        if self.state in (State.CALLING, State.PROCEEDING):
            if response.status < 200:
                self.state = State.PROCEEDING
                self.deadlines.pop(Timer.A, None)
                return [Deliver(self.key, response)]
            if response.status < 300:
                self._terminate()
                return [Deliver(self.key, response)]
            self.state = State.COMPLETED
            self.deadlines.clear()
            self.ack = make_ack(self.request, response).to_bytes()
            self._start(Timer.D, now, 0.0 if self.reliable else 32.0)
            return [Transmit(self.ack, self.peer), Deliver(self.key, response)]
        if self.state is State.COMPLETED and response.status >= 300 and self.ack is not None:
            return [Transmit(self.ack, self.peer)]
        return []

    def _fire(self, timer: Timer, now: float) -> list[TxnOutput]:
        if timer is Timer.A and self.state is State.CALLING:
            self._start(Timer.A, now, 2 * self._interval[Timer.A])
            return [Transmit(self.data, self.peer)]
        if timer is Timer.B and self.state is State.CALLING:
            self._terminate()
            return [Timeout(self.key, Timer.B)]
        if timer is Timer.D:
            self._terminate()
        return []


class ClientNonInviteTransaction(_Transaction):
    """RFC 3261 17.1.2: TRYING → PROCEEDING → COMPLETED → TERMINATED (K)."""

    def __init__(self, key: TxnKey, request: Request, peer: Peer, timers: TimerValues) -> None:
        super().__init__(key, peer, timers, State.TRYING)
        self.request = request
        self.data = request.to_bytes()

    def start(self, now: float) -> list[TxnOutput]:
        if not self.reliable:
            self._start(Timer.E, now, self.timers.t1)
        self._start(Timer.F, now, 64 * self.timers.t1)
        return [Transmit(self.data, self.peer)]

    def on_response(self, response: Response, now: float) -> list[TxnOutput]:
        if self.state not in (State.TRYING, State.PROCEEDING):
            return []
        if response.status < 200:
            self.state = State.PROCEEDING
            return [Deliver(self.key, response)]
        self.state = State.COMPLETED
        self.deadlines.clear()
        self._start(Timer.K, now, 0.0 if self.reliable else self.timers.t4)
        return [Deliver(self.key, response)]

    def _fire(self, timer: Timer, now: float) -> list[TxnOutput]:
        if timer is Timer.E and self.state in (State.TRYING, State.PROCEEDING):
            interval = (
                self.timers.t2
                if self.state is State.PROCEEDING
                else min(2 * self._interval[Timer.E], self.timers.t2)
            )
            self._start(Timer.E, now, interval)
            return [Transmit(self.data, self.peer)]
        if timer is Timer.F and self.state in (State.TRYING, State.PROCEEDING):
            self._terminate()
            return [Timeout(self.key, Timer.F)]
        if timer is Timer.K:
            self._terminate()
        return []


ServerTransaction = ServerInviteTransaction | ServerNonInviteTransaction
ClientTransaction = ClientInviteTransaction | ClientNonInviteTransaction
