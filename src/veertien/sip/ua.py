"""The SIP user agent above the core: our own endpoint (Via, Contact, new requests), requests
sent and their final responses awaited, requests inside a dialog found by the dialog's id, and
the 2xx we send to an INVITE kept up until its ACK (the core's timer, RFC 3261 13.3.1.4).

`LocalEndpoint`, `new_request` and `cancel_for` are pure. `UserAgent` is the asyncio part, like
transport.py: it holds futures for answers; its clock and its `send` are injected, so it runs
over a fake transport in tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Protocol

from veertien.sip.core import AckTimeout, IncomingAck, IncomingRequest, Output, SipCore
from veertien.sip.dialog import Dialog, DialogId
from veertien.sip.message import Headers, Request, Response
from veertien.sip.transaction import Deliver, Peer, Timeout, Transmit, Transport, TxnKey
from veertien.sip.uri import NameAddr, SipSyntaxError, tag_of

Send = Callable[[list[Output]], None]


@dataclass(frozen=True, slots=True)
class LocalEndpoint:
    """Where we are: the host and port our SIP listens on, and the user part we sign with."""

    host: str  # bare: "127.0.0.1", "::1"
    port: int
    user: str = "veertien"

    @property
    def hostport(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def uri(self) -> str:
        return f"sip:{self.user}@{self.hostport}"

    @property
    def contact(self) -> str:
        """Our Contact header value."""
        return f"<{self.uri}>"

    def via(self, transport: Transport, branch: str) -> str:
        """A Via for a new request of ours (RFC 3581 rport asked for)."""
        return f"SIP/2.0/{transport.value} {self.hostport};branch={branch};rport"

    def signed(self, user: str) -> LocalEndpoint:
        """The same endpoint with another user part (the caller's number on a call we make)."""
        return replace(self, user=user)


def new_request(
    core: SipCore,
    local: LocalEndpoint,
    method: str,
    target: str,
    *,
    transport: Transport = Transport.UDP,
    to: str | None = None,
    call_id: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
) -> Request:
    """A request that starts a dialog or stands alone (RFC 3261 8.1.1): a fresh branch,
    From tag and Call-ID; To is `target` unless given; `headers` are added after ours."""
    items = [
        ("Via", local.via(transport, core.new_branch())),
        ("Max-Forwards", "70"),
        ("From", f"{local.contact};tag={core.new_id()}"),
        ("To", to or f"<{target}>"),
        ("Call-ID", call_id or f"{core.new_id()}@{local.host}"),
        ("CSeq", f"1 {method}"),
        ("Contact", local.contact),
        *headers,
    ]
    return Request(method, target, Headers(items), body)


def cancel_for(invite: Request) -> Request:
    """The CANCEL for a pending INVITE of ours (RFC 3261 9.1): the same Request-URI, Via, From,
    To and Call-ID, and the INVITE's CSeq number with method CANCEL."""
    headers = [(name, invite.header(name) or "") for name in ("Via", "From", "To", "Call-ID")]
    number = (invite.header("CSeq") or "1").split()[0]
    headers += [("CSeq", f"{number} CANCEL"), ("Max-Forwards", "70")]
    return Request("CANCEL", invite.uri, Headers(headers), b"")


def dialog_id_of(request: Request) -> DialogId | None:
    """The id of the dialog an incoming request belongs to, seen from our side: (Call-ID, our
    tag = its To tag, their tag = its From tag); None outside a dialog."""
    try:
        ours = tag_of(request.header("To") or "")
        theirs = NameAddr.parse(request.header("From") or "").tag
    except SipSyntaxError:
        return None
    if ours is None or theirs is None:
        return None
    return (request.header("Call-ID") or "", ours, theirs)


class DialogUser(Protocol):
    """What owns a dialog: it answers the requests that arrive in it."""

    def on_request(self, event: IncomingRequest) -> list[Output]: ...


class UserAgent:
    """Requests and dialogs over one `SipCore`. Outputs go to `send`; `clock` is the time base
    the core runs on (the event loop's in the service)."""

    def __init__(
        self,
        core: SipCore,
        local: LocalEndpoint,
        clock: Callable[[], float],
        send: Send = lambda outputs: None,
    ) -> None:
        self.core = core
        self.local = local
        self.clock = clock
        self.send = send
        self.dialogs: dict[DialogId, DialogUser] = {}
        self._responses: dict[TxnKey, asyncio.Future[Response]] = {}
        self._late: dict[TxnKey, Callable[[Response], None]] = {}
        self._acks: dict[DialogId, asyncio.Future[bool]] = {}
        self._answered: dict[TxnKey, DialogId] = {}

    # -- what we send -----------------------------------------------------------------------
    async def request(self, request: Request, peer: Peer, timeout: float = 40.0) -> Response:
        """Send `request` in a new client transaction and return its final response; raises
        TimeoutError when none comes (the transaction's own time-out, or `timeout`)."""
        key, out = self.core.send_request(request, peer, self.clock())
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self._responses[key] = future
        self.send(out)
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self._responses.pop(key, None)

    def in_dialog(
        self,
        dialog: Dialog,
        method: str,
        transport: Transport,
        headers: tuple[tuple[str, str], ...] = (),
        body: bytes = b"",
    ) -> tuple[Dialog, Request]:
        """The next request in `dialog` (our Via and Contact) and the dialog after it."""
        via = self.local.via(transport, self.core.new_branch())
        return dialog.request(method, via, self.local.contact, headers, body)

    def ack(self, dialog: Dialog, cseq: int, peer: Peer) -> bytes:
        """Send the ACK for a 2xx to our INVITE (not a transaction); its bytes, to send again."""
        via = self.local.via(peer.transport, self.core.new_branch())
        data = dialog.ack(via, cseq).to_bytes()
        self.send([Transmit(data, peer)])
        return data

    def after_final(self, key: TxnKey, handler: Callable[[Response], None]) -> None:
        """Where a 2xx to our INVITE `key` that comes again after its final goes (our ACK
        was lost: ACK again)."""
        self._late[key] = handler

    async def answer(
        self,
        invite: IncomingRequest,
        dialog: DialogId,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
    ) -> bool:
        """Answer `invite` with 200 OK and our Contact; the core sends it again until the ACK.
        True when the ACK came, False when the core gave up waiting (64*T1)."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._acks[dialog] = future
        self._answered[invite.key] = dialog
        extra = [("Contact", self.local.contact), *headers]
        self.send(self.core.respond(invite.key, 200, None, extra, body, now=self.clock()))
        try:
            return await future
        finally:
            self._acks.pop(dialog, None)
            self._answered.pop(invite.key, None)

    def forget(self, dialog: DialogId, *keys: TxnKey) -> None:
        """The dialog is over: its requests and late responses are no longer ours."""
        self.dialogs.pop(dialog, None)
        for key in keys:
            self._late.pop(key, None)

    # -- what arrives -------------------------------------------------------------------------
    def on_event(self, event: Output) -> list[Output] | None:
        """Take an event that belongs to this user agent: the answer to one of our requests,
        a request in one of our dialogs, the ACK (or its absence) for our 2xx. Returns what to
        send, or None when the event is not ours."""
        if isinstance(event, Deliver | Timeout):
            return [] if self._client_event(event) else None
        if isinstance(event, AckTimeout):
            return self._ack_timeout(event)
        if isinstance(event, IncomingAck):
            return self._ack(event)
        if not isinstance(event, IncomingRequest):
            return None
        dialog_id = dialog_id_of(event.request)
        owner = self.dialogs.get(dialog_id) if dialog_id is not None else None
        return owner.on_request(event) if owner is not None else None

    def _ack(self, event: IncomingAck) -> list[Output] | None:
        dialog_id = dialog_id_of(event.request)
        if dialog_id is None:
            return None
        acked = self._acks.get(dialog_id)
        if acked is not None and not acked.done():
            acked.set_result(True)
        return [] if acked is not None or dialog_id in self.dialogs else None

    def _ack_timeout(self, event: AckTimeout) -> list[Output] | None:
        dialog = self._answered.get(event.key)
        future = self._acks.get(dialog) if dialog is not None else None
        if future is None:
            return None
        if not future.done():
            future.set_result(False)
        return []

    def _client_event(self, event: Deliver | Timeout) -> bool:
        future = self._responses.get(event.key)
        if future is None:
            late = self._late.get(event.key)
            if late is not None and isinstance(event, Deliver):
                late(event.response)
            return late is not None
        if future.done():
            return True
        if isinstance(event, Timeout):
            future.set_exception(TimeoutError(f"no final response to {event.key[1]}"))
        elif event.response.status >= 200:
            future.set_result(event.response)
        return True
