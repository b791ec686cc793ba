"""The last-resort hand-over: we call the municipality ourselves and relay the media (B2BUA),
for callers that can do neither early media nor REFER."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable

from veertien.call.answered import OurMedia
from veertien.sip.core import IncomingRequest, Output, SipCore
from veertien.sip.dialog import Dialog, DialogError
from veertien.sip.message import Headers, Request, Response
from veertien.sip.sdp import SdpError, parse_sdp
from veertien.sip.transaction import Peer, Transmit, Transport, TxnKey
from veertien.sip.uri import SipSyntaxError, SipUri

log = logging.getLogger("veertien.call")
Send = Callable[[list[Output]], None]
BAD_TARGET = 502


class OutboundLeg:
    """Our INVITE to the municipality and the dialog it makes."""

    def __init__(
        self,
        core: SipCore,
        send: Send,
        contact: str,
        media: OurMedia,
        codec: tuple[int, str, int | None],
    ) -> None:
        self.core = core
        self.send = send
        self.contact = contact
        self.media = media
        self.codec = codec  # payload type, encoding, telephone-event type
        self.dialog: Dialog | None = None
        self.keys: set[TxnKey] = set()  # our transactions: the INVITE, the BYE
        self.peer: Peer | None = None
        self.remote_media: tuple[str, int] | None = None
        self.ended = asyncio.Event()
        self._final: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self._ack: bytes | None = None
        self._bye: asyncio.Future[Response] | None = None

    def _offer(self) -> bytes:
        pt, encoding, dtmf = self.codec
        formats = f"{pt} {dtmf}" if dtmf is not None else str(pt)
        lines = [
            "v=0",
            f"o=veertien {self.media.session_id} 1 IN IP4 {self.media.host}",
            "s=veertien",
            f"c=IN IP4 {self.media.host}",
            "t=0 0",
            f"m=audio {self.media.port} RTP/AVP {formats}",
            f"a=rtpmap:{pt} {encoding}/8000",
        ]
        if dtmf is not None:
            lines += [f"a=rtpmap:{dtmf} telephone-event/8000", f"a=fmtp:{dtmf} 0-15"]
        return ("\r\n".join([*lines, "a=sendrecv"]) + "\r\n").encode()

    def _invite(self, target: SipUri, caller: str) -> Request:
        host = self.contact.split("@", 1)[1]
        return Request(
            "INVITE",
            str(target),
            Headers(
                [
                    ("Via", f"SIP/2.0/UDP {host};branch={self.core.new_branch()};rport"),
                    ("Max-Forwards", "70"),
                    ("From", f"<sip:{caller}@{host}>;tag={self.core.new_id()}"),
                    ("To", f"<{target}>"),
                    ("Call-ID", f"{self.core.new_id()}@veertien"),
                    ("CSeq", "1 INVITE"),
                    ("Contact", f"<{self.contact}>"),
                    ("Content-Type", "application/sdp"),
                ]
            ),
            self._offer(),
        )

    async def call(self, target: str, caller: str, timeout: float = 40.0) -> int:
        """INVITE `target`; on a 2xx, ACK it and learn where its media goes. The final status."""
        try:
            uri = SipUri.parse(target)
        except SipSyntaxError:
            return BAD_TARGET
        if uri.scheme == "tel":
            return BAD_TARGET  # a tel: destination needs a gateway we do not have
        self.peer = Peer(Transport.UDP, uri.host.strip("[]"), uri.port or 5060)
        invite = self._invite(uri, caller)
        loop = asyncio.get_running_loop()
        key, out = self.core.send_request(invite, self.peer, loop.time())
        self.keys.add(key)
        self.send(out)
        try:
            response = await asyncio.wait_for(asyncio.shield(self._final), timeout)
        except TimeoutError:
            return 408
        if response.status >= 300:
            return response.status
        return self._confirm(invite, response)

    def _confirm(self, invite: Request, response: Response) -> int:
        try:
            self.dialog = Dialog.as_uac(invite, response)
            answer = parse_sdp(response.body)
            audio = answer.audio()
            address = answer.address_of(audio) if audio else None
        except (DialogError, SdpError) as exc:
            log.info("bridge: unusable 2xx from the municipality: %s", exc)
            return BAD_TARGET
        host = self.contact.split("@", 1)[1]
        ack = self.dialog.ack(f"SIP/2.0/UDP {host};branch={self.core.new_branch()}", 1)
        self._ack = ack.to_bytes()
        self._transmit(self._ack)
        if audio is None or address is None:
            return BAD_TARGET
        self.remote_media = (address, audio.port)
        return response.status

    def _transmit(self, data: bytes) -> None:
        if self.peer is not None:
            self.send([Transmit(data, self.peer)])

    def on_response(self, key: TxnKey, response: Response) -> None:
        if self._bye is not None and key[1] == "BYE":
            if not self._bye.done() and response.status >= 200:
                self._bye.set_result(response)
            return
        if response.status < 200:
            return
        if not self._final.done():
            self._final.set_result(response)
        elif response.status < 300 and self._ack is not None:
            self._transmit(self._ack)  # the 2xx came again: our ACK was lost

    def matches(self, request: Request) -> bool:
        return self.dialog is not None and self.dialog.matches(request)

    def on_request(self, event: IncomingRequest) -> list[Output]:
        now = asyncio.get_running_loop().time()
        if event.request.method == "BYE":
            self.ended.set()
            return self.core.respond(event.key, 200, now=now)
        return self.core.respond(event.key, 501, now=now)

    async def bye(self) -> None:
        if self.dialog is None or self.ended.is_set() or self.peer is None:
            return
        host = self.contact.split("@", 1)[1]
        via = f"SIP/2.0/UDP {host};branch={self.core.new_branch()};rport"
        self.dialog, request = self.dialog.request("BYE", via, f"<{self.contact}>")
        loop = asyncio.get_running_loop()
        self._bye = loop.create_future()
        key, out = self.core.send_request(request, self.peer, loop.time())
        self.keys.add(key)
        self.send(out)
        try:
            await asyncio.wait_for(self._bye, 10.0)
        except TimeoutError:
            log.info("no answer to our BYE to the municipality")
        self.ended.set()


def new_session_id() -> str:
    return str(int.from_bytes(os.urandom(4), "big"))
