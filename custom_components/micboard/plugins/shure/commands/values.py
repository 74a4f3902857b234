"""Raw Shure command-string values to model values: ranges, sentinels and unit offsets.

Every converter returns ``None`` for anything outside the documented range, which is how the
sentinels (255 bars, 65533-65535 minutes, 252-255 percent, ``UNKN``/``UNKNOWN``/``U``/``XX``)
become "unknown" without a list of magic numbers at each call site: a value is either valid or
unknown. Sources are the research notes (``research/shure.md`` §2.3, §2.4).
"""

from __future__ import annotations

import functools

from ...model import RuntimeStatus

#: Words devices use for "no value": TX off, not linked, not measured.
UNKNOWN_WORDS = frozenset({"", "UNKN", "UNKNOWN", "U", "XX", "--,--", "ERR"})
#: Antenna status letters: A/B light a ULX-D/UHF-R LED, R/B are Axient's red/blue, X is off.
_ANTENNA_CHARS = frozenset("ABRX")
_ANTENNA_NAMES = "ABCD"
#: The widest number any family sends (7 kHz digits; PSM1000 meters 11): longer is garbage,
#: and never handed to ``int`` (which refuses thousands of digits with an error).
_MAX_DIGITS = 12


def number(raw: str, low: int, high: int) -> int | None:
    """Decimal digits within ``low..high``; anything else (sentinels included) is ``None``.

    ``isdecimal``, not ``isdigit``: text is decoded as latin-1, where ``²`` is a "digit" that
    ``int()`` refuses.
    """
    if not raw.isdecimal() or len(raw) > _MAX_DIGITS:
        return None
    value = int(raw)
    return value if low <= value <= high else None


def bars(raw: str) -> int | None:
    """Battery bars 0-5; 255 (unknown / TX off) and UHF-R's ``U`` are ``None``."""
    return number(raw, 0, 5)


def percent(raw: str) -> int | None:
    """Charge or health 0-100 %; 252-255 (error, calculating, unknown) are ``None``."""
    return number(raw, 0, 100)


def minutes(raw: str) -> int | None:
    """Runtime 0-65532 min; 65533 (comm warning), 65534 (calculating), 65535 are ``None``."""
    return number(raw, 0, 65532)


#: Runtime codes that carry a meaning (research §2.3: 65533 battery communication warning,
#: 65534 calculating; 65535 is plain unknown / off / AA cells).
_RUNTIME_CODES = {"65533": RuntimeStatus.ERROR, "65534": RuntimeStatus.CALCULATING}


def runtime_status(raw: str) -> RuntimeStatus | None:
    """What a runtime sentinel says: 65534 calculating, 65533 error; else ``None``."""
    return _RUNTIME_CODES.get(raw)


def word(raw: str) -> str | None:
    """An enum or model string; the unknown words are ``None``."""
    return None if raw.upper() in UNKNOWN_WORDS else raw


def frequency_mhz(raw: str) -> float | None:
    """Frequency given in kHz digits (6 on ULX-D/QLX-D/UHF-R, 7 on AD/SLX-D) as MHz.

    PSM1000 is documented as ``xxx[.]yyy``: with the dot the value is already in MHz.
    All zeros or dashes (no frequency set) are ``None``.
    """
    whole, dot, fraction = raw.partition(".")
    if dot:
        if not (whole.isdecimal() and fraction.isdecimal()) or len(raw) > _MAX_DIGITS:
            return None
        value = float(raw)
        return None if value == 0 else round(value, 3)
    khz = number(raw, 1, 9_999_999)
    return None if khz is None else khz / 1000


def level(raw: str, offset: int, low: int, high: int) -> float | None:
    """A 3-digit meter reading converted by subtracting the family's offset (dBm or dBFS)."""
    value = number(raw, low, high)
    return None if value is None else float(value - offset)


def switch(raw: str, on: str = "ON", off: str = "OFF") -> bool | None:
    """An on/off enum; anything else (``UNKN``, ``TOGGLE`` echoes) is ``None``."""
    if raw == on:
        return True
    if raw == off:
        return False
    return None


@functools.lru_cache(maxsize=64)
def antennas(raw: str) -> str | None:
    """Lit antennas by position (``AX`` → ``A``, ``BB`` → ``AB``, ``XX`` → ``None``).

    One character per antenna; anything but ``X`` counts as lit (ULX-D's letters, Axient's
    red/blue). ``None`` also for characters no family uses, so noise never shows as an antenna.
    Cached: a handful of distinct values arrive with every meter sample.
    """
    if not raw or len(raw) > len(_ANTENNA_NAMES) or not _ANTENNA_CHARS.issuperset(raw):
        return None
    lit = "".join(_ANTENNA_NAMES[i] for i, char in enumerate(raw) if char != "X")
    return lit or None


def strongest(levels: tuple[float | None, ...]) -> float | None:
    """The best per-antenna level, or ``None`` when none is known."""
    known = [value for value in levels if value is not None]
    return max(known) if known else None
