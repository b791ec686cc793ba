"""Who may send us requests: a scanner is blocked on sight, a number sweep after the per-source
limit, INVITEs only from the carriers once they are listed; trusted sources are never limited;
nothing blocked reaches the call handler (so no call record); memory stays bounded."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from tests.sip.helpers import invite, request, sent
from veertien.platform import PlatformSettings, SettingsError
from veertien.sip import SourceGuard, SourcePolicy, networks
from veertien.sip.admission import SourceBlocked
from veertien.sip.core import IncomingRequest, SipCore
from veertien.sip.transaction import Peer, Transport

SWEEPER = Peer(Transport.UDP, "198.51.100.7", 5060)
LOCAL = Peer(Transport.UDP, "127.0.0.1", 5061)


def _core(**policy: object) -> SipCore:
    chosen = SourcePolicy(**policy)  # type: ignore[arg-type]
    return SipCore(sources=SourceGuard(lambda: chosen))


def _calls(outputs: Sequence[object]) -> int:
    return sum(isinstance(o, IncomingRequest) for o in outputs)


def test_a_number_sweep_is_served_up_to_the_limit_then_dropped_unanswered() -> None:
    core = _core(limit=32, block_s=300)
    reached, answers, blocks = 0, 0, []
    for n in range(2000):  # 2,000 INVITEs in 2 s
        out = core.receive(
            invite(f"14{n:04d}", f"z9hG4bK-s{n}", call_id=f"s{n}"), SWEEPER, n / 1000
        )
        reached += _calls(out)
        answers += len(sent(out))
        blocks += [o for o in out if isinstance(o, SourceBlocked)]
    assert reached == 32  # the rest never became calls, so never call records
    assert answers == 32  # a 100 Trying each; nothing at all for the others
    assert len(blocks) == 1 and "more than 32 requests" in blocks[0].reason
    assert core.sources.counts["dropped"] == 2000 - 32
    options = request("OPTIONS", branch="z9hG4bK-o")
    assert core.receive(options, SWEEPER, 100.0) == []  # still blocked: not even OPTIONS
    assert sent(core.receive(options, SWEEPER, 303.0))[0].status == 200  # 300 s later: served


def test_a_scanner_is_blocked_on_sight() -> None:
    core = _core()
    scan = request("OPTIONS", branch="z9hG4bK-x").replace(
        b"\r\n\r\n", b"\r\nUser-Agent: friendly-scanner\r\n\r\n", 1
    )
    (blocked,) = core.receive(scan, SWEEPER, 0.0)
    assert isinstance(blocked, SourceBlocked) and "scanner" in blocked.reason
    assert core.receive(request("REGISTER", branch="z9hG4bK-r"), SWEEPER, 1.0) == []
    assert core.sources.counts["scanners"] == 1


def test_trusted_sources_are_never_limited() -> None:
    core = _core(limit=5)
    answered = 0
    for n in range(500):
        answered += len(sent(core.receive(request("OPTIONS", branch=f"z9hG4bK-{n}"), LOCAL, 0.0)))
    assert answered == 500
    carrier = _core(limit=5, trusted=networks("t", ["198.51.100.0/24"]))
    calls = sum(
        _calls(carrier.receive(invite(branch=f"z9hG4bK-{n}", call_id=f"c{n}"), SWEEPER, 0.0))
        for n in range(100)
    )
    assert calls == 100  # a carrier's SBC: every call from one address


def test_with_carriers_listed_other_sources_get_403_for_invite() -> None:
    core = _core(carriers=networks("c", ["192.0.2.10"]))
    (forbidden,) = sent(core.receive(invite(), SWEEPER, 0.0))
    assert forbidden.status == 403 and not core.servers  # no transaction, no call
    carrier = Peer(Transport.UDP, "192.0.2.10", 5060)
    assert _calls(core.receive(invite(branch="z9hG4bK-c"), carrier, 0.0)) == 1
    (ok,) = sent(core.receive(request("OPTIONS", branch="z9hG4bK-o"), SWEEPER, 0.0))
    assert ok.status == 200  # OPTIONS is no call: a monitor may still probe us
    assert core.sources.counts["forbidden"] == 1


def test_a_spray_of_forged_sources_stays_bounded() -> None:
    guard = SourceGuard(lambda: SourcePolicy(limit=1), max_sources=1000)
    core = SipCore(sources=guard)
    for n in range(5000):
        source = Peer(Transport.UDP, f"10.{n // 65536}.{n // 256 % 256}.{n % 256}", 5060)
        core.receive(request("OPTIONS", branch=f"z9hG4bK-{n}"), source, n * 0.0001)
    assert len(guard.sources) <= 1000


def test_the_settings_take_addresses_and_ranges_only() -> None:
    settings = PlatformSettings.from_json({"sip_carriers": ["192.0.2.10", "2001:db8::/32"]})
    assert settings.sip_carriers == ("192.0.2.10/32", "2001:db8::/32")
    assert PlatformSettings().sip_trusted == ("127.0.0.0/8", "::1")
    with pytest.raises(SettingsError, match="not an IP address"):
        PlatformSettings.from_json({"sip_trusted": ["carrier.example"]})
    with pytest.raises(SettingsError, match="0 \\(off\\)"):
        PlatformSettings.from_json({"sip_source_limit": -1})


def test_a_draining_node_answers_new_calls_and_probes_503_and_keeps_its_dialogues() -> None:
    core = _core()
    core.draining = True
    (refused,) = sent(core.receive(invite(), LOCAL, 0.0))
    assert (refused.status, refused.reason) == (503, "Draining") and not core.servers
    assert refused.header("Retry-After") is not None
    (probe,) = sent(core.receive(request("OPTIONS", branch="z9hG4bK-o"), LOCAL, 0.0))
    assert probe.status == 503  # Kamailio's probe: takes the node out of its set
    inside = request("BYE", branch="z9hG4bK-b", to_tag="t1")  # in a running dialogue
    assert not any(r.status == 503 for r in sent(core.receive(inside, LOCAL, 0.0)))
    core.draining = False
    assert _calls(core.receive(invite(branch="z9hG4bK-again"), LOCAL, 0.0)) == 1
