"""Constants shared by the Home Assistant side of the integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "micboard"
LOGGER = logging.getLogger(__package__)

CONF_MANUFACTURER: Final = "manufacturer"

# Options (entry.options); defaults apply when an option was never set.
CONF_METER_INTERVAL: Final = "meter_interval"
CONF_LOW_BATTERY_PERCENT: Final = "low_battery_percent"
CONF_LOW_BATTERY_MINUTES: Final = "low_battery_minutes"
DEFAULT_METER_INTERVAL: Final = 1.0
MIN_METER_INTERVAL: Final = 0.1
MAX_METER_INTERVAL: Final = 60.0

#: Status changes that arrive within this window are written together.
STATUS_BATCH_SECONDS: Final = 0.005
#: Reconnect backoff: first delay, ceiling, and how long a session must last to reset it.
BACKOFF_INITIAL_SECONDS: Final = 1.0
BACKOFF_MAX_SECONDS: Final = 60.0
BACKOFF_RESET_AFTER_SECONDS: Final = 30.0

ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_DEVICE_ID: Final = "device_id"
SERVICE_REFRESH: Final = "refresh"
SERVICE_IDENTIFY: Final = "identify"
