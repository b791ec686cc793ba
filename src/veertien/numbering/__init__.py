"""What was dialled: 14 + area code, the national number, access numbers, E.164."""

from veertien.numbering.areacodes import AreaCode, AreaCodePlan, dutch_area_codes
from veertien.numbering.dialled import (
    NATIONAL_ACCESS,
    DialKind,
    DialledNumber,
    NumberingConfig,
    parse_dialled,
    to_national,
)

__all__ = [
    "NATIONAL_ACCESS",
    "AreaCode",
    "AreaCodePlan",
    "DialKind",
    "DialledNumber",
    "NumberingConfig",
    "dutch_area_codes",
    "parse_dialled",
    "to_national",
]
