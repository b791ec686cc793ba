"""Who may send us requests: per-source rate limits with temporary blocks, scanners blocked on
sight, and (optionally) INVITEs only from the carriers' interconnects.

Sans I/O, with the time passed in. The core asks `blocked(host, now)` for every datagram before
it parses a byte (a blocked source costs a dictionary lookup) and `admit(request, host, now)`
for every request that would start a new transaction. Trusted sources (loopback by default:
the test caller, the traffic generator, a local proxy) are never limited.

Our choice, after Kamailio's stock anti-flood (pike: 16 requests in 2 s, then 300 s blocked):
32 new requests in 2 s from one address (about 30 calls: an ACK or a retransmission is no
new request), then that address is dropped silently for 300 s — no answer, so a sweep learns
nothing and a forged source reflects nothing. A carrier's SBC sends every call from a few
addresses: list them in `sip_trusted` (never limited) or `sip_carriers` (the only sources whose
INVITEs are taken, `403` for everybody else). Nothing blocked or refused here becomes a call
record: it is counted, and each newly blocked source is one line in the security log.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum

from veertien.sip.message import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOPBACK: tuple[Network, ...] = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
)
# User-Agents of SIP scanners (case-insensitive, anywhere in the header)
SCANNERS = ("friendly-scanner", "sipvicious", "sipcli", "sip-scan", "sipscan", "iwar", "sundayddr")
MAX_SOURCES = 100_000  # addresses remembered at once (a spray of forged sources stays bounded)


def networks(key: str, values: Iterable[object]) -> tuple[Network, ...]:
    """Addresses or CIDR ranges ('192.0.2.10', '198.51.100.0/24', '2001:db8::/32'); ValueError
    names the one that is not."""
    out = []
    for value in values:
        try:
            out.append(ipaddress.ip_network(str(value), strict=False))
        except ValueError:
            raise ValueError(f"{key}: {value!r} is not an IP address or range") from None
    return tuple(out)


@dataclass(frozen=True, slots=True)
class SourcePolicy:
    trusted: tuple[Network, ...] = LOOPBACK  # never limited, never blocked
    carriers: tuple[Network, ...] = ()  # when set: INVITEs only from these (and the trusted)
    limit: int = 32  # new requests per source per window; 0: no limit
    window_s: float = 2.0
    block_s: float = 300.0


class Verdict(Enum):
    PASS = "pass"
    DROP = "drop"  # blocked: no answer at all
    FORBIDDEN = "forbidden"  # an INVITE from outside the carriers: 403


@dataclass(frozen=True, slots=True)
class SourceBlocked:
    """An output for the transport's security log: `host` is dropped until `until`."""

    host: str
    reason: str
    until: float


@dataclass
class _Source:
    window_start: float
    count: int = 0
    blocked_until: float = 0.0


@dataclass
class SourceGuard:
    policy: Callable[[], SourcePolicy] = SourcePolicy
    max_sources: int = MAX_SOURCES
    sources: dict[str, _Source] = field(default_factory=dict)
    counts: dict[str, int] = field(
        default_factory=lambda: {"dropped": 0, "blocked": 0, "forbidden": 0, "scanners": 0}
    )
    _trusted_for: SourcePolicy | None = None
    _trusted: dict[str, bool] = field(default_factory=dict)

    def trusted(self, host: str) -> bool:
        """Whether `host` is one of the trusted sources (never limited); remembered per policy,
        since the cheap 503 asks it for every INVITE under overload."""
        policy = self.policy()
        if policy is not self._trusted_for:
            self._trusted_for, self._trusted = policy, {}
        found = self._trusted.get(host)
        if found is None:
            found = _within(host, policy.trusted)
            if len(self._trusted) < 1024:
                self._trusted[host] = found
        return found

    def blocked(self, host: str, now: float) -> bool:
        """Whether everything from `host` is to be dropped unread (counted)."""
        source = self.sources.get(host)
        if source is None or source.blocked_until <= now:
            return False
        self.counts["dropped"] += 1
        return True

    def admit(
        self, request: Request, host: str, now: float
    ) -> tuple[Verdict, SourceBlocked | None]:
        """What to do with a request that would start a new transaction, and the block it
        caused (for the security log), if it caused one."""
        policy = self.policy()
        if _within(host, policy.trusted):
            return Verdict.PASS, None
        agent = (request.header("User-Agent") or "").lower()
        if any(name in agent for name in SCANNERS):
            self.counts["scanners"] += 1
            return Verdict.DROP, self._block(host, now, policy, f"scanner ({agent[:40]})")
        if policy.limit and self._over(host, now, policy):
            why = f"more than {policy.limit} requests in {policy.window_s:g} s"
            return Verdict.DROP, self._block(host, now, policy, why)
        if request.method == "INVITE" and policy.carriers and not _within(host, policy.carriers):
            self.counts["forbidden"] += 1
            return Verdict.FORBIDDEN, None
        return Verdict.PASS, None

    def _over(self, host: str, now: float, policy: SourcePolicy) -> bool:
        source = self.sources.get(host)
        if source is None or now - source.window_start >= policy.window_s:
            if source is None and len(self.sources) >= self.max_sources:
                self._prune(now)
            source = self.sources[host] = _Source(now, 0, source.blocked_until if source else 0)
        source.count += 1
        return source.count > policy.limit

    def _block(self, host: str, now: float, policy: SourcePolicy, reason: str) -> SourceBlocked:
        source = self.sources.setdefault(host, _Source(now))
        source.blocked_until = now + policy.block_s
        self.counts["blocked"] += 1
        self.counts["dropped"] += 1
        return SourceBlocked(host, reason, source.blocked_until)

    def _prune(self, now: float) -> None:
        """Forget sources that are neither blocked nor counting in the current window; if that
        is not enough (a spray of forged addresses), forget the oldest half."""
        window = self.policy().window_s
        self.sources = {
            h: s
            for h, s in self.sources.items()
            if s.blocked_until > now or now - s.window_start < window
        }
        if len(self.sources) >= self.max_sources:
            oldest = sorted(self.sources.items(), key=lambda i: i[1].window_start)
            self.sources = dict(oldest[len(oldest) // 2 :])


def _within(host: str, ranges: tuple[Network, ...]) -> bool:
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return any(address in network for network in ranges)


__all__ = [
    "LOOPBACK",
    "SCANNERS",
    "SourceBlocked",
    "SourceGuard",
    "SourcePolicy",
    "Verdict",
    "networks",
]
