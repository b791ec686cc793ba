"""SIP dialogs (RFC 3261 section 12), sans I/O: state, identifiers and in-dialog requests.

A dialog is immutable; every change (a request sent, a request received, the state moving on)
returns a new one. The call layer keeps the current value.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

from veertien.errors import ProtocolError
from veertien.sip.message import Headers, Request, Response
from veertien.sip.uri import CSeq, NameAddr, SipSyntaxError


class DialogState(Enum):
    EARLY = "early"  # after a provisional response with a To tag
    CONFIRMED = "confirmed"  # after a 2xx
    TERMINATED = "terminated"  # after BYE


class DialogError(ProtocolError):
    status = 481
    """A request cannot start or continue a dialog; the text says why."""


DialogId = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class Dialog:
    call_id: str
    local_tag: str
    remote_tag: str
    local_uri: str  # our name-addr (To of the INVITE we received, with our tag)
    remote_uri: str  # their name-addr (From of the INVITE)
    remote_target: str  # their Contact URI: where in-dialog requests go
    route_set: tuple[str, ...] = ()
    local_seq: int = 0
    remote_seq: int = 0
    state: DialogState = DialogState.EARLY

    @property
    def id(self) -> DialogId:
        return (self.call_id, self.local_tag, self.remote_tag)

    @classmethod
    def as_uas(
        cls, invite: Request, local_tag: str, state: DialogState = DialogState.EARLY
    ) -> Dialog:
        """The dialog an incoming INVITE creates when we answer it (RFC 3261 12.1.1)."""
        try:
            remote = NameAddr.parse(invite.header("From") or "")
            local = NameAddr.parse(invite.header("To") or "")
            contacts = invite.headers.values("Contact")
            target = NameAddr.parse(contacts[0]).uri if contacts else ""
            cseq = CSeq.parse(invite.header("CSeq") or "")
        except SipSyntaxError as exc:
            raise DialogError(str(exc)) from None
        if not target:
            raise DialogError("INVITE without a Contact")
        if remote.tag is None:
            raise DialogError("From without a tag")
        return cls(
            call_id=invite.header("Call-ID") or "",
            local_tag=local_tag,
            remote_tag=remote.tag,
            local_uri=str(local.with_tag(local_tag)),
            remote_uri=str(remote),
            remote_target=target,
            route_set=tuple(invite.headers.values("Record-Route")),
            remote_seq=cseq.number,
            state=state,
        )

    @classmethod
    def as_uac(cls, invite: Request, response: Response) -> Dialog:
        """The dialog our INVITE created with a 2xx (RFC 3261 12.1.2): the route set is the
        response's Record-Route in reverse."""
        try:
            local = NameAddr.parse(invite.header("From") or "")
            remote = NameAddr.parse(response.header("To") or "")
            contacts = response.headers.values("Contact")
            target = NameAddr.parse(contacts[0]).uri if contacts else invite.uri
            cseq = CSeq.parse(invite.header("CSeq") or "")
        except SipSyntaxError as exc:
            raise DialogError(str(exc)) from None
        if local.tag is None or remote.tag is None:
            raise DialogError("a dialog needs both tags")
        return cls(
            call_id=invite.header("Call-ID") or "",
            local_tag=local.tag,
            remote_tag=remote.tag,
            local_uri=str(local),
            remote_uri=str(remote),
            remote_target=target,
            route_set=tuple(reversed(response.headers.values("Record-Route"))),
            local_seq=cseq.number,
            state=DialogState.CONFIRMED,
        )

    def _headers(self, via: str, cseq: str) -> list[tuple[str, str]]:
        """The headers every request in this dialog carries (RFC 3261 12.2.1.1)."""
        items: list[tuple[str, str]] = [("Via", via), ("Max-Forwards", "70")]
        items += [("Route", route) for route in self.route_set]
        items += [
            ("From", self.local_uri),
            ("To", self.remote_uri),
            ("Call-ID", self.call_id),
            ("CSeq", cseq),
        ]
        return items

    def ack(self, via: str, cseq: int, body: bytes = b"") -> Request:
        """The ACK for a 2xx to our INVITE with sequence `cseq` (RFC 3261 13.2.2.4)."""
        return Request("ACK", self.remote_target, Headers(self._headers(via, f"{cseq} ACK")), body)

    def confirmed(self) -> Dialog:
        return replace(self, state=DialogState.CONFIRMED)

    def terminated(self) -> Dialog:
        return replace(self, state=DialogState.TERMINATED)

    def matches(self, request: Request) -> bool:
        """Whether an incoming request belongs to this dialog (Call-ID and both tags)."""
        try:
            from_tag = NameAddr.parse(request.header("From") or "").tag
            to_tag = NameAddr.parse(request.header("To") or "").tag
        except SipSyntaxError:
            return False
        return (request.header("Call-ID"), to_tag, from_tag) == self.id

    def receive(self, request: Request) -> Dialog:
        """Account for an in-dialog request; `DialogError` if its CSeq is out of order (the
        caller answers 500, RFC 3261 12.2.2)."""
        cseq = CSeq.parse(request.header("CSeq") or "")
        if request.method not in ("ACK", "CANCEL") and cseq.number <= self.remote_seq:
            raise DialogError(f"CSeq {cseq.number} is not above {self.remote_seq}")
        return replace(self, remote_seq=max(cseq.number, self.remote_seq))

    def request(
        self,
        method: str,
        via: str,
        contact: str | None = None,
        headers: tuple[tuple[str, str], ...] = (),
        body: bytes = b"",
    ) -> tuple[Dialog, Request]:
        """A new in-dialog request (RFC 3261 12.2.1.1; loose routing) and the updated dialog.
        `via` is our complete Via value with a fresh branch."""
        seq = self.local_seq + 1
        items = self._headers(via, f"{seq} {method}")
        if contact:
            items.append(("Contact", contact))
        items += headers
        request = Request(method, self.remote_target, Headers(items), body)
        return replace(self, local_seq=seq), request
