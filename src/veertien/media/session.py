"""One call's RTP on asyncio: paced G.711 playback with barge-in, DTMF and speech detection.

Sends 20 ms packets on an absolute schedule (start + n × 20 ms, so delays do not add up), to
where the caller's RTP comes from once it arrives (symmetric RTP), else to the SDP address.
Received audio feeds the endpointer; RFC 4733 packets feed the key queue.

A session can be told whom to trust (`trust`): then it latches on to the first valid RTP from a
trusted host (the caller's SIP source or SDP address) and from then on takes packets from that
address alone, so a third party cannot press keys for the caller or pull the audio towards
itself; and until it has latched it sends nothing to an SDP address that is not the caller's
own SIP source, so an INVITE cannot aim our prompts at somebody else (reflection).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import deque
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from veertien.media.endpoint import Endpointer, SpeechEnded, SpeechStarted
from veertien.media.g711 import Law, decode
from veertien.media.rtp import DTMF_EVENTS, DtmfReceiver, RtpError, RtpPacket, TelephoneEvent

log = logging.getLogger("veertien.media")
FRAME = 160  # samples (and G.711 bytes) per 20 ms
MAX_UTTERANCE_S = 10.0  # an answer's time-out waits this long at most for an utterance
PTIME = 0.020


@dataclass
class PacingStats:
    """How late packets left compared to their schedule, in seconds (the latest million)."""

    lateness: deque[float] = field(default_factory=lambda: deque(maxlen=1_000_000))

    def percentile(self, q: float, last: int | None = None) -> float:
        """The `q` quantile of all kept, or of the `last` packets only (what /metrics shows)."""
        if not self.lateness:
            return 0.0
        kept = self.lateness if last is None else list(islice(reversed(self.lateness), last))
        ordered = sorted(kept)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


class RtpSession(asyncio.DatagramProtocol):
    def __init__(
        self,
        law: Law,
        dtmf_payload_type: int | None,
        remote: tuple[str, int],
        stats: PacingStats | None = None,
    ) -> None:
        self.law = law
        self.remote = remote
        self.dtmf = DtmfReceiver(dtmf_payload_type) if dtmf_payload_type is not None else None
        self.keys: asyncio.Queue[str] = asyncio.Queue()
        self.speech = asyncio.Event()
        self.utterances: asyncio.Queue[bytes] = asyncio.Queue()
        self._preroll: deque[bytes] = deque(maxlen=15)
        self._utterance: bytearray | None = None
        self.endpointer = Endpointer()
        self.transport: asyncio.DatagramTransport | None = None
        self.ssrc = int.from_bytes(os.urandom(4), "big")
        self.sequence = int.from_bytes(os.urandom(2), "big")
        self.timestamp = int.from_bytes(os.urandom(4), "big")
        self.stats = stats if stats is not None else PacingStats()
        self.received = 0
        self.heard_at: float | None = None  # monotonic time of the latest key
        self.send_errors = 0
        self.relay: RtpSession | None = None  # when bridged: the other call leg's session
        self.recording: bytearray | None = None  # set it to keep the received G.711 payloads
        self.audio_at = 0.0  # monotonic time of the latest audio packet
        self.trusted: frozenset[str] | None = None  # hosts we may latch on to; None: any
        self.latched: tuple[str, int] | None = None  # the one source we take packets from
        self.send_unlatched = True  # send to `remote` before the caller's RTP has come
        self.refused = 0  # packets from others than the latched (or a trusted) source
        self.withheld = 0  # packets not sent because nobody had proven to be the caller

    def trust(self, hosts: set[str], *, send_unlatched: bool) -> None:
        """Take RTP only from `hosts` until latched, then only from the latched address;
        `send_unlatched`: whether the SDP address may get our audio before that."""
        self.trusted = frozenset(bare_host(h) for h in hosts)
        self.send_unlatched = send_unlatched

    async def open(self, host: str) -> int:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: self, local_addr=(host, 0))
        self.transport = transport
        return int(transport.get_extra_info("sockname")[1])

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    # -- receiving --------------------------------------------------------------------------
    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        source = (str(addr[0]), int(addr[1]))
        if self.latched is not None and source != self.latched:
            self.refused += 1  # somebody else's packets: not the caller's
            return
        if (
            self.latched is None
            and self.trusted is not None
            and bare_host(source[0]) not in self.trusted
        ):
            self.refused += 1
            return
        try:
            packet = RtpPacket.parse(data)
        except RtpError:
            return
        self.received += 1
        if self.trusted is not None and self.latched is None:
            self.latched = source  # the caller has proven itself: theirs alone from now on
        self.remote = source  # symmetric RTP
        if self.relay is not None:  # bridged: pass the packet on untouched
            self.relay.forward(data)
            return
        if self.dtmf is not None and packet.payload_type == self.dtmf.payload_type:
            key = self.dtmf.feed(packet)
            if key is not None:
                self.heard_at = time.monotonic()
                self.keys.put_nowait(key)
            return
        if packet.payload_type == self.law.payload_type and packet.payload:
            self.audio_at = time.monotonic()
            if self.recording is not None:
                self.recording += packet.payload
            self._listen(decode(packet.payload, self.law))

    def _listen(self, pcm: bytes) -> None:
        """Feed the endpointer; keep each utterance (with 300 ms before its detected start)."""
        event = self.endpointer.feed(pcm)
        if self._utterance is not None:
            self._utterance += pcm
        else:
            self._preroll.append(pcm)
        if isinstance(event, SpeechStarted):
            self.speech.set()
            self._utterance = bytearray(b"".join(self._preroll))
        elif isinstance(event, SpeechEnded) and self._utterance is not None:
            self.utterances.put_nowait(bytes(self._utterance))
            self._utterance = None
            self._preroll.clear()

    def flush_utterance(self) -> None:
        """End the utterance in progress if the caller's audio stopped (silence suppression:
        a phone that sends no packets while quiet would otherwise never finish speaking)."""
        quiet_s = self.endpointer.settings.end_ms / 1000
        if self._utterance is not None and time.monotonic() - self.audio_at >= quiet_s:
            self.utterances.put_nowait(bytes(self._utterance))
            self._utterance = None
            self._preroll.clear()
            self.endpointer.reset()

    async def answer(self, timeout: float, speech: bool) -> str | bytes | None:
        """The caller's next key, or (with `speech`) a whole utterance: whichever comes first."""
        watch = asyncio.ensure_future(self._watch_silence(timeout)) if speech else None
        try:
            return await self._answer(timeout, speech)
        finally:
            if watch is not None:
                watch.cancel()

    async def _watch_silence(self, timeout: float) -> None:
        # bounded: the answer's time, an utterance that runs past it, and a margin
        for _ in range(int((timeout + MAX_UTTERANCE_S) / 0.1) + 20):
            await asyncio.sleep(0.1)
            self.flush_utterance()

    async def _answer(self, timeout: float, speech: bool) -> str | bytes | None:
        if not self.keys.empty():
            return self.keys.get_nowait()
        if speech and not self.utterances.empty():
            return self.utterances.get_nowait()
        key: asyncio.Future[str] = asyncio.ensure_future(self.keys.get())
        said: asyncio.Future[bytes] | None = (
            asyncio.ensure_future(self.utterances.get()) if speech else None
        )
        waits: list[asyncio.Future[Any]] = [key] if said is None else [key, said]
        done, pending = await asyncio.wait(
            waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if not done and said is not None and self._utterance is not None:
            # the caller is speaking as the time runs out: let them finish (bounded)
            done, pending = await asyncio.wait(
                waits, timeout=MAX_UTTERANCE_S, return_when=asyncio.FIRST_COMPLETED
            )
        for task in pending:
            task.cancel()
        if key in done:
            if said is not None and said in done:
                self.utterances.put_nowait(said.result())  # keep it for the next question
            return key.result()
        return said.result() if said is not None and said in done else None

    # -- sending ----------------------------------------------------------------------------
    async def play(self, audio: bytes, barge_in: bool = True) -> bool:
        """Send G.711 `audio` paced at 20 ms. True if a key (or speech) interrupted it."""
        loop = asyncio.get_running_loop()
        self.speech.clear()
        start = loop.time()
        for n, offset in enumerate(range(0, len(audio), FRAME)):
            if barge_in and self._interrupted():
                return True
            due = start + n * PTIME
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            self.stats.lateness.append(max(0.0, loop.time() - due))
            self._send(audio[offset : offset + FRAME].ljust(FRAME, audio[-1:]), marker=n == 0)
        return False

    def _interrupted(self) -> bool:
        """A key is waiting, or the caller is speaking (perhaps since an earlier prompt)."""
        return (
            not self.keys.empty()
            or self.speech.is_set()
            or self._utterance is not None
            or not self.utterances.empty()
        )

    def _send(self, payload: bytes, marker: bool) -> None:
        self._send_raw(self.law.payload_type, self.timestamp, payload, marker)
        self.timestamp = (self.timestamp + FRAME) & 0xFFFFFFFF

    async def send_key(self, digit: str, payload_type: int, duration_ms: int = 100) -> None:
        """Press a key the RFC 4733 way: updates every 20 ms, then the end packet three times,
        all with the timestamp of the event's start."""
        event = DTMF_EVENTS.index(digit)
        start = self.timestamp
        steps = max(1, duration_ms // 20)
        for n in range(1, steps + 1):
            payload = TelephoneEvent(event, n == steps, 10, n * FRAME).to_bytes()
            for _ in range(3 if n == steps else 1):
                self._send_raw(payload_type, start, payload, marker=n == 1)
            await asyncio.sleep(PTIME)
        self.timestamp = (start + steps * FRAME) & 0xFFFFFFFF

    def _may_send(self) -> bool:
        if self.latched is not None or self.send_unlatched:
            return True
        self.withheld += 1
        return False

    def forward(self, data: bytes) -> None:
        """Send a packet from the other leg of a bridge as it is."""
        if self.transport is not None and self._may_send():
            try:
                self.transport.sendto(data, self.remote)
            except (OSError, ValueError):
                self.send_errors += 1

    def _send_raw(self, payload_type: int, timestamp: int, payload: bytes, marker: bool) -> None:
        packet = RtpPacket(payload_type, self.sequence, timestamp, self.ssrc, payload, marker)
        self.sequence = (self.sequence + 1) & 0xFFFF
        if self.transport is None or not self._may_send():
            return
        try:
            self.transport.sendto(packet.to_bytes(), self.remote)
        except (OSError, ValueError) as exc:  # e.g. an IPv6 SDP address on our IPv4 socket
            if not self.send_errors:
                log.info(
                    "cannot send RTP to %s (%s); waiting for the caller's RTP", self.remote, exc
                )
            self.send_errors += 1

    async def key(self, timeout: float) -> str | None:
        found = await self.answer(timeout, speech=False)
        return found if isinstance(found, str) else None


def bare_host(host: str) -> str:
    """A host as addresses compare: no brackets, an IPv4-mapped IPv6 address as IPv4."""
    host = host.strip("[]").lower()
    return host.removeprefix("::ffff:") if host.startswith("::ffff:") and "." in host else host
