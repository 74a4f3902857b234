"""Repair issues of one entry: the plugin errors only the user can fix, shown in their words.

The protocol library raises typed errors (:class:`AccessDisabled`, :class:`CertificateChanged`);
which issue each one becomes, with which text and placeholders, is Home Assistant's business
and lives here. An entry's issues disappear after its next successful connection.
"""

from __future__ import annotations

from typing import Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN
from .plugins.errors import AccessDisabled, CertificateChanged, NeedsUserAction

#: The device refuses third-party control (Sennheiser EW-DX: HTTP 403).
ISSUE_THIRD_PARTY_ACCESS: Final = "sennheiser_third_party_access"
#: The device's certificate is no longer the one the user confirmed.
ISSUE_CERTIFICATE_CHANGED: Final = "certificate_changed"
#: Anything else the device says only the user can fix.
ISSUE_NEEDS_ATTENTION: Final = "device_needs_attention"


def issue_for(err: NeedsUserAction) -> tuple[str, dict[str, str]]:
    """Translation key and placeholders of the issue that explains ``err``."""
    if isinstance(err, CertificateChanged):
        return ISSUE_CERTIFICATE_CHANGED, {
            "host": err.host,
            "expected": err.expected,
            "received": err.received,
        }
    if isinstance(err, AccessDisabled):
        return ISSUE_THIRD_PARTY_ACCESS, {"host": err.host}
    return ISSUE_NEEDS_ATTENTION, {"host": err.host, "error": str(err)}


class EntryRepairs:
    """Raises and clears the repair issues of one config entry."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Issues are named after ``entry`` so a later coordinator of it can clear them."""
        self.hass = hass
        self.entry = entry

    def _issue_id(self, key: str) -> str:
        return f"{key}_{self.entry.entry_id}"

    def raise_for(self, err: NeedsUserAction) -> None:
        """Show the user what to fix on the device."""
        key, placeholders = issue_for(err)
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._issue_id(key),
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=key,
            translation_placeholders={"title": self.entry.title, **placeholders},
        )

    def clear(self) -> None:
        """Drop this entry's issues, also those raised before a reload or a setup retry.

        A retried setup or a reconfigure builds a new coordinator, which would otherwise
        never learn of (and never clear) the issue its predecessor raised.
        """
        suffix = f"_{self.entry.entry_id}"
        for domain, issue_id in list(ir.async_get(self.hass).issues):
            if domain == DOMAIN and issue_id.endswith(suffix):
                ir.async_delete_issue(self.hass, DOMAIN, issue_id)
