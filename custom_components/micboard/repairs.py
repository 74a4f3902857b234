"""Repair issues of one entry: the plugin errors only the user can fix, shown in their words.

The protocol library raises typed errors (:class:`AccessDisabled`, :class:`CertificateChanged`,
:class:`DifferentDevice`); which issue each one becomes, with which text and placeholders, is
Home Assistant's business and lives here. An entry's issues disappear after its next
successful connection.

A different device at the entry's address is the one issue with a fix flow (Home Assistant's
repairs platform, :func:`async_create_fix_flow`): the user either points the entry at the
original receiver's new address, or accepts the replacement, which takes over the old
devices and entities.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant import data_entry_flow
from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import probatio as vol

from .const import CONF_DEVICE_UID, CONF_KNOWN_DEVICES, CONF_RECEIVER_ID, DOMAIN, LOGGER
from .entry_data import create_plugin
from .flows.base import address_fields
from .plugins.errors import (
    AccessDisabled,
    CannotConnect,
    CertificateChanged,
    DifferentDevice,
    MicboardError,
    NeedsUserAction,
)
from .replacement import adopt_replacement

#: The device refuses third-party control (Sennheiser EW-DX: HTTP 403).
ISSUE_THIRD_PARTY_ACCESS: Final = "sennheiser_third_party_access"
#: The device's certificate is no longer the one the user confirmed.
ISSUE_CERTIFICATE_CHANGED: Final = "certificate_changed"
#: Anything else the device says only the user can fix.
ISSUE_NEEDS_ATTENTION: Final = "device_needs_attention"
#: Another receiver answers at the entry's address (fixable: new address, or accept it).
ISSUE_DIFFERENT_DEVICE: Final = "different_device"


def issue_for(err: NeedsUserAction | DifferentDevice) -> tuple[str, dict[str, str]]:
    """Translation key and placeholders of the issue that explains ``err``."""
    if isinstance(err, DifferentDevice):
        return ISSUE_DIFFERENT_DEVICE, {
            "host": err.host,
            "expected": err.expected,
            "found": err.found_name or err.found,
        }
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

    def raise_for(self, err: NeedsUserAction | DifferentDevice) -> None:
        """Show the user what to fix on the device."""
        key, placeholders = issue_for(err)
        fixable = isinstance(err, DifferentDevice)
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._issue_id(key),
            is_fixable=fixable,
            is_persistent=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=key,
            translation_placeholders={"title": self.entry.title, **placeholders},
            data=(
                {"entry_id": self.entry.entry_id, "found": err.found}
                if isinstance(err, DifferentDevice)
                else None
            ),
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


class DifferentDeviceFlow(RepairsFlow):
    """Another receiver answers at the entry's address: move the entry, or adopt the new one."""

    def __init__(self, entry: ConfigEntry, found: str) -> None:
        """``found`` is the stable id of the unit that answers now."""
        self.entry = entry
        self.found = found

    async def async_step_init(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        """Offer both ways out."""
        return self.async_show_menu(
            step_id="init",
            menu_options=["new_address", "accept_replacement"],
            description_placeholders=self._placeholders(),
        )

    def _placeholders(self) -> dict[str, str]:
        return {
            "title": self.entry.title,
            "host": str(self.entry.data.get(CONF_HOST, "")),
            "expected": str(self.entry.unique_id),
            "found": self.found,
        }

    async def async_step_new_address(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """The original receiver moved: find it at its new address."""
        errors: dict[str, str] = {}
        if user_input is not None:
            address = {
                CONF_HOST: str(user_input[CONF_HOST]).strip(),
                CONF_PORT: int(user_input[CONF_PORT]),
            }
            error = await self._probe({**self.entry.data, **address})
            if error is None:
                self.hass.config_entries.async_update_entry(
                    self.entry, data={**self.entry.data, **address}
                )
                await self._done()
                return self.async_create_entry(data={})
            errors["base"] = error
        return self.async_show_form(
            step_id="new_address",
            data_schema=vol.Schema(
                address_fields(
                    (user_input or {}).get(CONF_HOST), int(self.entry.data.get(CONF_PORT) or 1)
                )
            ),
            errors=errors,
            description_placeholders=self._placeholders(),
        )

    async def _probe(self, data: dict[str, Any]) -> str | None:
        """Connect once, insisting on the original receiver; a form error key, or None."""
        plugin = create_plugin(
            data,
            expected_id=self.entry.unique_id,
            session=async_get_clientsession(self.hass),
        )
        try:
            await plugin.get_devices()
        except DifferentDevice:
            return "still_different"
        except CannotConnect:
            return "cannot_connect"
        except MicboardError as err:
            LOGGER.debug("Probing the new address failed: %s", err)
            return "cannot_connect"
        finally:
            await plugin.close()
        return None

    async def async_step_accept_replacement(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """The receiver was replaced: the new unit takes over the devices and entities."""
        if user_input is None:
            return self.async_show_form(
                step_id="accept_replacement", description_placeholders=self._placeholders()
            )
        for other in self.hass.config_entries.async_entries(DOMAIN):
            if other.entry_id != self.entry.entry_id and other.unique_id == self.found:
                return self.async_abort(
                    reason="already_configured",
                    description_placeholders={"title": other.title},
                )
        old = str(self.entry.unique_id)
        adopt_replacement(self.hass, self.entry, old, self.found)
        data = dict(self.entry.data)
        for key in (CONF_RECEIVER_ID, CONF_DEVICE_UID):
            if key in data:
                data[key] = self.found
        # A server (System API) that lists other devices: its list is the installation now.
        data.pop(CONF_KNOWN_DEVICES, None)
        self.hass.config_entries.async_update_entry(self.entry, unique_id=self.found, data=data)
        await self._done()
        return self.async_create_entry(data={})

    async def _done(self) -> None:
        """The entry is fixed: drop its issues and connect again."""
        EntryRepairs(self.hass, self.entry).clear()
        self.hass.config_entries.async_schedule_reload(self.entry.entry_id)


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """The fix flow of a fixable issue (only a different device has one)."""
    entry = hass.config_entries.async_get_entry(str((data or {}).get("entry_id")))
    if entry is None or not issue_id.startswith(ISSUE_DIFFERENT_DEVICE):
        raise data_entry_flow.UnknownHandler
    return DifferentDeviceFlow(entry, str((data or {})["found"]))
