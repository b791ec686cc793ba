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
from veertien.routing.engine import (
    CallFacts,
    RoutingContext,
    decide,
    decide_municipality,
    decide_organisation,
)
from veertien.routing.hours import OpeningHours, TimeRange, dutch_public_holidays
from veertien.routing.narrowing import Ask, Narrowing, Option, narrow
from veertien.routing.settings import MunicipalitySettings, Settings, check_destination

__all__ = [
    "Announcement",
    "Ask",
    "CallFacts",
    "Candidate",
    "DecisionKind",
    "Department",
    "Message",
    "MunicipalitySettings",
    "Narrowing",
    "OpeningHours",
    "Option",
    "RoutingContext",
    "RoutingDecision",
    "Rule",
    "Scope",
    "Settings",
    "SettingsError",
    "TimeRange",
    "check_destination",
    "decide",
    "decide_municipality",
    "decide_organisation",
    "dutch_public_holidays",
    "narrow",
]
