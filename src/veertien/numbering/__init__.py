"""What was dialled: 14 + area code, the national number, access numbers, E.164."""

from veertien.numbering.areacodes import AreaCode, AreaCodePlan, dutch_area_codes
from veertien.numbering.dialled import (
    DialKind,
    DialledNumber,
    NumberingConfig,
    parse_dialled,
    to_national,
)

__all__ = [
    "AreaCode",
    "AreaCodePlan",
    "DialKind",
    "DialledNumber",
    "NumberingConfig",
    "dutch_area_codes",
    "parse_dialled",
    "to_national",
]
