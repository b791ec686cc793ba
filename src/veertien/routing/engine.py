"""The routing engine: a pure function from call facts and a data snapshot to a decision.

No I/O, no clock: the time of the call is one of the facts. A `RoutingContext` bundles the
directory, the settings and views derived from them once, so deciding a call is a handful of
dictionary look-ups. Rules, in order, are described in docs/routing.md.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from veertien.directory import ConnectionStatus, Directory, Membership, Municipality
from veertien.numbering import AreaCodePlan, DialKind, dutch_area_codes, parse_dialled, to_national
from veertien.routing.decision import (
    Announcement,
    Candidate,
    DecisionKind,
    Department,
    Message,
    RoutingDecision,
    Rule,
    Scope,
)
from veertien.routing.settings import MunicipalitySettings, Settings


@dataclass(frozen=True, slots=True)
class CallFacts:
    """What is known about a call when it arrives. `at` must be timezone-aware."""

    dialled: str
    at: datetime
    caller: str | None = None


@dataclass(frozen=True, slots=True)
class _Area:
    menu: tuple[Membership, ...]  # real members, largest share of the area first
    slivers: tuple[Membership, ...]


class RoutingContext:
    """An immutable snapshot of everything routing reads, identified by `data_version`."""

    def __init__(
        self,
        directory: Directory,
        settings: Settings | None = None,
        plan: AreaCodePlan | None = None,
    ) -> None:
        self.directory = directory
        self.settings = settings if settings is not None else Settings()
        self.plan = plan if plan is not None else dutch_area_codes()
        self.data_version = f"{directory.version}.{self.settings.version}"
        self.zone = ZoneInfo(self.settings.timezone)
        rule = self.settings.sliver_rule
        self._areas = {
            code: _Area(
                menu=tuple(m for m in directory.members(code) if not rule.is_sliver(m)),
                slivers=tuple(m for m in directory.members(code) if rule.is_sliver(m)),
            )
            for code in directory.area_codes()
        }

    def status(self, muni: Municipality) -> ConnectionStatus:
        return self.settings.for_municipality(muni.code).status or muni.status

    def destination(self, muni: Municipality) -> str | None:
        return self.settings.for_municipality(muni.code).destination or muni.destination

    def without_destination(self) -> list[Municipality]:
        """Municipalities that take part but have no destination: their calls cannot go
        anywhere (480) until one is set."""
        return [
            m
            for m in self.directory.municipalities.values()
            if self.status(m).participates and self.destination(m) is None
        ]

    def area(self, code: str) -> _Area:
        return self._areas.get(code, _Area((), ()))


def decide(facts: CallFacts, ctx: RoutingContext) -> RoutingDecision:
    """Decide what happens to a call."""
    dialled = parse_dialled(facts.dialled, ctx.settings.numbering, ctx.plan)
    if dialled.kind is DialKind.UNKNOWN:
        return RoutingDecision(
            DecisionKind.REJECT,
            Rule.UNKNOWN_NUMBER,
            f"{facts.dialled!r} is not a number we serve: {dialled.reason}",
            ctx.data_version,
            dialled.display,
        )
    caller_area = _caller_area(facts.caller, ctx)
    if dialled.kind is DialKind.NATIONAL:
        default = ctx.settings.national_default
        return RoutingDecision(
            DecisionKind.IVR,
            Rule.NATIONAL,
            "national number: the caller names a municipality, place, postcode or organisation"
            + (f"; default {default}" if default else "; no national default set"),
            ctx.data_version,
            dialled.display,
            target=default,
            scope=Scope.NATIONAL,
            caller_area=caller_area,
        )
    assert dialled.area is not None
    return _decide_area(dialled.area.code, dialled.area.region, facts, ctx, caller_area)


def _decide_area(
    code: str,
    region: str,
    facts: CallFacts,
    ctx: RoutingContext,
    caller_area: str | None,
) -> RoutingDecision:
    area = ctx.area(code)
    label = f"14 {code} ({region})"
    if not area.menu:
        return RoutingDecision(
            DecisionKind.REJECT,
            Rule.NO_MUNICIPALITY,
            f"{label} has no municipality in the directory",
            ctx.data_version,
            f"14 {code}",
            area_code=code,
        )
    munis = [ctx.directory.municipalities[m.municipality] for m in area.menu]
    taking_part = [m for m in munis if ctx.status(m).participates]
    if len(munis) == 1 or (ctx.settings.direct_when_single_participant and len(taking_part) == 1):
        only = taking_part[0] if taking_part else munis[0]
        why = f"{label} has one municipality taking part: {only.name}"
        chosen = decide_municipality(only.code, facts, ctx, Rule.SINGLE_MUNICIPALITY, why)
        return replace(chosen, area_code=code)  # the reports count calls by area code
    candidates = tuple(_candidate(ctx, m, True) for m in munis) + tuple(
        _candidate(ctx, ctx.directory.municipalities[s.municipality], False) for s in area.slivers
    )
    default = ctx.settings.area_defaults.get(code) or next(
        (d for m in taking_part if (d := ctx.destination(m))), None
    )
    names = ", ".join(m.name for m in munis)
    return RoutingDecision(
        DecisionKind.IVR,
        Rule.SHARED_AREA,
        f"{label} is shared by {len(munis)} municipalities: {names}",
        ctx.data_version,
        f"14 {code}",
        area_code=code,
        target=default,
        candidates=candidates,
        scope=Scope.AREA,
        caller_area=caller_area,
    )


def _candidate(ctx: RoutingContext, muni: Municipality, in_menu: bool) -> Candidate:
    return Candidate(muni.code, muni.name, ctx.status(muni), in_menu, muni.public_number)


def _caller_area(caller: str | None, ctx: RoutingContext) -> str | None:
    national = to_national(caller) if caller else None
    if not national:
        return None
    area = ctx.plan.prefix_of(national)
    return area.code if area else None


@dataclass(frozen=True, slots=True)
class _Outcome:
    """Builds the decisions for one municipality, with the shared fields filled in."""

    data_version: str
    municipality: str
    prefix: str

    def __call__(
        self,
        kind: DecisionKind,
        rule: Rule,
        reason: str,
        *,
        target: str | None = None,
        fallback: str | None = None,
        message: Message | None = None,
        departments: tuple[Department, ...] = (),
    ) -> RoutingDecision:
        return RoutingDecision(
            kind,
            rule,
            self.prefix + reason,
            self.data_version,
            municipality=self.municipality,
            target=target,
            fallback=fallback,
            message=message,
            departments=departments,
        )


def decide_municipality(
    code: str,
    facts: CallFacts,
    ctx: RoutingContext,
    rule: Rule = Rule.SELECTED,
    why: str = "",
) -> RoutingDecision:
    """Where a call for one municipality goes now: used directly and after the IVR's choice."""
    muni = ctx.directory.municipality(code)
    if muni is None:
        return RoutingDecision(
            DecisionKind.REJECT,
            Rule.NO_MUNICIPALITY,
            f"municipality {code} is not in the directory",
            ctx.data_version,
        )
    conf = ctx.settings.for_municipality(code)
    out = _Outcome(ctx.data_version, code, f"{why}; " if why else "")
    if ctx.status(muni) is ConnectionStatus.NOT_CONNECTED:
        return out(
            DecisionKind.ANNOUNCE,
            Rule.NOT_CONNECTED,
            f"{muni.name} is not connected: the caller hears its own number",
            message=_announce(Announcement.NOT_CONNECTED, muni),
        )
    special = _calamity_or_closed(muni, conf, facts.at.astimezone(ctx.zone), out)
    if special is not None:
        return special
    destination = ctx.destination(muni)
    if destination is None:
        return out(
            DecisionKind.ANNOUNCE,
            Rule.NO_DESTINATION,
            f"{muni.name} has no destination configured",
            message=_announce(Announcement.NO_DESTINATION, muni),
        )
    menu = f" after a menu of {len(conf.departments)} departments" if conf.departments else ""
    return out(
        DecisionKind.REDIRECT,
        rule,
        f"redirect to {destination}{menu}",
        target=destination,
        fallback=conf.overflow_destination,
        departments=conf.departments,
    )


def _calamity_or_closed(
    muni: Municipality,
    conf: MunicipalitySettings,
    local: datetime,
    out: _Outcome,
) -> RoutingDecision | None:
    if conf.calamity:
        if conf.calamity_destination:
            return out(
                DecisionKind.REDIRECT,
                Rule.CALAMITY,
                f"calamity switch on: redirect to {conf.calamity_destination}",
                target=conf.calamity_destination,
            )
        return out(
            DecisionKind.ANNOUNCE,
            Rule.CALAMITY,
            "calamity switch on, no calamity destination: announce",
            message=_announce(Announcement.CALAMITY, muni, conf.calamity_message),
        )
    if conf.hours is None or conf.hours.is_open(local):
        return None
    when = f"{local:%a %Y-%m-%d %H:%M}"
    if conf.closed_destination:
        return out(
            DecisionKind.REDIRECT,
            Rule.CLOSED,
            f"closed at {when}: redirect to {conf.closed_destination}",
            target=conf.closed_destination,
        )
    return out(
        DecisionKind.ANNOUNCE,
        Rule.CLOSED,
        f"closed at {when}: announce the closed message",
        message=_announce(Announcement.CLOSED, muni, conf.closed_message),
    )


def decide_organisation(code: str, ctx: RoutingContext) -> RoutingDecision:
    """Where a call for a government organisation goes (chosen in the national dialogue)."""
    org = ctx.directory.organisation(code)
    if org is None:
        return RoutingDecision(
            DecisionKind.REJECT,
            Rule.NO_MUNICIPALITY,
            f"organisation {code} is not in the catalogue",
            ctx.data_version,
        )
    if org.destination is None:
        return RoutingDecision(
            DecisionKind.ANNOUNCE,
            Rule.NO_DESTINATION,
            f"{org.name} has no destination configured",
            ctx.data_version,
            message=Message.of(Announcement.UNAVAILABLE, name=org.name),
            organisation=code,
        )
    return RoutingDecision(
        DecisionKind.REDIRECT,
        Rule.ORGANISATION,
        f"{org.name}: redirect to {org.destination}",
        ctx.data_version,
        target=org.destination,
        organisation=code,
    )


def _announce(kind: Announcement, muni: Municipality, own: str | None = None) -> Message:
    """The message for an announcement: the municipality's own text where it wrote one."""
    if own:
        return Message.of(Announcement.OWN_TEXT, text=own)
    return Message.of(kind, name=muni.name, number=muni.public_number or "")
