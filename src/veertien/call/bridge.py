"""The last-resort hand-over: we call the municipality ourselves and relay the media (B2BUA),
for callers that can do neither early media nor REFER. The SIP user agent (sip.ua) builds and
routes the messages; this is only the call's logic."""

from __future__ import annotations

import asyncio
import logging
import os

from veertien.call.answered import OurMedia
from veertien.sip.core import IncomingRequest, Output, client_key
from veertien.sip.dialog import Dialog, DialogError
from veertien.sip.message import Request, Response
from veertien.sip.sdp import SdpError, offer, parse_sdp
from veertien.sip.transaction import Peer, Transmit, Transport, TxnKey
from veertien.sip.ua import UserAgent, new_request
from veertien.sip.uri import SipSyntaxError, SipUri

log = logging.getLogger("veertien.call")
BAD_TARGET = 502


class OutboundLeg:
    """Our INVITE to the municipality and the dialog it makes."""

    def __init__(self, ua: UserAgent, media: OurMedia, codec: tuple[str, str, str | None]) -> None:
        self.ua = ua
        self.media = media
        self.codec = codec  # payload type, encoding, telephone-event type
        self.dialog: Dialog | None = None
        self.peer: Peer | None = None
        self.remote_media: tuple[str, int] | None = None
        self.ended = asyncio.Event()
        self._invite_key: TxnKey | None = None

    def _invite(self, target: SipUri, caller: str) -> Request:
        pt, encoding, dtmf = self.codec
        sdp = offer(
            (self.media.host, self.media.port), self.media.session_id, ((pt, encoding),), dtmf
        )
        return new_request(
            self.ua.core, self.ua.local.signed(caller), "INVITE", str(target),
            headers=[("Content-Type", "application/sdp")], body=sdp.to_bytes(),
        )  # fmt: skip

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
        try:
            response = await self.ua.request(invite, self.peer, timeout)
        except TimeoutError:
            return 408
        if response.status >= 300:
            return response.status
        return self._confirm(invite, response, self.peer)

    def _confirm(self, invite: Request, response: Response, peer: Peer) -> int:
        try:
            self.dialog = Dialog.as_uac(invite, response)
            answer = parse_sdp(response.body)
            audio = answer.audio()
            address = answer.address_of(audio) if audio else None
        except (DialogError, SdpError) as exc:
            log.info("bridge: unusable 2xx from the municipality: %s", exc)
            return BAD_TARGET
        ack = self.ua.ack(self.dialog, 1, peer)
        self._invite_key = client_key(invite)
        self.ua.after_final(self._invite_key, lambda _: self.ua.send([Transmit(ack, peer)]))
        self.ua.dialogs[self.dialog.id] = self
        if audio is None or address is None:
            return BAD_TARGET
        self.remote_media = (address, audio.port)
        return response.status

    def on_request(self, event: IncomingRequest) -> list[Output]:
        now = self.ua.clock()
        if event.request.method == "BYE":
            self.ended.set()
            return self.ua.core.respond(event.key, 200, now=now)
        return self.ua.core.respond(event.key, 501, now=now)

    async def bye(self) -> None:
        if self.dialog is None or self.ended.is_set() or self.peer is None:
            return
        self.dialog, request = self.ua.in_dialog(self.dialog, "BYE", self.peer.transport)
        try:
            await self.ua.request(request, self.peer, 10.0)
        except TimeoutError:
            log.info("no answer to our BYE to the municipality")
        self.ended.set()

    def close(self) -> None:
        if self.dialog is not None:
            keys = (self._invite_key,) if self._invite_key is not None else ()
            self.ua.forget(self.dialog.id, *keys)


def new_session_id() -> str:
    return str(int.from_bytes(os.urandom(4), "big"))
