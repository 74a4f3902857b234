"""micboard/pictures: the card only ever asks for picture files that exist."""

from __future__ import annotations

from pathlib import Path

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.micboard.pictures import MAX_FILES, list_pictures
from custom_components.micboard.websocket_api import async_setup_websocket


@pytest.fixture
def www(hass: HomeAssistant, tmp_path: Path) -> Path:
    hass.config.config_dir = str(tmp_path / "config")  # never the shared testing config
    folder = Path(hass.config.path("www"))
    (folder / "micboard").mkdir(parents=True)
    for name in ("Lead Vox.jpg", "guitar.PNG", "notes.txt", ".hidden.jpg", "bass.webp"):
        (folder / "micboard" / name).write_bytes(b"x")
    (folder / "micboard" / "sub.jpg").mkdir()  # a folder, not a picture
    (folder / "secret.jpg").write_bytes(b"x")
    return folder


async def _ask(hass: HomeAssistant, ws_client: WebSocketGenerator, folder: str) -> dict:
    async_setup_websocket(hass)
    client = await ws_client(hass)
    await client.send_json({"id": 1, "type": "micboard/pictures", "folder": folder})
    return await client.receive_json()


@pytest.mark.parametrize("folder", ["/local/micboard/", "/local/micboard", " /local/micboard/ "])
async def test_lists_the_picture_files(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, www: Path, folder: str
) -> None:
    reply = await _ask(hass, hass_ws_client, folder)
    assert reply["success"]
    assert reply["result"] == {
        "url": "/local/micboard/",
        "files": ["Lead Vox.jpg", "bass.webp", "guitar.PNG"],
    }


async def test_a_missing_folder_has_no_pictures(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, www: Path
) -> None:
    reply = await _ask(hass, hass_ws_client, "/local/nobody/")
    assert reply["result"] == {"url": "/local/nobody/", "files": []}


@pytest.mark.parametrize(
    ("folder", "message"),
    [
        ("/media/micboard/", "must start with /local/"),
        ("https://example.com/pics/", "must start with /local/"),
        ("/local/../", "must stay inside /local/"),
        ("/local/micboard/../../etc/", "must stay inside /local/"),
        ("/local/a\\..\\b/", "must stay inside /local/"),
    ],
)
async def test_folders_outside_local_are_refused(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, www: Path, folder: str, message: str
) -> None:
    reply = await _ask(hass, hass_ws_client, folder)
    assert not reply["success"]
    assert reply["error"]["code"] == "invalid_folder"
    assert message in reply["error"]["message"]


async def test_a_link_out_of_www_is_refused(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, www: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"  # beside the configuration folder
    outside.mkdir()
    (www / "elsewhere").symlink_to(outside)
    reply = await _ask(hass, hass_ws_client, "/local/elsewhere/")
    assert reply["error"]["code"] == "invalid_folder"


def test_the_answer_stays_small(tmp_path: Path) -> None:
    for i in range(MAX_FILES + 5):
        (tmp_path / f"p{i:05}.jpg").write_bytes(b"")
    assert len(list_pictures(tmp_path)) == MAX_FILES
