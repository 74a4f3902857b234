"""State of a simulated Shure device and how each family writes it on the wire.

The state is kept in physical terms (battery percent, dBm per antenna, dBFS), and each family
renders it in its own vocabulary, widths and sentinels, as the research notes describe
(``research/shure.md`` §2.2-§2.8): 255 bars and 65535 minutes when the transmitter is off,
``UNKN``/``UNKNOWN`` types, ``XX`` antennas, UHF-R's ``U`` battery and ``* … *`` framing, the
PSM1000's unbraced ``REPORT`` values. This module is written independently of the plugin's
parser on purpose: a shared bug would otherwise pass every test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import math

FAMILIES = ("ulxd", "qlxd", "slxd", "ad", "uhfr", "psm1000")

#: Default model per family and channel count.
MODELS: dict[str, dict[int, str]] = {
    "ulxd": {1: "ULXD4", 2: "ULXD4D", 4: "ULXD4Q"},
    "qlxd": {1: "QLXD4"},
    "slxd": {1: "SLXD4", 2: "SLXD4D", 4: "SLXD4Q+"},
    "ad": {2: "AD4D-A", 4: "AD4Q-A"},
    "uhfr": {1: "UR4S", 2: "UR4D"},
    "psm1000": {2: "P10T"},
}
TX_MODELS = {
    "ulxd": "ULXD2",
    "qlxd": "QLXD2",
    "slxd": "SLXD2",
    "ad": "AD2",
    "uhfr": "UR2",
    "psm1000": "",
}
FIRMWARE = {
    "ulxd": "2.7.6.0",
    "qlxd": "2.2.11.0",
    "slxd": "1.4.7.0",
    "ad": "1.1.43.0",
    "uhfr": "",
    "psm1000": "",
}
#: Padded widths of braced strings (CHAN_NAME, DEVICE_ID, FW_VER, MODEL).
NAME_WIDTH = {"ulxd": 8, "qlxd": 8, "slxd": 8, "ad": 31}
ID_WIDTH = {"ulxd": 8, "qlxd": 8, "slxd": 8, "ad": 31}
FW_WIDTH = {"ulxd": 18, "qlxd": 18, "slxd": 18, "ad": 24}
MODEL_WIDTH = 32
#: Axient antenna LEDs are blue with a good signal, red with a weak one.
AD_BLUE_DBM = -85.0

#: Parameters whose changes a real device does not push (they arrive as SAMPLE).
METERED = frozenset(
    {
        "AUDIO_LEVEL_PEAK",
        "AUDIO_LEVEL_RMS",
        "AUDIO_LED_BITMAP",
        "CHAN_QUALITY",
        "ANTENNA_STATUS",
        "METER_RATE",
        "RSSI",
        "RSSI_LED_BITMAP",
    }
)


@dataclass(slots=True)
class SimChannel:
    """One channel in physical units."""

    index: int
    name: str
    frequency_khz: int
    tx_model: str
    tx_on: bool = True
    battery_type: str = "LION"  # LION reports percent and runtime; ALKA only bars
    battery_percent: float = 90.0
    full_runtime_minutes: int = 600
    drain_per_second: float = 0.02
    rf_dbm: list[float] = field(default_factory=lambda: [-55.0, -60.0])
    audio_rms_dbfs: float = -35.0
    audio_peak_dbfs: float = -25.0
    clip: bool = False
    muted: bool = False
    tx_muted: bool = False
    interference: bool = False
    encryption_error: bool = False
    quality: int = 5
    meter_ms: int = 0
    rf_mute: bool = False  # PSM1000
    audio_in: tuple[int, int] = (250_000, 240_000)  # PSM1000 AUDIO_IN_LVL_L/_R (linear)

    @property
    def bars(self) -> int:
        """Bars as the receiver shows them (0-5)."""
        if self.battery_percent <= 0:
            return 0
        return min(5, math.ceil(self.battery_percent / 20))

    @property
    def runtime_minutes(self) -> int:
        """Remaining runtime the transmitter estimates."""
        return int(self.battery_percent / 100 * self.full_runtime_minutes)

    @property
    def strongest_dbm(self) -> float:
        """Best antenna."""
        return max(self.rf_dbm)

    @property
    def rechargeable(self) -> bool:
        """Whether the pack reports percent and runtime."""
        return self.battery_type == "LION"


@dataclass(slots=True)
class SimDevice:
    """The whole device."""

    family: str
    model: str
    device_id: str | None
    firmware: str
    channels: dict[int, SimChannel]
    quadversity: bool = False  # AD: four antennas per channel
    fd_combined: bool = False  # AD: FD-C appends a second antenna section
    flashing: bool = False


def build_device(
    family: str, channels: int, device_id: str | None, *, quadversity: bool = False
) -> SimDevice:
    """A device with plausible names, frequencies and batteries."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; one of {', '.join(FAMILIES)}")
    models = MODELS[family]
    if channels not in models:
        raise ValueError(f"{family} has {', '.join(map(str, models))} channels, not {channels}")
    antennas = 4 if quadversity else 2
    sim_channels = {
        index: SimChannel(
            index=index,
            name=f"Mic {index}",
            frequency_khz=518_000 + 1_375 * index,
            tx_model=TX_MODELS[family],
            battery_percent=95.0 - 10 * index,
            rf_dbm=[-55.0 - index - 2 * a for a in range(antennas)],
        )
        for index in range(1, channels + 1)
    }
    return SimDevice(
        family=family,
        model=models[channels],
        device_id=device_id,
        firmware=FIRMWARE[family],
        channels=sim_channels,
        quadversity=quadversity,
    )


# -- value formatting ------------------------------------------------------------------------


def braced(text: str, width: int) -> str:
    """``{Lead Vox    }``: padded to the family's width, truncated like the device does."""
    return "{" + text[:width].ljust(width) + "}"


def digits(value: float, width: int, low: int = 0, high: int | None = None) -> str:
    """Zero-padded integer, clamped to the field's range."""
    top = 10**width - 1 if high is None else high
    return f"{max(low, min(top, round(value))):0{width}d}"


def _on_off(flag: bool) -> str:
    return "ON" if flag else "OFF"


# -- per family: channel parameters (name -> rendered value) --------------------------------


def _ulx_channel(device: SimDevice, ch: SimChannel) -> dict[str, str]:
    family = device.family
    on = ch.tx_on
    values = {
        "CHAN_NAME": braced(ch.name, NAME_WIDTH[family]),
        "FREQUENCY": digits(ch.frequency_khz, 6),
        "GROUP_CHAN": "{--,--}",
        "AUDIO_GAIN": "018",
        "TX_TYPE": ch.tx_model if on else "UNKN",
        "BATT_BARS": digits(ch.bars, 3) if on else "255",
        "BATT_CHARGE": digits(ch.battery_percent, 3) if on and ch.rechargeable else "255",
        "BATT_RUN_TIME": digits(ch.runtime_minutes, 5) if on and ch.rechargeable else "65535",
        "BATT_TYPE": ch.battery_type if on else "UNKN",
        "BATT_HEALTH": "098" if on and ch.rechargeable else "255",
        "BATT_CYCLE": "00012" if on and ch.rechargeable else "65535",
        "BATT_TEMP_C": "065" if on and ch.rechargeable else "255",
        "TX_OFFSET": "000" if on else "255",
        "TX_RF_PWR": "NORMAL" if on else "UNKN",
        "TX_MUTE_STATUS": _on_off(ch.tx_muted) if on else "UNKN",
        "TX_PWR_LOCK": "OFF" if on else "UNKN",
        "TX_MENU_LOCK": "OFF" if on else "UNKN",
        "ENCRYPTION_WARNING": _on_off(ch.encryption_error),
        "METER_RATE": digits(ch.meter_ms, 5),
    }
    if family == "ulxd":
        values["AUDIO_MUTE"] = _on_off(ch.muted)
        values["RF_INT_DET"] = "CRITICAL" if ch.interference else "NONE"
    return values


def _ad_antenna_word(device: SimDevice, ch: SimChannel) -> str:
    if not ch.tx_on:
        return "X" * len(ch.rf_dbm)
    return "".join("B" if dbm > AD_BLUE_DBM else "R" for dbm in ch.rf_dbm)


def _ad_channel(device: SimDevice, ch: SimChannel) -> dict[str, str]:
    on = ch.tx_on
    values = {
        "CHAN_NAME": braced(ch.name, NAME_WIDTH["ad"]),
        "FREQUENCY": digits(ch.frequency_khz, 7),
        "GROUP_CHANNEL": "{--,--}",
        "AUDIO_GAIN": "018",
        "AUDIO_MUTE": _on_off(ch.muted),
        "AUDIO_LED_BITMAP": digits(_ad_bitmap(ch), 3),
        "AUDIO_LEVEL_PEAK": digits(ch.audio_peak_dbfs + 120, 3) if on else "005",
        "AUDIO_LEVEL_RMS": digits(ch.audio_rms_dbfs + 120, 3) if on else "020",
        "CHAN_QUALITY": digits(ch.quality, 3) if on else "255",
        "ENCRYPTION_STATUS": "ERROR" if ch.encryption_error else "OK",
        "FD_MODE": "FD-C" if device.fd_combined else "OFF",
        "INTERFERENCE_STATUS": "DETECTED" if ch.interference else "NONE",
        "TX_MODEL": ch.tx_model if on else "UNKNOWN",
        "TX_BATT_BARS": digits(ch.bars, 3) if on else "255",
        "TX_BATT_CHARGE_PERCENT": digits(ch.battery_percent, 3)
        if on and ch.rechargeable
        else "255",
        "TX_BATT_MINS": digits(ch.runtime_minutes, 5) if on and ch.rechargeable else "65535",
        "TX_BATT_TEMP_C": "061" if on and ch.rechargeable else "255",
        "TX_BATT_TYPE": ch.battery_type if on else "UNKN",
        "TX_LOCK": "NONE" if on else "UNKNOWN",
        "TX_MUTE_MODE_STATUS": ("MUTE" if ch.tx_muted else "ON") if on else "UNKNOWN",
        "TX_OFFSET": "012" if on else "255",
        "TX_POWER_LEVEL": "010" if on else "255",
        "UNREGISTERED_TX_STATUS": "OK",
        "METER_RATE": digits(ch.meter_ms, 5),
    }
    for antenna, dbm in enumerate(ch.rf_dbm, start=1):
        values[f"RSSI {antenna}"] = digits((dbm if on else -109) + 120, 3)
    for slot in range(1, 9):
        values[f"SLOT_BATT_BARS {slot}"] = "255"
        values[f"SLOT_STATUS {slot}"] = "EMPTY"
    return values


def _ad_bitmap(ch: SimChannel) -> int:
    """Bits 1-7 light with level, bit 8 is the overload LED."""
    if not ch.tx_on:
        return 0
    lit = max(0, min(7, round((ch.audio_peak_dbfs + 42) / 6)))
    return ((1 << lit) - 1) | (0x80 if ch.clip else 0)


def _slx_channel(device: SimDevice, ch: SimChannel) -> dict[str, str]:
    on = ch.tx_on
    return {
        "CHAN_NAME": braced(ch.name, NAME_WIDTH["slxd"]),
        "FREQUENCY": digits(ch.frequency_khz, 7),
        "GROUP_CHANNEL": "{--,--}",
        "AUDIO_GAIN": "018",
        "TX_MODEL": ch.tx_model if on else "UNKNOWN",
        "TX_BATT_BARS": digits(ch.bars, 3) if on else "255",
        "TX_BATT_MINS": digits(ch.runtime_minutes, 5) if on and ch.rechargeable else "65535",
        "AUDIO_LEVEL_PEAK": digits(ch.audio_peak_dbfs + 120, 3) if on else "000",
        "AUDIO_LEVEL_RMS": digits(ch.audio_rms_dbfs + 120, 3) if on else "000",
        # One RSSI per antenna (``REP n RSSI a vvv``); the SAMPLE carries them combined.
        "RSSI 1": digits((ch.rf_dbm[0] if on else -110) + 120, 3),
        "RSSI 2": digits((ch.rf_dbm[1] if on else -111) + 120, 3),
        "METER_RATE": digits(ch.meter_ms, 5),
    }


def _uhfr_channel(device: SimDevice, ch: SimChannel) -> dict[str, str]:
    return {
        "CHAN_NAME": ch.name,
        "FREQUENCY": digits(ch.frequency_khz, 6),
        "GROUP_CHAN": "--,--",
        "TX_BAT": str(ch.bars) if ch.tx_on else "U",
        "MUTE": _on_off(ch.muted),
        "AUDIO_GAIN": "018",
    }


def _psm_channel(device: SimDevice, ch: SimChannel) -> dict[str, str]:
    return {
        "CHAN_NAME": ch.name,
        "FREQUENCY": digits(ch.frequency_khz, 6),
        "GROUP_CHAN": "--,--",
        "RF_TX_LVL": "50",
        "RF_MUTE": "1" if ch.rf_mute else "0",
        "AUDIO_TX_MODE": "3",
        "AUDIO_IN_LINE_LVL": "1",
        "AUDIO_IN_LVL": "0",
        "METER_RATE": str(ch.meter_ms),
    }


CHANNEL_RENDERERS: dict[str, Callable[[SimDevice, SimChannel], dict[str, str]]] = {
    "ulxd": _ulx_channel,
    "qlxd": _ulx_channel,
    "ad": _ad_channel,
    "slxd": _slx_channel,
    "uhfr": _uhfr_channel,
    "psm1000": _psm_channel,
}


def channel_params(device: SimDevice, ch: SimChannel) -> dict[str, str]:
    """Every parameter of a channel, rendered (indexed ones keyed ``"RSSI 1"``)."""
    return CHANNEL_RENDERERS[device.family](device, ch)


def device_params(device: SimDevice) -> dict[str, str]:
    """Receiver-level parameters, rendered."""
    family = device.family
    if family == "uhfr":
        values = {"MODEL_NAME": device.model}
        if device.device_id is not None:
            values["DEVICE_ID"] = device.device_id
        return values
    if family == "psm1000":
        return {"DEVICE_NAME": device.device_id or ""}
    values = {
        "DEVICE_ID": braced(device.device_id or "", ID_WIDTH[family]),
        "FW_VER": braced(device.firmware, FW_WIDTH[family]),
    }
    if family == "ulxd":
        values |= {
            "ENCRYPTION": "OFF",
            "HIGH_DENSITY": "OFF",
            "FREQUENCY_DIVERSITY_MODE": "OFF",
            "FLASH": _on_off(device.flashing),
        }
    elif family == "qlxd":
        values["ENCRYPTION"] = "OFF"
    elif family == "ad":
        values |= {
            "MODEL": braced(device.model, MODEL_WIDTH),
            "RF_BAND": "{G57}",
            "TRANSMISSION_MODE": "STANDARD",
            "QUADVERSITY_MODE": _on_off(device.quadversity),
            "ENCRYPTION_MODE": "OFF",
            "FLASH": _on_off(device.flashing),
        }
    else:  # slxd
        values |= {
            "MODEL": braced(device.model, MODEL_WIDTH),
            "RF_BAND": "{G58}",
            "LOCK_STATUS": "OFF",
            "FLASH": _on_off(device.flashing),
        }
    return values


# -- meters ------------------------------------------------------------------------------------


def meter_lines(device: SimDevice, ch: SimChannel) -> list[str]:
    """What the device sends each meter interval for a channel (message bodies)."""
    family = device.family
    index = ch.index
    on = ch.tx_on
    if family in {"ulxd", "qlxd"}:
        strongest_is_a = ch.rf_dbm[0] >= ch.rf_dbm[1]
        antenna = ("AX" if strongest_is_a else "XB") if on else "XX"
        rf = digits((ch.strongest_dbm if on else -118) + 128, 3, high=115)
        audio = digits((ch.audio_peak_dbfs if on else -50) + 50, 3, high=50)
        return [f"SAMPLE {index} ALL {antenna} {rf} {audio}"]
    if family == "ad":
        section = " ".join(
            [_ad_antenna_word(device, ch)]
            + [
                f"{'31' if on else '00'} {digits((dbm if on else -109) + 120, 3)}"
                for dbm in ch.rf_dbm
            ]
        )
        sections = f"{section} {section}" if device.fd_combined else section
        quality = digits(ch.quality, 3) if on else "255"
        peak = digits(ch.audio_peak_dbfs + 120, 3) if on else "005"
        rms = digits(ch.audio_rms_dbfs + 120, 3) if on else "033"
        return [f"SAMPLE {index} ALL {quality} {digits(_ad_bitmap(ch), 3)} {peak} {rms} {sections}"]
    if family == "slxd":
        peak = digits(ch.audio_peak_dbfs + 120, 3) if on else "000"
        rms = digits(ch.audio_rms_dbfs + 120, 3) if on else "000"
        rssi = digits((ch.strongest_dbm if on else -110) + 120, 3)
        return [f"SAMPLE {index} ALL {peak} {rms} {rssi}"]
    if family == "uhfr":
        antenna = ("AX" if ch.rf_dbm[0] >= ch.rf_dbm[1] else "XB") if on else "XX"
        rf_a, rf_b = (
            (digits(-dbm, 3, low=20, high=100) for dbm in ch.rf_dbm[:2]) if on else ("100", "100")
        )
        battery = str(ch.bars) if on else "U"
        leds = max(0, min(8, round((ch.audio_peak_dbfs + 40) / 5))) if on else 0
        bitmap = 0xFF if on and ch.clip else (1 << leds) - 1
        return [f"SAMPLE {index} ALL {antenna} {rf_a} {rf_b} {battery} {bitmap:03d}"]
    left, right = ch.audio_in
    return [
        f"REPORT {index} AUDIO_IN_LVL_L {left:011d}",
        f"REPORT {index} AUDIO_IN_LVL_R {right:011d}",
    ]
