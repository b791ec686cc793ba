"""Fuzz: ≥ 100,000 mutated and random messages through the parser and the whole UAS per run.

The seed differs per run (set VEERTIEN_FUZZ_SEED to replay one; VEERTIEN_FUZZ_COUNT to change the
count). No exception may escape, and afterwards the server still answers OPTIONS.
"""

from __future__ import annotations

import contextlib
import os
import random
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.sip.fuzz import messages
from tests.sip.helpers import request
from veertien.call.redirect import RedirectHandler
from veertien.directory import demo_directory
from veertien.records import MemorySink
from veertien.routing import RoutingContext
from veertien.sip.core import Output, SipCore
from veertien.sip.parser import ParseError, StreamFramer, parse_message
from veertien.sip.transaction import Peer, Transmit, Transport

COUNT = int(os.environ.get("VEERTIEN_FUZZ_COUNT", "100000"))


def test_fuzzed_messages_never_crash_the_uas() -> None:
    seed = int(os.environ.get("VEERTIEN_FUZZ_SEED") or random.SystemRandom().randrange(2**32))
    core, sink = SipCore(), MemorySink()
    ctx = RoutingContext(demo_directory())
    handler = RedirectHandler(core, lambda: ctx, sink, lambda: 0.0, lambda: datetime.now(UTC))
    peers = [Peer(Transport.UDP, "127.0.0.1", 5061), Peer(Transport.TCP, "::1", 5062, 1)]
    now, handled, answered = 0.0, 0, 0
    for i, data in enumerate(messages(seed, COUNT)):
        now += 0.001
        try:
            pending: list[Output] = list(core.receive(data, peers[i % 2], now))
            if i % 100 == 0:
                pending += core.on_timers(now)
            while pending:
                item = pending.pop()
                if isinstance(item, Transmit):
                    answered += 1
                    parse_message(item.data)  # whatever we send must parse
                else:
                    pending.extend(handler.handle(item, now))
                    handled += 1
        except Exception as exc:  # pragma: no cover - the failure report
            raise AssertionError(f"seed {seed}, message {i}: {data!r}") from exc
    assert answered > COUNT // 10 and handled > 0, (seed, answered, handled)
    out = core.receive(request("OPTIONS", branch="z9hG4bK-after-fuzz"), peers[0], now + 1)
    (reply,) = [o for o in out if isinstance(o, Transmit)]
    assert reply.data.startswith(b"SIP/2.0 200 OK\r\n"), seed
    core.on_timers(now + 100)
    assert not core.servers, "transactions must all end once their timers have run"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=400), max_size=6))
def test_stream_framer_never_raises_anything_but_parse_error(chunks: list[bytes]) -> None:
    framer = StreamFramer()
    for chunk in chunks:
        try:
            for message in framer.feed(chunk):
                with contextlib.suppress(ParseError):
                    parse_message(message)
        except ParseError:
            return
