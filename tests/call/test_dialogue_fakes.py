"""The dialogue manager over fakes: the real SIP core and routing, a scripted RTP session and a
silent voice; no sockets, no espeak-ng. A key in the 14 0113 menu ends in the 302 to that
municipality, with the record and the funnel as for a real call."""

from __future__ import annotations

import asyncio

from tests.call.fakes import ScriptedSession, SilentVoice
from tests.conftest import TUESDAY_MORNING
from tests.sip.helpers import invite
from veertien.call.dialogue import DialogueManager
from veertien.call.port import PromptCache
from veertien.directory import demo_directory
from veertien.records import MemorySink
from veertien.routing import CallFacts, RoutingContext, decide
from veertien.sip.core import IncomingRequest, Output, SipCore
from veertien.sip.message import Response
from veertien.sip.parser import parse_message
from veertien.sip.transaction import Peer, Transmit, Transport

OFFER = (
    "v=0\r\no=t 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 9 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"
)
PEER = Peer(Transport.UDP, "127.0.0.1", 5061)


async def test_a_key_in_the_menu_ends_in_a_302_without_a_socket() -> None:
    ScriptedSession.script = [None, "2"]  # nothing during the greeting, then Goes
    ScriptedSession.made = []
    core, sink, voice = SipCore(), MemorySink(), SilentVoice()
    sent: list[Response] = []

    def send(outputs: list[Output]) -> None:
        for out in outputs:
            if isinstance(out, Transmit):
                message = parse_message(out.data)
                assert isinstance(message, Response)
                sent.append(message)

    manager = DialogueManager(
        core, sink, PromptCache(voice), asyncio.get_running_loop().time,
        sessions=ScriptedSession,
    )  # fmt: skip
    manager.attach(send, ("127.0.0.1", 5060))
    data = invite("140113", extra="Content-Type: application/sdp\r\n", body=OFFER)
    event = core.receive(data, PEER, 0.0)[-1]
    assert isinstance(event, IncomingRequest)
    ctx = RoutingContext(demo_directory())
    facts = CallFacts("140113", TUESDAY_MORNING, "0612345678")
    assert manager.start(event, decide(facts, ctx), facts, ctx, 0.0) == []
    await asyncio.wait_for(asyncio.gather(*manager.tasks.values()), 5)

    assert [r.status for r in sent] == [183, 302]
    assert sent[1].header("Contact") == "<sip:+31113000001@127.0.0.1:5080>"
    assert voice.texts[0] == "Welkom bij het telefoonnummer van uw gemeente."
    assert voice.texts[1].startswith("Voor Borsele, toets 1. Voor Goes, toets 2.")
    (record,) = sink.records
    assert (record.response, record.outcome, record.municipality) == (302, "transferred", "GM0664")
    assert record.stages == ("prompted", "understood", "transferred")
    assert ("key", "2") in record.dialogue and record.route == "keys"
    (session,) = ScriptedSession.made
    assert not session.opened and len(session.played) == 2
