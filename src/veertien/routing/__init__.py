"""Pure routing decisions: RoutingDecision(kind, target, reason, data_version); no I/O."""

from veertien.platform import SettingsError
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
from veertien.routing.engine import CallFacts, RoutingContext, decide, decide_municipality
from veertien.routing.hours import OpeningHours, TimeRange, dutch_public_holidays
from veertien.routing.settings import MunicipalitySettings, Settings

__all__ = [
    "Announcement",
    "CallFacts",
    "Candidate",
    "DecisionKind",
    "Department",
    "Message",
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
