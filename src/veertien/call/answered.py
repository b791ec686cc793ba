"""Our side of an answered call: the 200 OK (the core sends it again until the ACK), then the
dialog's requests both ways: REFER to hand the caller over (RFC 3515, with NOTIFY sipfrag
progress), re-INVITEs (a phone that puts us on hold before following the REFER), and BYE.
The SIP user agent (sip.ua) builds and routes the messages; this is only the call's logic.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from veertien.errors import ProtocolError
from veertien.sip.core import IncomingRequest, Output
from veertien.sip.dialog import Dialog, DialogState
from veertien.sip.message import Response
from veertien.sip.sdp import SdpError, answer, choose_audio, parse_sdp
from veertien.sip.ua import UserAgent

log = logging.getLogger("veertien.call")


@dataclass(frozen=True, slots=True)
class OurMedia:
    host: str
    port: int
    session_id: str  # the numeric o= session id of our SDP answers


class AnsweredLeg:
    def __init__(self, ua: UserAgent, invite: IncomingRequest, media: OurMedia) -> None:
        self.ua = ua
        self.invite = invite
        self.media = media  # our RTP address and SDP session, for answers to re-INVITEs
        tag = ua.core.to_tags[invite.key]
        self.dialog = Dialog.as_uas(invite.request, tag, DialogState.CONFIRMED)
        self.id = self.dialog.id
        self.ended = asyncio.Event()  # the caller sent BYE
        self.transfer_result: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._sdp_version = 1
        self.referred = False  # the caller accepted our REFER
        self.notes: list[tuple[str, str]] = []  # for the call record: re-INVITEs, NOTIFYs
        ua.dialogs[self.id] = self

    async def answer(self, sdp: bytes) -> bool:
        """Send 200 OK with our SDP; True once the caller's ACK came (RFC 3261 13.3.1.4)."""
        headers = [
            ("Content-Type", "application/sdp"),
            ("Allow", ", ".join(self.ua.core.config.allow)),
        ]
        return await self.ua.answer(self.invite, self.id, headers, sdp)

    def close(self) -> None:
        self.ua.forget(self.id)

    # -- requests from the caller -----------------------------------------------------------
    def on_request(self, event: IncomingRequest) -> list[Output]:
        request, now = event.request, self.ua.clock()
        try:
            self.dialog = self.dialog.receive(request)
        except ProtocolError as exc:  # a CSeq out of order, or unreadable
            return self.ua.core.respond(event.key, 500, f"Out of order: {exc}", now=now)
        if request.method == "BYE":
            self.ended.set()
            return self.ua.core.respond(event.key, 200, now=now)
        if request.method == "NOTIFY":
            return self._notify(event)
        if request.method == "INVITE":
            return self._reinvite(event)
        return self.ua.core.respond(event.key, 501, now=now)

    def _notify(self, event: IncomingRequest) -> list[Output]:
        body = event.request.body.decode(errors="replace")
        first = body.split("\r\n", 1)[0].split("\n", 1)[0].split()
        if len(first) >= 2 and first[1].isdigit():
            status = int(first[1])
            progress = " ".join(first[1:])
            log.info("transfer progress for %s: %s", self.dialog.call_id, progress)
            self.notes.append(("notify", progress))
            if status >= 200 and not self.transfer_result.done():
                self.transfer_result.set_result(status)
        return self.ua.core.respond(event.key, 200, now=self.ua.clock())

    def _reinvite(self, event: IncomingRequest) -> list[Output]:
        """A re-INVITE (hold): answer with our stream, mirroring the caller's direction."""
        now = self.ua.clock()
        try:
            offer = parse_sdp(event.request.body)
            choice = choose_audio(offer)
        except SdpError as exc:
            return self.ua.core.respond(event.key, 488, f"Not Acceptable: {exc}", now=now)
        self._sdp_version += 1
        audio = offer.audio()
        self.notes.append(("reinvite", audio.direction if audio else "sendrecv"))
        sdp = answer(
            offer,
            choice,
            (self.media.host, self.media.port),
            self.media.session_id,
            version=self._sdp_version,
        )
        headers = [("Contact", self.ua.local.contact), ("Content-Type", "application/sdp")]
        return self.ua.core.respond(event.key, 200, None, headers, sdp.to_bytes(), now=now)

    # -- our requests -------------------------------------------------------------------------
    async def request(
        self, method: str, headers: tuple[tuple[str, str], ...] = (), timeout: float = 40.0
    ) -> Response:
        peer = self.invite.peer
        self.dialog, request = self.ua.in_dialog(self.dialog, method, peer.transport, headers)
        return await self.ua.request(request, peer, timeout)

    async def refer(self, target: str, wait_s: float = 32.0) -> int:
        """Ask the caller to call `target`. The final status of that call as the caller's NOTIFY
        reports it (200 when it connected), the REFER's own failure status, or 408."""
        referred_by = self.dialog.local_uri.split(";tag=")[0]
        self.notes.append(("refer", target))
        response = await self.request(
            "REFER", (("Refer-To", f"<{target}>"), ("Referred-By", referred_by))
        )
        if response.status >= 300:
            return response.status
        self.referred = True
        try:
            return await asyncio.wait_for(asyncio.shield(self.transfer_result), wait_s)
        except TimeoutError:
            return 408

    async def bye(self) -> None:
        if self.ended.is_set():
            return
        try:
            await self.request("BYE", timeout=10.0)
        except TimeoutError:
            log.info("no answer to our BYE for %s", self.dialog.call_id)
        self.ended.set()
