"""What each Shure command-string family can report: the value gate's ranges per family.

Parsers convert raw values with the family's offsets (dBm = raw - 128 on ULX-D/QLX-D, raw - 120
on Axient Digital and SLX-D); the documented raw ranges map onto the ranges here, so a raw 121-255
level from an AD or SLX-D (up to +135 "dBFS") becomes unknown and is counted, whatever the parser
let through. Sources: ``research/shure.md`` §2.3-§2.4; ranges marked [?] are our choice.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from ...validate import DEFAULT_LIMITS, Limits

#: Shure's wireless bands, VHF (174 MHz) to the 1.8 GHz bands, with a margin. [?] The
#: research names no band table; this only has to keep 0.005 MHz or 5 THz out.
SHURE_BAND_MHZ: Final = (150.0, 1900.0)

#: Every family: the loosest ranges (the plugin's ``limits`` before a device is identified).
SHURE_LIMITS: Final = replace(DEFAULT_LIMITS, frequency_mhz=SHURE_BAND_MHZ)

#: ULX-D / QLX-D SAMPLE: RF raw 000-115 (dBm = raw - 128), audio raw 000-050 (dBFS = raw - 50).
_ULX: Final = replace(SHURE_LIMITS, rf_dbm=(-128.0, -13.0), audio_dbfs=(-50.0, 0.0))
#: Axient Digital and SLX-D: RSSI, peak and RMS raw 0-120 (value - 120), so never above 0.
_RAW_120: Final = replace(SHURE_LIMITS, rf_dbm=(-120.0, 0.0), audio_dbfs=(-120.0, 0.0))

FAMILY_LIMITS: Final[dict[str, Limits]] = {
    "ulxd": _ULX,
    "qlxd": _ULX,
    "ad": _RAW_120,
    "slxd": _RAW_120,
    "uhfr": SHURE_LIMITS,
    "psm1000": SHURE_LIMITS,
}


def limits_for(family: str) -> Limits:
    """The ranges of one family (the loosest for a family not listed)."""
    return FAMILY_LIMITS.get(family, SHURE_LIMITS)
