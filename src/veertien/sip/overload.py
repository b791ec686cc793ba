"""Overload: when the node falls behind, new calls get a quick 503 instead of a slow nothing.

Sans I/O: the transport measures how late its event loop runs a timer that should fire every
`PROBE_S` (the loop's lag: everything queued before it) and feeds that to `OverloadGuard`. When
the lag averaged over the last `WINDOW` probes (about a second) passes `max_lag_s`, the guard
sheds new INVITEs for `hold_s` — one stall (a garbage collection, a module loaded on first use)
is no overload; a node that stays behind is: the core answers them
`503 Service Unavailable` with `Retry-After` at once, before any routing, transaction or record,
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
    max_lag_s: float = 0.1  # the loop this late means the node is behind
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

    def __post_init__(self) -> None:
        self.recent = deque(maxlen=self.window)

    def observe(self, lag_s: float, now: float) -> None:
        """The loop ran a timer `lag_s` late at `now`."""
        if self.started is None:
            self.started = now
        if now - self.started < self.grace_s:
            return
        self.recent.append(lag_s)
        self.lag_s = sum(self.recent) / len(self.recent)
        if len(self.recent) == self.window and self.lag_s > self.max_lag_s:
            self.shed_until = now + self.hold_s

    def shedding(self, now: float) -> bool:
        if now < self.shed_until:
            return True
        if self.pressure():
            self.pressed += 1
            return True
        return False

    def news(self) -> int:
        """INVITEs shed since the last time this was asked (for one log line per interval)."""
        fresh, self.reported = self.shed - self.reported, self.shed
        return fresh
