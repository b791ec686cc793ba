"""The dialogue manager over fakes: the real SIP core and routing, a scripted RTP session and a
silent voice; no sockets, no espeak-ng. A key in the 14 0113 menu ends in the 302 to that
municipality, with the record and the funnel as for a real call."""

from __future__ import annotations

import asyncio

from tests.call.fakes import ScriptedSession, SilentVoice
from tests.conftest import TUESDAY_MORNING
from tests.sip.helpers import invite, request, sent
from veertien.call.dialogue import DialogueManager
from veertien.call.prompts import PromptCache
from veertien.directory import demo_directory
from veertien.records import MemorySink
from veertien.routing import CallFacts, RoutingContext, Settings, decide
from veertien.sip.core import IncomingAck, IncomingRequest, Output, SipCore, make_response
from veertien.sip.message import Request, Response
from veertien.sip.parser import parse_message
from veertien.sip.transaction import Deliver, Peer, Timeout, Transmit, Transport

OFFER = (
    "v=0\r\no=t 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 9 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"
)
PEER = Peer(Transport.UDP, "127.0.0.1", 5061)


def _manager(core: SipCore, sink: MemorySink, voice: SilentVoice | None = None) -> DialogueManager:
    """A dialogue manager over the real core with scripted RTP sessions and a silent voice."""
    prompts = PromptCache(voice or SilentVoice())
    loop_time = asyncio.get_running_loop().time
    return DialogueManager(core, sink, prompts, loop_time, sessions=ScriptedSession)


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

    manager = _manager(core, sink, voice)
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


class Caller:
    """The far end of an answered call, over the real core: ACKs our 200, accepts our REFER
    (202), reports the transfer in a NOTIFY and answers our BYE."""

    def __init__(self, core: SipCore, manager: DialogueManager) -> None:
        self.core = core
        self.manager = manager
        self.seen: list[str] = []
        self.cseq = 1

    def send(self, outputs: list[Output]) -> None:
        for out in outputs:
            if not isinstance(out, Transmit):
                continue
            message = parse_message(out.data)
            if isinstance(message, Response):
                self.seen.append(str(message.status))
                if message.status == 200 and (message.header("CSeq") or "").endswith("INVITE"):
                    self._ack(message)
            else:
                self.seen.append(message.method)
                self._answer(message)

    def _deliver(self, data: bytes) -> None:
        for event in self.core.receive(data, PEER, asyncio.get_running_loop().time()):
            if isinstance(event, Transmit):
                self.send([event])
            elif isinstance(event, IncomingRequest | IncomingAck):
                self.send(self.manager.in_dialog(event) or [])
            elif isinstance(event, Deliver | Timeout):
                assert self.manager.client_event(event)

    def _ack(self, ok: Response) -> None:
        to = ok.header("To") or ""
        ack = request("ACK", branch="z9hG4bK-ack", to_tag=to.split("tag=")[1])
        self._deliver(ack)

    def _answer(self, ours: Request) -> None:
        status = 202 if ours.method == "REFER" else 200
        self._deliver(make_response(ours, status).to_bytes())
        if ours.method == "REFER":
            self.cseq += 1
            notify = request(
                "NOTIFY",
                branch="z9hG4bK-notify",
                to_tag=_tag(ours.header("From")),
                cseq=self.cseq,
                extra="Event: refer\r\nContent-Type: message/sipfrag\r\n",
            ).replace(b"Content-Length: 0\r\n\r\n", b"Content-Length: 16\r\n\r\nSIP/2.0 200 OK\r\n")
            self._deliver(notify)


def _tag(value: str | None) -> str:
    return (value or "").split("tag=")[1].split(";")[0]


async def test_an_answered_call_is_referred_without_a_socket() -> None:
    """handover: refer — 200 (kept up until the ACK), the menu, a key, REFER accepted, the
    caller's NOTIFY says 200, BYE: all through the user agent over the real core."""
    ScriptedSession.script = [None, "2"]
    ScriptedSession.made = []
    core, sink = SipCore(), MemorySink()
    manager = _manager(core, sink)
    caller = Caller(core, manager)
    manager.attach(caller.send, ("127.0.0.1", 5060))
    data = invite("140113", extra="Content-Type: application/sdp\r\n", body=OFFER)
    event = core.receive(data, PEER, asyncio.get_running_loop().time())[-1]
    assert isinstance(event, IncomingRequest)
    ctx = RoutingContext(demo_directory(), Settings.from_json({"handover": "refer"}))
    facts = CallFacts("140113", TUESDAY_MORNING, "0612345678")
    assert manager.start(event, decide(facts, ctx), facts, ctx, 0.0) == []
    await asyncio.wait_for(asyncio.gather(*manager.tasks.values()), 5)

    assert caller.seen == ["200", "REFER", "200", "BYE"]  # 200 to our INVITE; 200 to NOTIFY
    (record,) = sink.records
    assert (record.handover, record.outcome, record.response) == ("refer", "transferred", 200)
    assert ("refer", "sip:+31113000001@127.0.0.1:5080") in record.dialogue
    assert ("notify", "200 OK") in record.dialogue
    assert record.stages[-3:] == ("transferred", "answer_known", "answered")
    assert not core.accepted and not manager.ua.dialogs  # the 2xx was ACKed, the dialog is gone


async def test_beyond_max_dialogues_a_call_gets_503_busy() -> None:
    ScriptedSession.script = [None, None, None, None]
    ScriptedSession.made = []
    core, sink = SipCore(), MemorySink()
    manager = _manager(core, sink)
    manager.attach(lambda outputs: None, ("127.0.0.1", 5060))
    ctx = RoutingContext(
        demo_directory(), Settings.from_json({"max_dialogues": 1, "key_timeout_s": 0.2})
    )
    facts = CallFacts("140113", TUESDAY_MORNING, "0612345678")
    outs = []
    for n in (1, 2):
        data = invite("140113", branch=f"z9hG4bK-{n}", call_id=f"{n}@t",
                      extra="Content-Type: application/sdp\r\n", body=OFFER)  # fmt: skip
        event = core.receive(data, PEER, asyncio.get_running_loop().time())[-1]
        assert isinstance(event, IncomingRequest)
        outs.append(manager.start(event, decide(facts, ctx), facts, ctx, 0.0))
    assert outs[0] == []  # the first takes the one dialogue there is
    (busy,) = sent(outs[1] or [])
    assert (busy.status, busy.header("Retry-After")) == (503, "5")
    for task in list(manager.tasks.values()):
        task.cancel()
    await asyncio.gather(*manager.tasks.values(), return_exceptions=True)
