"""A built-in test caller: one real SIP call into a running server, printing each step.

`veertien call 140320` sends an INVITE (with a G.711 offer) over UDP, prints the provisional and
final responses, and lets the client transaction ACK a 3xx-6xx. Media and speech come with the
IVR and speech issues.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass

from veertien.sip.core import Output, SipCore
from veertien.sip.message import Headers, Request, Response
from veertien.sip.transaction import Deliver, Peer, Timeout, Transport
from veertien.sip.transport import SipEndpoint

OFFER = (
    "v=0\r\no=veertien-caller {sid} {sid} IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n"
    "m=audio 9 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"
)


@dataclass(frozen=True, slots=True)
class CallResult:
    responses: tuple[Response, ...]
    timed_out: bool

    @property
    def final(self) -> Response | None:
        return next((r for r in self.responses if r.status >= 200), None)


def build_invite(
    core: SipCore, dialled: str, host: str, port: int, local: tuple[str, int], *, caller: str
) -> Request:
    lhost = f"[{local[0]}]" if ":" in local[0] else local[0]
    rhost = f"[{host}]" if ":" in host else host
    sid = str(int.from_bytes(os.urandom(4), "big"))
    body = OFFER.format(sid=sid, ip=local[0]).encode()
    return Request(
        "INVITE",
        f"sip:{dialled}@{rhost}:{port}",
        Headers(
            [
                ("Via", f"SIP/2.0/UDP {lhost}:{local[1]};branch={core.new_branch()};rport"),
                ("Max-Forwards", "70"),
                ("From", f"<sip:{caller}@{lhost}:{local[1]}>;tag={core.new_id()}"),
                ("To", f"<sip:{dialled}@{rhost}:{port}>"),
                ("Call-ID", f"{core.new_id()}@veertien-caller"),
                ("CSeq", "1 INVITE"),
                ("Contact", f"<sip:{caller}@{lhost}:{local[1]}>"),
                ("Content-Type", "application/sdp"),
            ]
        ),
        body,
    )


async def place_call(
    dialled: str,
    host: str,
    port: int,
    *,
    caller: str = "0612345678",
    timeout: float = 5.0,
    show: Callable[[str], None] = print,
) -> CallResult:
    responses: list[Response] = []
    done = asyncio.Event()

    def handler(event: Output, now: float) -> list[Output]:
        if isinstance(event, Deliver):
            responses.append(event.response)
            show(_describe(event.response))
            if event.response.status >= 200:
                done.set()
        elif isinstance(event, Timeout):
            done.set()
        return []

    core = SipCore()
    endpoint = SipEndpoint(core, handler)
    local = await endpoint.start("::1" if ":" in host else "127.0.0.1", 0)
    invite = build_invite(core, dialled, host, port, local, caller=caller)
    show(f"→ INVITE {invite.uri} from {caller}")
    _, out = core.send_request(invite, Peer(Transport.UDP, host, port), endpoint.loop.time())
    endpoint.dispatch(out, endpoint.loop.time())
    try:
        await asyncio.wait_for(done.wait(), timeout)
    except TimeoutError:
        show(f"no final response within {timeout:g} s")
    await asyncio.sleep(0.05)  # let the ACK for a 3xx-6xx leave
    await endpoint.close()
    final = next((r for r in responses if r.status >= 200), None)
    return CallResult(tuple(responses), final is None)


def _describe(response: Response) -> str:
    line = f"← {response.status} {response.reason}"
    if 300 <= response.status < 400:
        line += f": transferred to {response.header('Contact')}"
        if response.header("Diversion"):
            line += f" (Diversion {response.header('Diversion')})"
    return line
