"""Pure routing decisions: RoutingDecision(kind, target, reason, data_version); no I/O."""

from veertien.routing.decision import (
    Candidate,
    DecisionKind,
    Department,
    RoutingDecision,
    Rule,
    Scope,
)
from veertien.routing.engine import CallFacts, RoutingContext, decide, decide_municipality
from veertien.routing.hours import OpeningHours, SettingsError, TimeRange, dutch_public_holidays
from veertien.routing.settings import MunicipalitySettings, Settings

__all__ = [
    "CallFacts",
    "Candidate",
    "DecisionKind",
    "Department",
    "MunicipalitySettings",
    "OpeningHours",
    "RoutingContext",
    "RoutingDecision",
    "Rule",
    "Scope",
    "Settings",
    "SettingsError",
    "TimeRange",
    "decide",
    "decide_municipality",
    "dutch_public_holidays",
]
