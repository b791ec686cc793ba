"""Direct routing by number diversion: answer an INVITE with a 302 (or a clear refusal).

The handler glues the SIP core to the routing engine. It is sans I/O like the core: it gets core
outputs and returns more outputs. Clocks are injected: `clock` (monotonic seconds, for the time
from taking the INVITE to handing the final response to the transport) and `wall` (the call's
date and time, for opening hours).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from veertien.numbering import to_national
from veertien.records import CallRecord, CallRecordSink
from veertien.routing import (
    CallFacts,
    DecisionKind,
    RoutingContext,
    RoutingDecision,
    Rule,
    Scope,
    decide,
)
from veertien.sip.core import (
    AckTimeout,
    Cancelled,
    IncomingAck,
    IncomingRequest,
    Output,
    SipCore,
)
from veertien.sip.message import Request
from veertien.sip.transaction import Deliver, Timeout, TxnKey
from veertien.sip.uri import NameAddr, SipSyntaxError, SipUri, tag_of

log = logging.getLogger("veertien.call")

# Reason phrases for the calls we cannot redirect yet or at all.
_PHRASES = {
    Rule.UNKNOWN_NUMBER: (404, "Not A 14 Number"),
    Rule.NO_MUNICIPALITY: (404, "No Municipality For This Area Code"),
    Rule.NOT_CONNECTED: (480, "Municipality Not Connected"),
    Rule.NO_DESTINATION: (480, "No Destination Configured"),
    Rule.CLOSED: (480, "Closed"),
    Rule.CALAMITY: (480, "Temporarily Unavailable"),
}


def user_part(uri: str) -> str | None:
    try:
        return SipUri.parse(uri).user
    except SipSyntaxError:
        return None


def masked(caller: str | None) -> str:
    """A caller's number for the log: its first four digits only (the records keep a hash)."""
    if not caller:
        return "anonymous"
    return caller if len(caller) <= 4 else caller[:4] + "…"


def caller_of(request_from: str | None, asserted: str | None) -> str | None:
    """The caller's number: P-Asserted-Identity if present, else the From URI's user."""
    for value in (asserted, request_from):
        if not value:
            continue
        try:
            user = user_part(NameAddr.parse(value).uri)
        except SipSyntaxError:
            continue
        if user:
            return user
    return None


class Dialogues(Protocol):
    """Takes calls that need a dialogue (the IVR); see call/dialogue.py."""

    def start(
        self,
        event: IncomingRequest,
        decision: RoutingDecision,
        facts: CallFacts,
        ctx: RoutingContext,
        now: float,
    ) -> list[Output] | None:
        """Outputs if it took the call, None to let the handler answer it directly."""
        ...

    def cancelled(self, key: TxnKey) -> None: ...

    def in_dialog(self, event: IncomingRequest | IncomingAck) -> list[Output] | None:
        """Handle a request inside one of its dialogs; None if it knows no such dialog."""
        ...

    def client_event(self, event: Deliver | Timeout | AckTimeout) -> bool:
        """A response to (or time-out of) one of its requests, or no ACK for its 2xx; False
        if it is not one."""
        ...


class RedirectHandler:
    def __init__(
        self,
        core: SipCore,
        context: Callable[[], RoutingContext],
        records: CallRecordSink,
        clock: Callable[[], float],
        wall: Callable[[], datetime],
        *,
        dialogues: Dialogues | None = None,
    ) -> None:
        self.core = core
        self.context = context
        self.records = records
        self.clock = clock
        self.wall = wall
        self.dialogues = dialogues

    def handle(self, event: Output, now: float) -> list[Output]:
        taken = self._for_dialogues(event)
        if taken is not None:
            return taken
        if isinstance(event, IncomingRequest):
            request = event.request
            if request.method == "INVITE" and not _in_dialog(request):
                return self._invite(event, now)
            # BYE, NOTIFY, re-INVITE ... for no dialog we know; other methods are refused
            status = 481 if _in_dialog(request) or request.method == "BYE" else 501
            return self.core.respond(event.key, status, now=now)
        if isinstance(event, Timeout):
            log.warning("no ACK for our final response (transaction %s)", event.key[0])
        return []

    def _for_dialogues(self, event: Output) -> list[Output] | None:
        """What the dialogues do with an event that belongs to one of them, else None."""
        if self.dialogues is None:
            return None
        if isinstance(event, Cancelled):
            self.dialogues.cancelled(event.key)
            return []
        if isinstance(event, Deliver | Timeout | AckTimeout):
            return [] if self.dialogues.client_event(event) else None
        if isinstance(event, IncomingAck) or (
            isinstance(event, IncomingRequest) and _in_dialog(event.request)
        ):
            return self.dialogues.in_dialog(event)
        return None

    def _invite(self, event: IncomingRequest, now: float) -> list[Output]:
        started = self.clock()
        request = event.request
        ctx = self.context()
        at = self.wall()
        dialled = user_part(request.uri) or ""
        caller = caller_of(request.header("From"), request.header("P-Asserted-Identity"))
        facts = CallFacts(dialled, at, caller)
        decision = decide(facts, ctx)
        ivr = decision.kind is DecisionKind.IVR
        national = ivr and decision.scope is Scope.NATIONAL
        menu = (ivr and decision.candidates) or decision.departments or national
        if menu and self.dialogues:
            taken = self.dialogues.start(event, decision, facts, ctx, now)
            if taken is not None:
                return taken
        status, phrase, headers = _response_for(decision, dialled)
        out = self.core.respond(event.key, status, phrase, headers, now=now)
        pdd_us = (self.clock() - started) * 1e6
        record = CallRecord(
            call_id=request.header("Call-ID") or "",
            started=at.isoformat(timespec="milliseconds"),
            transport=event.peer.transport.value.lower(),
            peer=str(event.peer),
            dialled=dialled,
            caller=caller,
            decision=decision.kind.value,
            rule=decision.rule.value,
            reason=decision.reason,
            data_version=decision.data_version,
            municipality=decision.municipality,
            target=decision.target if status == 302 else None,
            response=status,
            outcome="redirected" if status == 302 else "refused",
            pdd_us=round(pdd_us, 1),
            area_code=decision.area_code,
            final_rule=decision.rule.value,
            stages=("transferred",) if status == 302 else (),
            municipality_name=name_of(ctx, decision.municipality),
        )
        self.records.write(record)
        if log.isEnabledFor(logging.INFO):
            where = f" {record.target}" if record.target else ""
            log.info(
                "call %s from %s %s → %d%s (%s: %s) %.2f ms",
                dialled or "?",
                masked(caller),
                event.peer,
                status,
                where,
                decision.rule.value,
                decision.reason,
                pdd_us / 1000,
            )
        return out


def _in_dialog(request: Request) -> bool:
    return tag_of(request.header("To") or "") is not None


def redirect_headers(target: str, dialled: str) -> list[tuple[str, str]]:
    """Contact and Diversion (RFC 5806) for a 302 that sends a call for `dialled` to `target`."""
    national = to_national(dialled) or dialled
    # E.164: 14 numbers have no trunk 0 ("14 0113" is +31140113), access numbers do (0880…)
    diversion = f"<tel:+31{national.removeprefix('0')}>;reason=unconditional;counter=1"
    return [("Contact", f"<{target}>"), ("Diversion", diversion)]


def name_of(ctx: RoutingContext, code: str | None) -> str | None:
    """A municipality's name by its CBS code (None for none or an unknown code)."""
    found = ctx.directory.municipalities.get(code or "")
    return found.name if found is not None else None


def _response_for(
    decision: RoutingDecision,
    dialled: str,
) -> tuple[int, str, list[tuple[str, str]]]:
    # A shared area that gets no dialogue (none configured, or the caller offers no G.711 audio)
    # goes to its default destination: the region's main contact centre.
    target = decision.target
    if decision.kind in (DecisionKind.REDIRECT, DecisionKind.IVR) and target is not None:
        return 302, "Moved Temporarily", redirect_headers(target, dialled)
    status, phrase = _PHRASES.get(decision.rule, (480, "Temporarily Unavailable"))
    return status, phrase, []
