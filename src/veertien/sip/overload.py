"""Overload: when the node falls behind, new calls get a quick 503 instead of a slow nothing.

Sans I/O: the transport measures how late its event loop runs a timer that should fire every
`PROBE_S` (the loop's lag: everything queued before it) and feeds that to `OverloadGuard`. When
the lag averaged over the last `WINDOW` probes (about a second) passes `max_lag_s` — one stall
(a garbage collection, a module loaded on first use) is no overload; a node that stays behind
is — the guard sets a ceiling on new calls per second: three quarters of what it was admitting,
lowered by a tenth each second it stays behind, raised by a tenth each second the loop is well
in time, lifted when it has refused nobody for `hold_s`. Calls over the ceiling are answered
`503 Service Unavailable` with `Retry-After` at once (sip/shed.py: from the bytes, for trusted
sources), before any routing, transaction or record, so the node keeps the CPU to say so
quickly instead of taking every call and answering none in time;
while retransmissions of calls already taken, ACKs, CANCELs and OPTIONS go on as before — so a
dispatcher in front still sees the node alive, only loaded, and callers already in a dialogue
are not dropped. What was shed is counted, and said in the log once per `report_s`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

PROBE_S = 0.05
WINDOW = 20  # probes the lag is averaged over: about a second


@dataclass
class OverloadGuard:
    max_lag_s: float = 0.05  # the loop this late (averaged over a second): the node is behind
    hold_s: float = 1.0  # shed for this long after the last lag seen above the limit
    retry_after_s: int = 5  # what a shed caller is told to wait
    shed_until: float = 0.0
    lag_s: float = 0.0  # the latest lag measured
    shed: int = 0  # INVITEs answered 503 since the start
    reported: int = 0  # shed count at the last log line
    window: int = WINDOW  # probes averaged over
    grace_s: float = 5.0  # a node starting up (imports, the portal, the first prompts) is slow
    started: float | None = None  # when the first probe came
    recent: deque[float] = field(default_factory=deque)
    # something else that cannot keep up (the call-record writers): shed while it says so
    pressure: Callable[[], bool] = lambda: False
    pressed: int = 0  # INVITEs shed for that pressure (part of `shed`)
    ceiling: float | None = None  # new calls per second admitted while behind (None: all)
    first_share: float = 0.75  # of the admitted rate, when the node first falls behind
    decrease: float = 0.9
    increase: float = 1.1
    adjusted_at: float = -1e9
    admitted: deque[float] = field(default_factory=deque)  # when, in the last second
    offered: deque[float] = field(default_factory=deque)  # new calls offered, last second
    _pressure_at: float = -1.0
    _pressure: bool = False

    def __post_init__(self) -> None:
        self.recent = deque(maxlen=self.window)

    def observe(self, lag_s: float, now: float) -> None:
        """The loop ran a timer `lag_s` late at `now`: set or adjust the ceiling, at most once
        per `hold_s` — down to `first_share` of what was admitted when the node fell behind,
        then ×`decrease` while it stays behind, ×`increase` once the loop is well in time."""
        if self.started is None:
            self.started = now
        if now - self.started < self.grace_s:
            return
        self.recent.append(lag_s)
        self.lag_s = sum(self.recent) / len(self.recent)
        if len(self.recent) < self.window:
            return
        behind = self.lag_s > self.max_lag_s
        if behind and self.ceiling is not None:
            self.shed_until = now + self.hold_s  # still behind: the ceiling stays
        if now - self.adjusted_at < self.hold_s:
            return
        if behind:
            self.adjusted_at, self.shed_until = now, now + self.hold_s
            rate = self._rate(now)
            self.ceiling = (
                rate * self.first_share if self.ceiling is None else self.ceiling * self.decrease
            )
        elif self.ceiling is not None and self.lag_s < self.max_lag_s / 2:
            self.adjusted_at = now
            self.ceiling *= self.increase

    def shedding(self, now: float) -> bool:
        """Whether this new INVITE is to be answered 503 (False: it is admitted, and counted).
        While a ceiling is set, new calls are admitted up to it per second; it is lifted when
        it has not had to refuse anybody for `hold_s`."""
        if self.refusing(now):
            self.refused(now)
            return True
        if self.ceiling is not None and now >= self.shed_until:
            self.ceiling = None  # the ceiling has not bound for hold_s: lifted
        self.admitted.append(now)
        self.offered.append(now)
        return False

    def refusing(self, now: float) -> bool:
        """Whether a new INVITE now would be refused (nothing counted)."""
        if self._pressed(now):
            return True
        return self.ceiling is not None and self._rate(now) >= self.ceiling

    def refused(self, now: float) -> None:
        """A new INVITE was refused now (by `shedding` or the cheap 503): counted as offered
        and shed, and as pressed when the pressure was why."""
        self.shed += 1
        if self._pressed(now):
            self.pressed += 1
        self.offered.append(now)
        self.shed_until = now + self.hold_s

    def _pressed(self, now: float) -> bool:
        """`pressure()`, asked once per moment: the cheap 503 and the normal path ask about
        the same INVITE, and the writers' answer takes their locks."""
        if now != self._pressure_at:
            self._pressure_at, self._pressure = now, self.pressure()
        return self._pressure

    def reduction(self, now: float) -> int:
        """The share of new calls (percent) an upstream should hold back: what was offered in
        the last second above the ceiling (RFC 7339's loss algorithm; 0 without a ceiling)."""
        while self.offered and now - self.offered[0] > 1.0:
            self.offered.popleft()
        if self.ceiling is None or not self.offered:
            return 0
        return max(0, min(100, round(100 * (1 - self.ceiling / len(self.offered)))))

    def oc(self, now: float) -> dict[str, str]:
        """The RFC 7339 Via parameters for an upstream that asked for them (`oc` in its Via)."""
        pct = self.reduction(now)
        validity = str(int(self.hold_s * 1000)) if pct else "0"
        return {"oc": str(pct), "oc-validity": validity, "oc-seq": f"{now:.3f}",
                "oc-algo": '"loss"'}  # fmt: skip

    def _rate(self, now: float) -> float:
        """New calls admitted in the last second."""
        while self.admitted and now - self.admitted[0] > 1.0:
            self.admitted.popleft()
        return float(len(self.admitted))

    def news(self) -> int:
        """INVITEs shed since the last time this was asked (for one log line per interval)."""
        fresh, self.reported = self.shed - self.reported, self.shed
        return fresh
