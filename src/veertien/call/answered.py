"""Our side of an answered call: the 200 OK (sent again until the ACK), then the dialog's
requests both ways: REFER to hand the caller over (RFC 3515, with NOTIFY sipfrag progress),
re-INVITEs (a phone that puts us on hold before following the REFER), and BYE.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from veertien.sip.core import IncomingRequest, Output, SipCore
from veertien.sip.dialog import Dialog, DialogError, DialogState
from veertien.sip.message import Response
from veertien.sip.sdp import SdpError, answer, choose_audio, parse_sdp
from veertien.sip.transaction import Transmit, TxnKey

log = logging.getLogger("veertien.call")
Send = Callable[[list[Output]], None]
SIPFRAG = "message/sipfrag"


@dataclass(frozen=True, slots=True)
class OurMedia:
    host: str
    port: int
    session_id: str  # the numeric o= session id of our SDP answers


class AnsweredLeg:
    def __init__(
        self,
        core: SipCore,
        send: Send,
        invite: IncomingRequest,
        contact: str,
        media: OurMedia,
    ) -> None:
        self.core = core
        self.send = send
        self.invite = invite
        self.contact = contact  # our Contact URI, "sip:veertien@127.0.0.1:5060"
        self.media = media  # our RTP address and SDP session, for answers to re-INVITEs
        self.dialog = Dialog.as_uas(invite.request, core.to_tags[invite.key], DialogState.CONFIRMED)
        self.acked = asyncio.Event()
        self.ended = asyncio.Event()  # the caller sent BYE
        self.transfer_result: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._responses: dict[TxnKey, asyncio.Future[Response]] = {}
        self._sdp_version = 1
        self.referred = False  # the caller accepted our REFER
        self.notes: list[tuple[str, str]] = []  # for the call record: re-INVITEs, NOTIFYs

    @property
    def now(self) -> float:
        return asyncio.get_running_loop().time()

    async def answer(self, sdp: bytes, t1: float = 0.5, t2: float = 4.0) -> bool:
        """Send 200 OK with our SDP and repeat it until the ACK (RFC 3261 13.3.1.4)."""
        headers = [
            ("Contact", f"<{self.contact}>"),
            ("Content-Type", "application/sdp"),
            ("Allow", ", ".join(self.core.config.allow)),
        ]
        out = self.core.respond(self.invite.key, 200, None, headers, sdp, now=self.now)
        ok = [o for o in out if isinstance(o, Transmit)]
        self.send(out)
        interval, waited = t1, 0.0
        while waited < 64 * t1:
            try:
                await asyncio.wait_for(self.acked.wait(), interval)
                return True
            except TimeoutError:
                waited += interval
                interval = min(2 * interval, t2)
                self.send(list(ok))
        return False

    # -- requests from the caller -----------------------------------------------------------
    def on_ack(self) -> None:
        self.acked.set()

    def on_request(self, event: IncomingRequest) -> list[Output]:
        request = event.request
        try:
            self.dialog = self.dialog.receive(request)
        except (DialogError, ValueError) as exc:
            return self.core.respond(event.key, 500, f"Out of order: {exc}", now=self.now)
        if request.method == "BYE":
            self.ended.set()
            return self.core.respond(event.key, 200, now=self.now)
        if request.method == "NOTIFY":
            return self._notify(event)
        if request.method == "INVITE":
            return self._reinvite(event)
        return self.core.respond(event.key, 501, now=self.now)

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
        return self.core.respond(event.key, 200, now=self.now)

    def _reinvite(self, event: IncomingRequest) -> list[Output]:
        """A re-INVITE (hold): answer with our stream, mirroring the caller's direction."""
        try:
            offer = parse_sdp(event.request.body)
            choice = choose_audio(offer)
        except SdpError as exc:
            return self.core.respond(event.key, 488, f"Not Acceptable: {exc}", now=self.now)
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
        headers = [("Contact", f"<{self.contact}>"), ("Content-Type", "application/sdp")]
        return self.core.respond(event.key, 200, None, headers, sdp.to_bytes(), now=self.now)

    # -- our requests -------------------------------------------------------------------------
    def owns(self, key: TxnKey) -> bool:
        """Whether `key` is one of our requests in flight."""
        return key in self._responses

    def on_response(self, key: TxnKey, response: Response) -> None:
        future = self._responses.get(key)
        if future is not None and not future.done() and response.status >= 200:
            future.set_result(response)

    def on_timeout(self, key: TxnKey) -> None:
        future = self._responses.get(key)
        if future is not None and not future.done():
            future.set_exception(TimeoutError("no response"))

    async def request(
        self, method: str, headers: tuple[tuple[str, str], ...] = (), timeout: float = 40.0
    ) -> Response:
        peer = self.invite.peer
        host = self.contact.split("@", 1)[1]
        via = f"SIP/2.0/{peer.transport.value} {host};branch={self.core.new_branch()};rport"
        self.dialog, request = self.dialog.request(method, via, f"<{self.contact}>", headers)
        key, out = self.core.send_request(request, peer, self.now)
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self._responses[key] = future
        self.send(out)
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self._responses.pop(key, None)

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
