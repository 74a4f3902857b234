"""Hand devices found by one protocol over to the protocol that monitors them better.

A Shure System API server knows every receiver on the network, but carries none of their
battery or RF telemetry; each receiver's own command strings do. The plugin reports such
receivers as referrals, and this module offers each one the way SLP discovery does: an
``integration_discovery`` flow of the receiver's protocol, which connects to the receiver,
takes its unique id from the device itself, aborts for a receiver that is already configured
(updating its address if it moved) and otherwise shows it under "Discovered".
"""

from __future__ import annotations

from collections.abc import Mapping

from homeassistant.config_entries import SOURCE_INTEGRATION_DISCOVERY
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import discovery_flow

from .const import CONF_MANUFACTURER, DOMAIN, LOGGER
from .plugins.model import Referral

type OfferKey = tuple[str, str, int]


class ReferralOffers:
    """Starts one discovery flow per referred device and address while the entry is loaded.

    Each coordinator has its own, so a reload offers again: a flow already in progress is not
    started twice, and the receiver's own flow ends for one that is configured or ignored
    once it has identified the receiver (one short connection to it).
    """

    def __init__(self, hass: HomeAssistant) -> None:
        """Nothing offered yet."""
        self.hass = hass
        self._offered: dict[str, OfferKey] = {}

    @callback
    def offer(self, referrals: Mapping[str, Referral]) -> None:
        """Offer referrals not offered before (or whose address changed)."""
        for source_id, referral in referrals.items():
            key = (referral.manufacturer_code, referral.host, referral.port)
            if self._offered.get(source_id) == key:
                continue
            self._offered[source_id] = key
            if self._monitored(referral):
                continue
            LOGGER.debug(
                "Offering %s at %s to the %s protocol",
                referral.model or source_id,
                referral.host,
                referral.manufacturer_code,
            )
            discovery_flow.async_create_flow(
                self.hass,
                DOMAIN,
                context={"source": SOURCE_INTEGRATION_DISCOVERY},
                data={
                    CONF_MANUFACTURER: referral.manufacturer_code,
                    CONF_HOST: referral.host,
                    CONF_PORT: referral.port,
                },
            )

    def _monitored(self, referral: Referral) -> bool:
        """Already an entry of that protocol at that address: nothing to offer or probe."""
        return any(
            entry.data.get(CONF_MANUFACTURER) == referral.manufacturer_code
            and entry.data.get(CONF_HOST) == referral.host
            for entry in self.hass.config_entries.async_entries(DOMAIN)
        )
