"""``micboard/pictures``: which performer pictures a folder under ``/local/`` holds.

The card shows a picture behind a channel's tile when a file in the folder the user named
matches the tile's name. Guessing file names in the browser would cost a failed request, a
console error and possibly a broken-image icon for every channel without a picture; listing
the folder once costs one small message and the card only ever asks for files that exist.

Only folders under ``/local/`` (Home Assistant's ``www`` folder, served to anyone who can
reach Home Assistant anyway) can be listed, only one level deep and only picture files.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any, Final

from homeassistant.components.websocket_api import async_register_command
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.decorators import (
    async_response,
    websocket_command,
)
from homeassistant.core import HomeAssistant, callback
import probatio as vol

COMMAND: Final = "micboard/pictures"
LOCAL_PREFIX: Final = "/local/"
PICTURE_SUFFIXES: Final = frozenset({".jpg", ".jpeg", ".png", ".webp"})
#: A folder of performers, not a photo library: the answer stays small.
MAX_FILES: Final = 2000
ERR_INVALID_FOLDER: Final = "invalid_folder"


class InvalidFolderError(ValueError):
    """A folder the card cannot use; the message says what is accepted."""


def local_folder(www: Path, folder: str) -> tuple[Path, str]:
    """The directory behind a ``/local/…`` folder, and its URL with a trailing slash.

    Anything that would leave the ``www`` folder (``..``, absolute parts) is refused.
    """
    url = folder.strip()
    if not url.endswith("/"):
        url += "/"
    if not url.startswith(LOCAL_PREFIX):
        raise InvalidFolderError(f"The picture folder must start with {LOCAL_PREFIX}")
    parts = PurePosixPath(url[len(LOCAL_PREFIX) :]).parts
    if any(part in {"..", "."} or "\\" in part for part in parts):
        raise InvalidFolderError("The picture folder must stay inside /local/")
    path = www.joinpath(*parts)
    root = www.resolve()
    if path.resolve() != root and root not in path.resolve().parents:
        raise InvalidFolderError("The picture folder must stay inside /local/")
    return path, url


def list_pictures(path: Path) -> list[str]:
    """Picture files directly in ``path`` (none if it does not exist), sorted."""
    if not path.is_dir():
        return []
    names = sorted(
        entry.name
        for entry in path.iterdir()
        if entry.suffix.lower() in PICTURE_SUFFIXES
        and not entry.name.startswith(".")
        and entry.is_file()
    )
    return names[:MAX_FILES]


@callback
def async_setup_pictures(hass: HomeAssistant) -> None:
    """Register the command (once, from ``async_setup`` via the websocket set-up)."""
    async_register_command(hass, ws_pictures)


@websocket_command({vol.Required("type"): COMMAND, vol.Required("folder"): str})
@async_response
async def ws_pictures(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """Answer with the folder's URL and its picture files."""
    try:
        path, url = local_folder(Path(hass.config.path("www")), msg["folder"])
    except InvalidFolderError as err:
        connection.send_error(msg["id"], ERR_INVALID_FOLDER, str(err))
        return
    files = await hass.async_add_executor_job(list_pictures, path)
    connection.send_result(msg["id"], {"url": url, "files": files})
