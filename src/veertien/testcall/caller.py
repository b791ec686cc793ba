"""A built-in test caller: one real SIP call into a running server, printing each step.

`veertien call 140113 --key 2` sends an INVITE with a G.711 offer over UDP, prints the responses,
records what it hears in early media, presses the keys (RFC 4733) once the menu has played for a
moment, and lets the client transaction ACK a 3xx-6xx. With `say`, it speaks instead of pressing
keys and answers the platform's questions (call/speaker.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from veertien.media.g711 import Law
from veertien.sip.core import Output, SipCore
from veertien.sip.message import Request, Response
from veertien.sip.sdp import SdpError, offer, parse_sdp
from veertien.sip.transaction import Deliver, Peer, Timeout, Transport
from veertien.sip.transport import SipEndpoint
from veertien.sip.ua import LocalEndpoint, cancel_for, new_request
from veertien.speech.synthesis import Synthesiser
from veertien.testcall.speaker import Conversation, ListeningSession

DTMF_PT = 101


@dataclass(frozen=True, slots=True)
class Speaker:
    """What the caller says and how it speaks and listens."""

    text: str
    voice: Synthesiser
    transcribe: Callable[[bytes], str]  # 8 kHz PCM → text


@dataclass(frozen=True, slots=True)
class Script:
    """A caller that does not listen: plays `audio` (G.711 µ-law) `say_after_s` into the early
    media, and hangs up (CANCEL) `hang_up_after_s` into it (None: never)."""

    audio: bytes = b""
    say_after_s: float = 1.0
    hang_up_after_s: float | None = None


@dataclass(frozen=True, slots=True)
class CallResult:
    responses: tuple[Response, ...]
    timed_out: bool
    heard: bytes = b""  # G.711 µ-law received in early media
    law: Law = Law.PCMU
    seconds: float | None = None  # from sending the INVITE to its final answer

    @property
    def final(self) -> Response | None:
        return next((r for r in self.responses if r.status >= 200), None)


def build_invite(
    core: SipCore,
    dialled: str,
    server: tuple[str, int],
    local: tuple[str, int],
    *,
    caller: str,
    rtp_port: int,
) -> Request:
    """Our INVITE to `dialled` at `server`, signed as `caller`, offering G.711 µ-law and RFC
    4733 keys on `rtp_port`."""
    target = f"sip:{dialled}@{LocalEndpoint(server[0], server[1]).hostport}"
    sid = str(int.from_bytes(os.urandom(4), "big"))
    sdp = offer((local[0], rtp_port), sid, (("0", "PCMU"),), str(DTMF_PT))
    return new_request(
        core, LocalEndpoint(local[0], local[1], caller), "INVITE", target,
        call_id=f"{core.new_id()}@veertien-caller",  # how its calls are told apart in records
        headers=[("Content-Type", "application/sdp")], body=sdp.to_bytes(),
    )  # fmt: skip


class _Call:
    def __init__(
        self,
        media: ListeningSession,
        keys: str,
        key_after_s: float,
        show: Callable[[str], None],
        talk: Callable[[], Coroutine[Any, Any, None]] | None = None,
        *,
        script: Script | None = None,
    ) -> None:
        self.media = media
        self.keys = keys
        self.key_after_s = key_after_s
        self.show = show
        self.talk = talk
        self.script = script or Script()
        self.responses: list[Response] = []
        self.done = asyncio.Event()
        self.pressing: asyncio.Task[None] | None = None
        self.hanging_up: asyncio.Task[None] | None = None
        self.cancel: Callable[[], None] = lambda: None

    def handle(self, event: Output, now: float) -> list[Output]:
        if isinstance(event, Deliver):
            response = event.response
            if not (response.header("CSeq") or "").upper().endswith("INVITE"):
                self.show(f"← {response.status} {response.reason} (to our CANCEL)")
                return []
            self.responses.append(response)
            self.show(_describe(response))
            if response.status == 183 and response.body and self.pressing is None:
                self._early_media(response.body)
            if response.status >= 200:
                self.done.set()
        elif isinstance(event, Timeout):
            self.done.set()
        return []

    def _early_media(self, body: bytes) -> None:
        try:
            sdp = parse_sdp(body)
        except SdpError as exc:
            self.show(f"  (unusable SDP in 183: {exc})")
            return
        audio = sdp.audio()
        address = sdp.address_of(audio) if audio else None
        if audio is not None and address is not None:
            self.media.remote = (address, audio.port)
            work = self.talk() if self.talk is not None else self._press()
            loop = asyncio.get_running_loop()
            self.pressing = loop.create_task(work)
            if self.script.hang_up_after_s is not None:
                self.hanging_up = loop.create_task(self._hang_up(self.script.hang_up_after_s))

    async def _hang_up(self, after_s: float) -> None:
        await asyncio.sleep(after_s)
        if not self.done.is_set():
            self.show(f"→ CANCEL (hangs up {after_s:g} s into the early media)")
            self.cancel()

    async def _press(self) -> None:
        if self.script.audio:
            await asyncio.sleep(self.script.say_after_s)
            self.show(f"→ speaks {len(self.script.audio) / 8000:.1f} s of audio")
            await self.media.play(self.script.audio, barge_in=False)
        for digit in self.keys:
            await asyncio.sleep(self.key_after_s)
            self.show(f"→ key {digit}")
            await self.media.send_key(digit, DTMF_PT)


async def place_call(
    dialled: str,
    host: str,
    port: int,
    *,
    caller: str = "0612345678",
    timeout: float = 5.0,
    keys: str = "",
    key_after_s: float = 1.0,
    show: Callable[[str], None] = print,
    speaker: Speaker | None = None,
    script: Script | None = None,
) -> CallResult:
    family_host = "::1" if ":" in host else "127.0.0.1"
    media = ListeningSession(Law.PCMU, DTMF_PT, (host, 9))
    rtp_port = await media.open(family_host)
    media.recording = bytearray()
    talk = None
    if speaker is not None:
        conversation = Conversation(media, speaker.text, speaker.voice, speaker.transcribe, show)
        talk = conversation.run
    call = _Call(media, keys, key_after_s, show, talk, script=script)
    core = SipCore()
    endpoint = SipEndpoint(core, call.handle)
    local = await endpoint.start(family_host, 0)
    invite = build_invite(core, dialled, (host, port), local, caller=caller, rtp_port=rtp_port)
    show(f"→ INVITE {invite.uri} from {caller}")
    server = Peer(Transport.UDP, host, port)
    _, out = core.send_request(invite, server, endpoint.loop.time())
    dialled_at = endpoint.loop.time()
    endpoint.dispatch(out, dialled_at)

    def cancel() -> None:
        _, sent = core.send_request(cancel_for(invite), server, endpoint.loop.time())
        endpoint.dispatch(sent, endpoint.loop.time())

    call.cancel = cancel
    gave_up = False
    seconds = None
    try:
        await asyncio.wait_for(call.done.wait(), timeout)
        seconds = endpoint.loop.time() - dialled_at
    except TimeoutError:
        gave_up = True
        show(f"no final response within {timeout:g} s: → CANCEL")
        cancel()  # never leave the server playing to nobody
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(call.done.wait(), 2.0)  # its 487 (ACKed by the core)
    for task in (call.pressing, call.hanging_up):
        if task is not None:
            task.cancel()
    await asyncio.sleep(0.05)  # let the ACK for a 3xx-6xx leave
    await endpoint.close()
    media.close()
    final = next((r for r in call.responses if r.status >= 200), None)
    return CallResult(
        tuple(call.responses), final is None or gave_up, bytes(media.recording), seconds=seconds
    )


def _describe(response: Response) -> str:
    line = f"← {response.status} {response.reason}"
    if response.status == 183:
        line += " (early media: the menu)"
    if 300 <= response.status < 400:
        line += f": transferred to {response.header('Contact')}"
        if response.header("Diversion"):
            line += f" (Diversion {response.header('Diversion')})"
    return line
