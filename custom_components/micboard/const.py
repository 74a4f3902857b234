"""Constants shared by the Home Assistant side of the integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "micboard"
LOGGER = logging.getLogger(__package__)

CONF_MANUFACTURER: Final = "manufacturer"

# Entry data of the protocols (beside Home Assistant's CONF_HOST, CONF_PORT, CONF_PASSWORD,
# CONF_API_KEY, CONF_NAME and CONF_DEVICE_ID); entry_data.py maps them to plugin options.
CONF_FINGERPRINT: Final = "fingerprint"  # SHA-256 of a certificate the user confirmed
CONF_TRANSPORT: Final = "transport"  # Shure: "tcp" or "udp" once detected
CONF_RECEIVER_ID: Final = "receiver_id"  # Shure: the id first identified
CONF_LOCAL_PORT: Final = "local_port"  # ew G3/G4 MCP: where replies arrive
CONF_NOTIFY_PORT: Final = "notify_port"  # Audio-Technica: notification port (0: off)
CONF_NOTIFY_GROUP: Final = "notify_group"  # Audio-Technica: multicast group ("" = unicast)
CONF_NOTIFY_BIND: Final = "notify_bind"  # Audio-Technica: bind address (tests: loopback)
CONF_DEVICE_UID: Final = "device_uid"  # Audio-Technica: the id first identified
CONF_KNOWN_DEVICES: Final = "known_devices"  # System API: device ids the server last listed
CONF_RECEIVERS: Final = "receivers"  # Demo rack: how many receivers
CONF_CHANNELS: Final = "channels"  # Demo rack: channels per receiver
CONF_SEED: Final = "seed"  # Demo rack: the simulation's seed (tests)

# Options (entry.options); defaults apply when an option was never set.
CONF_METER_INTERVAL: Final = "meter_interval"
CONF_LOW_BATTERY_PERCENT: Final = "low_battery_percent"
CONF_LOW_BATTERY_MINUTES: Final = "low_battery_minutes"
DEFAULT_METER_INTERVAL: Final = 1.0
MIN_METER_INTERVAL: Final = 0.1
MAX_METER_INTERVAL: Final = 60.0

#: Status changes that arrive within this window are written together.
STATUS_BATCH_SECONDS: Final = 0.005
#: Reconnecting: the first retry within 1-5 s of a loss, then one every 5 s while the device
#: is away (so data flows again within 5 s of its return, whatever the outage length).
BACKOFF_INITIAL_SECONDS: Final = 1.0
BACKOFF_MAX_SECONDS: Final = 5.0

ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_DEVICE_ID: Final = "device_id"
SERVICE_REFRESH: Final = "refresh"
SERVICE_IDENTIFY: Final = "identify"
