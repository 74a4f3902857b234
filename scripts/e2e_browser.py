#!/usr/bin/env python3
"""Browser end-to-end test of the Micboard card against a real Home Assistant.

Run through ``scripts/e2e`` (it installs Playwright and Chromium first). What it does, as a
person would:

1. starts Home Assistant with this repository's ``config/configuration.yaml`` in a fresh
   configuration folder under ``artifacts/e2e/`` on a free loopback port, with a performer
   picture in ``www/micboard/``;
2. onboards it over REST (owner user, core config, analytics, integration step);
3. adds a Demo rack (2 receivers x 4 channels) and a Shure ULX-D simulator (4 channels, a
   real command-string device on loopback) through the REST config-flow API, puts a receiver
   and a channel into areas, renames a channel device, creates a person with a picture, and a
   storage dashboard with three views of the card (tiles, display, layout);
4. opens the dashboard in headless Chromium and checks every channel of both: tiles grouped by
   area; the channel devices' names; meters that move; RF/audio sparklines that draw; the
   renamed channel large with its receiver name small; pictures from the folder and from the
   person, and no failed picture request; the health footer per manufacturer; status colours
   from the theme; tap (more-info of the status entity), Enter and hold (navigate); a
   transmitter switched off turning its tile "tx off"; the German card; the display view
   (fills the screen, keys 1-9/0 switch groups); the layout view (rows, frequency sort,
   clashes flagged); the manufacturer filter; dark theme and phone width; the card editor;
5. saves screenshots to ``artifacts/e2e/screenshots/`` and copies them to
   ``docs/screenshots/`` for the README (``--no-docs`` skips the copy).

``--frame-time`` instead measures the card's frame time with 64 channels (see
``card_frame_time.py``). Waits are generous and poll for behaviour; nothing asserts how long
anything took.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
import contextlib
import json
import os
from pathlib import Path
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from typing import Any
import zlib

import aiohttp
from playwright.async_api import Browser, Page, Route, async_playwright

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts" / "e2e"
SCREENSHOTS = ARTIFACTS / "screenshots"
DOC_SCREENSHOTS = ROOT / "docs" / "screenshots"
DASHBOARD = "micboard-e2e"
VIEW = "mics"
DISPLAY_VIEW = "display"
LAYOUT_VIEW = "layout"
RECEIVERS, CHANNELS = 2, 4
SHURE_CHANNELS = 4
TILES = RECEIVERS * CHANNELS + SHURE_CHANNELS
#: The Demo rack channel renamed in Home Assistant, and the picture file made for it.
RENAMED_DEVICE, RENAMED_TO, PICTURE_FILE = "demo_demo_rack_rx01-ch2", "Zoë Keys", "zoe_keys.png"
#: A person whose name is a Shure channel's name: their picture goes behind that tile.
PERSON = "Mic 3"
SPACING_MHZ = 1.0  # wide, so that the Demo rack's 0.4-1.2 MHz raster has clashes to flag
STARTUP_TIMEOUT = 240.0
UI_TIMEOUT_MS = 90_000
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOLD_TARGET = f"/{DASHBOARD}/{LAYOUT_VIEW}"
CARD = {
    "type": "custom:micboard-card",
    "title": "Stage",
    "group_by": "area",
    "tile_size": "large",
    "meter_rate": 10,
    "history_seconds": 30,
    "picture_folder": "/local/micboard/",
    "person_pictures": True,
    "hold_action": {"action": "navigate", "navigation_path": HOLD_TARGET},
}
DISPLAY_CARD = {
    "type": "custom:micboard-card",
    "view": "display",
    "group_by": "area",
    "meter_rate": 10,
    "history_seconds": 30,
    "picture_folder": "/local/micboard/",
    "person_pictures": True,
}
LAYOUT_CARD = {
    "type": "custom:micboard-card",
    "title": "Install check",
    "view": "layout",
    "min_spacing_mhz": SPACING_MHZ,
}


class E2EFailure(AssertionError):
    """A check failed; the message says which and what was seen."""


def step(message: str) -> None:
    """Progress on stdout (the CI log)."""
    print(f"[e2e] {message}", flush=True)


def free_port() -> int:
    """A loopback port nobody listens on (other developers may run instances too)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_until[T](
    what: str, probe: Callable[[], Awaitable[T | None]], limit: float, interval: float = 0.5
) -> T:
    """Poll ``probe`` until it returns something truthy, or fail saying ``what``."""
    deadline = time.monotonic() + limit
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            result = await probe()
        except (aiohttp.ClientError, OSError) as err:
            last = err
        else:
            if result:
                return result
        await asyncio.sleep(interval)
    raise E2EFailure(f"timed out waiting for {what}" + (f" (last error: {last})" if last else ""))


def portrait_png(size: int = 96) -> bytes:
    """A small, valid PNG (a coloured gradient): a stand-in for a performer's photo."""
    rows = b"".join(
        b"\x00" + bytes(channel for x in range(size) for channel in (40 + x, 90 + y // 2, 160))
        for y in range(size)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = size.to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


# -- Home Assistant ------------------------------------------------------------------------------


class HomeAssistantProcess:
    """A real Home Assistant on a fresh configuration folder."""

    def __init__(self, port: int, artifacts: Path = ARTIFACTS) -> None:
        """Describe an instance; nothing starts before :meth:`start`."""
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.config = artifacts / "config"
        self.log = artifacts / "home-assistant.log"
        self.process: subprocess.Popen[bytes] | None = None

    def prepare(self) -> None:
        """A fresh configuration folder with this integration linked in and a picture folder."""
        shutil.rmtree(self.config, ignore_errors=True)
        (self.config / "custom_components").mkdir(parents=True)
        (self.config / "custom_components" / "micboard").symlink_to(
            ROOT / "custom_components" / "micboard"
        )
        # /local/ is only served when www/ exists at start-up.
        pictures = self.config / "www" / "micboard"
        pictures.mkdir(parents=True)
        (pictures / PICTURE_FILE).write_bytes(portrait_png())
        # The project's own configuration, unchanged. The port is not set in YAML: since
        # 2026.10 an http: block there becomes a "pending" setting the UI asks to confirm
        # (and reverts after five minutes); SETUP_PORT sets the default port instead.
        shutil.copyfile(ROOT / "config" / "configuration.yaml", self.config / "configuration.yaml")

    def start(self) -> None:
        """Start ``hass`` from the project venv, logging to ``artifacts/e2e``."""
        self.prepare()
        hass = ROOT / ".venv" / "bin" / "hass"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603  our own venv's hass
                [str(hass), "--config", str(self.config), "--skip-pip"],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                # No Shure SLP discovery: it would join a multicast group on the real LAN.
                env={**os.environ, "SETUP_PORT": str(self.port), "MICBOARD_SLP_DISCOVERY": "off"},
            )

    def stop(self) -> None:
        """Stop it the way a service manager would, then harder if it hangs."""
        stop_process(self.process, 60)

    def check_alive(self) -> None:
        """Fail early (with the log's path) if Home Assistant exited."""
        if self.process is not None and self.process.poll() is not None:
            raise E2EFailure(f"Home Assistant exited ({self.process.returncode}); see {self.log}")

    def errors_from_micboard(self) -> list[str]:
        """Log lines at ERROR or above that mention the integration."""
        lines = self.log.read_text(errors="replace").splitlines()
        return [
            line
            for line in lines
            if ("ERROR" in line or "CRITICAL" in line) and "micboard" in line.lower()
        ]


def stop_process(process: subprocess.Popen[bytes] | None, timeout: float) -> None:
    """SIGTERM, then SIGKILL if it does not exit in time."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class ShureSimulator:
    """``python -m simulators shure`` on a free loopback port: a real protocol, no hardware."""

    def __init__(self, log: Path) -> None:
        """Nothing runs before :meth:`start`."""
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(  # noqa: S603  our own simulator
            [
                str(ROOT / ".venv" / "bin" / "python"),
                "-m",
                "simulators",
                "shure",
                "--family",
                "ulxd",
                "--channels",
                str(SHURE_CHANNELS),
                "--host",
                "127.0.0.1",
                "--port",
                "0",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=self.log.open("wb"),
            start_new_session=True,
        )

    async def start(self) -> int:
        """Start a 4-channel ULX-D and return the port it listens on (from its first line)."""
        self.process = self._spawn()
        assert self.process.stdout is not None  # noqa: S101  Popen with stdout=PIPE
        line = await asyncio.wait_for(
            asyncio.get_running_loop().run_in_executor(None, self.process.stdout.readline), 60
        )
        match = re.search(rb"127\.0\.0\.1:(\d+)", line)
        if match is None:
            raise E2EFailure(f"the Shure simulator did not say where it listens: {line!r}")
        self.port = int(match.group(1))
        return self.port

    def stop(self) -> None:
        """Stop it."""
        stop_process(self.process, 10)


class Api:
    """REST and websocket access with the owner's token."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        """Not logged in until :meth:`onboard`."""
        self.session = session
        self.base = base
        self.tokens: dict[str, Any] = {}
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._next_id = 1

    @property
    def client_id(self) -> str:
        """OAuth client id of the browser and of this script: the instance's own URL."""
        return f"{self.base}/"

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"} if self.tokens else {}

    async def rest(self, method: str, path: str, body: Any = None) -> Any:
        """One REST call; fails with the response text on an HTTP error."""
        async with self.session.request(
            method, self.base + path, json=body, headers=self._headers()
        ) as response:
            text = await response.text()
            if response.status >= 400:  # noqa: PLR2004
                raise E2EFailure(f"{method} {path} -> {response.status}: {text}")
            return json.loads(text) if text else None

    async def upload_image(self, name: str, data: bytes) -> str:
        """Upload a picture as the person dialog does; returns its image id."""
        form = aiohttp.FormData()
        form.add_field("file", data, filename=name, content_type="image/png")
        async with self.session.post(
            self.base + "/api/image/upload", data=form, headers=self._headers()
        ) as response:
            if response.status >= 400:  # noqa: PLR2004
                raise E2EFailure(f"image upload -> {response.status}: {await response.text()}")
            image_id: str = (await response.json())["id"]
            return image_id

    async def onboard(self) -> None:
        """Create the owner and finish every onboarding step, as the first-run wizard does."""
        user = await self.rest(
            "POST",
            "/api/onboarding/users",
            {
                "client_id": self.client_id,
                "name": "Stage Manager",
                "username": "stage",
                "password": "e2e-password-not-secret",
                "language": "en",
            },
        )
        async with self.session.post(
            self.base + "/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": user["auth_code"],
                "client_id": self.client_id,
            },
        ) as response:
            self.tokens = await response.json()
        await self.rest("POST", "/api/onboarding/core_config", {})
        await self.rest("POST", "/api/onboarding/analytics", {})
        await self.rest(
            "POST",
            "/api/onboarding/integration",
            {"client_id": self.client_id, "redirect_uri": f"{self.base}/?auth_callback=1"},
        )
        status = await self.rest("GET", "/api/onboarding")
        if not all(item["done"] for item in status):
            raise E2EFailure(f"onboarding incomplete: {status}")

    async def _socket(self) -> aiohttp.ClientWebSocketResponse:
        if self._ws is None:
            self._ws = await self.session.ws_connect(self.base + "/api/websocket")
            await self._ws.receive_json()  # auth_required
            await self._ws.send_json({"type": "auth", "access_token": self.tokens["access_token"]})
            reply = await self._ws.receive_json()
            if reply.get("type") != "auth_ok":
                raise E2EFailure(f"websocket auth failed: {reply}")
        return self._ws

    async def ws_reply(self, message_type: str, **fields: Any) -> dict[str, Any]:
        """One websocket command; returns its result message, successful or not."""
        ws = await self._socket()
        message_id = self._next_id
        self._next_id += 1
        await ws.send_json({"id": message_id, "type": message_type, **fields})
        while True:
            reply: dict[str, Any] = await ws.receive_json(timeout=60)
            if reply.get("id") == message_id and reply.get("type") == "result":
                reply["_next_event"] = lambda: self._event(message_id)
                return reply

    async def _event(self, message_id: int) -> dict[str, Any]:
        ws = await self._socket()
        while True:
            reply: dict[str, Any] = await ws.receive_json(timeout=60)
            if reply.get("id") == message_id and reply.get("type") == "event":
                event: dict[str, Any] = reply["event"]
                return event

    async def ws(self, message_type: str, **fields: Any) -> Any:
        """One websocket command; returns its result or fails with its error."""
        reply = await self.ws_reply(message_type, **fields)
        if not reply["success"]:
            raise E2EFailure(f"{message_type} failed: {reply['error']}")
        return reply.get("result")

    async def close(self) -> None:
        """Close the websocket."""
        if self._ws is not None:
            await self._ws.close()


async def add_demo_rack(
    api: Api, name: str = "Demo rack", receivers: int = RECEIVERS, channels: int = CHANNELS
) -> str:
    """Add the Demo rack through the config-flow REST API, as the UI's dialog does."""
    flow = await api.rest("POST", "/api/config/config_entries/flow", {"handler": "micboard"})
    if flow["type"] != "menu" or "demo" not in flow["menu_options"]:
        raise E2EFailure(f"unexpected first step: {flow}")
    flow = await api.rest(
        "POST", f"/api/config/config_entries/flow/{flow['flow_id']}", {"next_step_id": "demo"}
    )
    result = await api.rest(
        "POST",
        f"/api/config/config_entries/flow/{flow['flow_id']}",
        {"name": name, "receivers": receivers, "channels": str(channels)},
    )
    if result["type"] != "create_entry":
        raise E2EFailure(f"the Demo rack was not created: {result}")
    entry_id: str = result["result"]["entry_id"]
    return entry_id


async def add_shure_receiver(api: Api, port: int) -> str:
    """Add the simulated ULX-D as a Shure receiver, through the same config flow."""
    flow = await api.rest("POST", "/api/config/config_entries/flow", {"handler": "micboard"})
    flow = await api.rest(
        "POST",
        f"/api/config/config_entries/flow/{flow['flow_id']}",
        {"next_step_id": "shure_tcp"},
    )
    if flow.get("step_id") != "shure_tcp":
        raise E2EFailure(f"unexpected Shure step: {flow}")
    result = await api.rest(
        "POST",
        f"/api/config/config_entries/flow/{flow['flow_id']}",
        {"host": "127.0.0.1", "port": port},
    )
    if result["type"] != "create_entry":
        raise E2EFailure(f"the Shure receiver was not created: {result}")
    entry_id: str = result["result"]["entry_id"]
    return entry_id


async def place_devices(api: Api, entry_id: str) -> dict[str, str]:
    """Receiver 1 on the stage, receiver 2's first channel with the band; one channel renamed."""
    devices = await api.ws("config/device_registry/list")
    ours = [d for d in devices if d.get("config_entry_id") == entry_id]
    by_identifier = {ident[1]: d["id"] for d in ours for ident in d["identifiers"]}
    stage = (await api.ws("config/area_registry/create", name="Stage"))["area_id"]
    band = (await api.ws("config/area_registry/create", name="Band"))["area_id"]
    await api.ws(
        "config/device_registry/update",
        device_id=by_identifier["demo_demo_rack_rx01"],
        area_id=stage,
    )
    await api.ws(
        "config/device_registry/update",
        device_id=by_identifier["demo_demo_rack_rx02-ch1"],
        area_id=band,
    )
    await api.ws(
        "config/device_registry/update",
        device_id=by_identifier[RENAMED_DEVICE],
        name_by_user=RENAMED_TO,
    )
    return {"Stage": stage, "Band": band}


async def check_channel_device_names(api: Api, demo_entry: str, shure_entry: str) -> None:
    """Channel devices are named after their receiver; the user's name is kept beside it."""
    devices = await api.ws("config/device_registry/list")
    names = {
        ident[1]: (d["name"], d.get("name_by_user"))
        for d in devices
        if d.get("config_entry_id") in {demo_entry, shure_entry}
        for ident in d["identifiers"]
    }
    if names.get("demo_demo_rack_rx01-ch1") != ("Demo rack RX 1 Channel 1", None):
        raise E2EFailure(f"unexpected channel device name: {names}")
    if names.get(RENAMED_DEVICE) != ("Demo rack RX 1 Channel 2", RENAMED_TO):
        raise E2EFailure(f"the renamed channel lost a name: {names}")
    shure = [name for key, (name, _) in names.items() if key.endswith("-ch1") and "demo" not in key]
    if len(shure) != 1 or not shure[0].endswith(" Channel 1"):
        raise E2EFailure(f"the Shure channel device is not named after its receiver: {names}")
    states = await api.rest("GET", "/api/states")
    ids = {state["entity_id"] for state in states}
    if "sensor.demo_rack_rx_1_channel_1_status" not in ids:
        raise E2EFailure("the channel entity ids changed (no sensor.demo_rack_rx_1_channel_1_…)")
    step(f"channel devices named after their receiver ({shure[0]!r}); entity ids unchanged")


async def add_person(api: Api) -> None:
    """A person named like a Shure channel, with an uploaded picture."""
    image_id = await api.upload_image("mic3.png", portrait_png(64))
    await api.ws("person/create", name=PERSON, picture=f"/api/image/serve/{image_id}/512x512")


async def check_manufacturer_filter(api: Api) -> None:
    """The websocket filter by brand or protocol, and its validation."""
    reply = await api.ws_reply("micboard/subscribe", meter_rate=0, filter={"manufacturer": "shure"})
    if not reply["success"]:
        raise E2EFailure(f"manufacturer filter refused: {reply}")
    snapshot = await reply["_next_event"]()
    brands = {receiver["manufacturer"] for receiver in snapshot["receivers"]}
    if brands != {"Shure"} or len(snapshot["channels"]) != SHURE_CHANNELS:
        raise E2EFailure(f"manufacturer filter let through {brands}: {snapshot['channels']}")
    await api.ws("unsubscribe_events", subscription=reply["id"])
    wrong = await api.ws_reply("micboard/subscribe", filter={"manufacturer": "acme"})
    if wrong["success"] or wrong["error"]["code"] != "invalid_filter":
        raise E2EFailure(f"an unknown manufacturer was not refused: {wrong}")
    step("manufacturer filter: shure gives the 4 Shure channels; acme is invalid_filter")


async def create_dashboard(api: Api, views: list[dict[str, Any]] | None = None) -> None:
    """A storage-mode dashboard: the card as tiles, as a stage display and as a layout."""
    await api.ws(
        "lovelace/dashboards/create",
        url_path=DASHBOARD,
        title="Micboard",
        icon="mdi:microphone",
        show_in_sidebar=True,
        require_admin=False,
    )
    if views is None:
        views = [
            {"title": "Mics", "path": VIEW, "panel": True, "cards": [CARD]},
            {"title": "Display", "path": DISPLAY_VIEW, "panel": True, "cards": [DISPLAY_CARD]},
            {"title": "Layout", "path": LAYOUT_VIEW, "panel": True, "cards": [LAYOUT_CARD]},
        ]
    await api.ws("lovelace/config/save", url_path=DASHBOARD, config={"views": views})


# -- browser ------------------------------------------------------------------------------------


def init_script(api: Api, language: str | None = None) -> str:
    """Log the browser in as the owner: the frontend reads its tokens from localStorage."""
    tokens = {
        "access_token": api.tokens["access_token"],
        "refresh_token": api.tokens["refresh_token"],
        "token_type": "Bearer",
        "expires_in": api.tokens["expires_in"],
        "hassUrl": api.base,
        "clientId": api.client_id,
        "expires": int(time.time() * 1000) + int(api.tokens["expires_in"]) * 1000,
    }
    script = f"window.localStorage.setItem('hassTokens', {json.dumps(json.dumps(tokens))});"
    if language:
        script += (
            f"window.localStorage.setItem('selectedLanguage', {json.dumps(json.dumps(language))});"
        )
    return script


#: Failed requests and console errors of every page, checked at the end.
PROBLEMS: list[str] = []


async def open_dashboard(
    browser: Browser,
    api: Api,
    *,
    dark: bool,
    width: int,
    height: int,
    query: str = "",
    slow_app: bool = False,
    view: str = VIEW,
    language: str | None = None,
    tiles: int = TILES,
) -> Page:
    """A logged-in page on a view of the dashboard, once every tile (or row) is there.

    ``slow_app`` holds back Home Assistant's app bundle for two seconds, so the card's module
    certainly evaluates before the app installs its custom-element registry: the race that used
    to leave "Custom element doesn't exist" on a dashboard now and then.
    """
    context = await browser.new_context(
        viewport={"width": width, "height": height},
        color_scheme="dark" if dark else "light",
        device_scale_factor=2 if width < 600 else 1,  # noqa: PLR2004
    )
    await context.add_init_script(init_script(api, language))
    await context.add_init_script(JS_WATCH)
    page = await context.new_page()
    if slow_app:

        async def hold_back(route: Route) -> None:
            await asyncio.sleep(2.0)
            await route.continue_()

        await page.route(re.compile(r"/frontend_latest/app\.[0-9a-f]+\.js$"), hold_back)
    name = f"{view}-{language or 'en'}-{'dark' if dark else 'light'}-{width}" + (
        "-slow-app" if slow_app else ""
    )
    OPEN_PAGES[name] = page
    log = (ARTIFACTS / f"browser-{name}.log").open("w", buffering=1)

    def note(text: str) -> None:
        log.write(f"{time.monotonic():.3f} {text}\n")

    def console(msg: Any) -> None:
        note(f"{msg.type}: {msg.text}")
        if msg.type == "error" and "micboard" in (msg.text + str(msg.location)).lower():
            PROBLEMS.append(f"{name}: console error {msg.text} at {msg.location}")

    def response(res: Any) -> None:
        if "micboard" in res.url:
            note(f"response: {res.status} {res.url}")
        if res.status >= 400 and ("/local/" in res.url or "/api/image/" in res.url):  # noqa: PLR2004
            PROBLEMS.append(f"{name}: picture request failed: {res.status} {res.url}")

    page.on("console", console)
    page.on("pageerror", lambda err: note(f"page error: {err}"))
    page.on("requestfailed", lambda req: note(f"request failed: {req.url} {req.failure}"))
    page.on("request", lambda req: note(f"request: {req.url}") if "micboard" in req.url else None)
    page.on(
        "requestfinished",
        lambda req: note(f"finished: {req.url}") if "micboard" in req.url else None,
    )
    page.on("response", response)
    await page.goto(f"{api.base}/{DASHBOARD}/{view}{query}")
    item = "tr[data-key]" if view == LAYOUT_VIEW else ".tile"
    await page.locator(f"micboard-card {item}").nth(tiles - 1).wait_for(timeout=UI_TIMEOUT_MS)
    return page


#: Pages by name, so a failure can be photographed for the CI artifacts.
OPEN_PAGES: dict[str, Page] = {}


#: Records, for a failure report, when the card's element is defined and unhandled rejections.
JS_WATCH = """
window.__micboardE2E = [];
const note = (text) => window.__micboardE2E.push(`${performance.now().toFixed(0)} ${text}`);
const define = customElements.define.bind(customElements);
customElements.define = (name, ...rest) => {
    if (name.startsWith("micboard")) note(`define ${name}`);
    return define(name, ...rest);
};
window.addEventListener("unhandledrejection", (e) => note(`unhandled: ${e.reason}`));
window.addEventListener("error", (e) => note(`error: ${e.message || e.target?.src || e}`), true);
"""

#: Text of error cards and alerts anywhere in the page, shadow roots included.
JS_ERRORS = """() => {
    const found = [];
    const walk = (root) => {
        for (const el of root.querySelectorAll("*")) {
            const tag = el.tagName.toLowerCase();
            if (tag.includes("error") || tag === "ha-alert") found.push(`${tag}: ${el.innerText ||
                (el.shadowRoot && el.shadowRoot.textContent) || ""} ${
                JSON.stringify(el._config || el.config || null)}`.trim());
            if (el.shadowRoot) walk(el.shadowRoot);
        }
    };
    walk(document);
    found.push(`micboard-card defined: ${Boolean(customElements.get("micboard-card"))}`);
    found.push(`customCards: ${JSON.stringify((window.customCards || []).map(c => c.type))}`);
    found.push(`service worker controls the page: ${Boolean(navigator.serviceWorker.controller)}`);
    found.push(`diagnostics: ${JSON.stringify(window.__micboardE2E || [])}`);
    for (const e of performance.getEntriesByType("resource")) {
        if (e.name.includes("micboard_frontend")) found.push(
            `resource ${e.name} start ${e.startTime.toFixed(0)} end ${e.responseEnd.toFixed(0)}` +
            ` bytes ${e.encodedBodySize}/${e.decodedBodySize}`);
    }
    return found;
}"""

#: Finds an element by tag anywhere in the page, shadow roots included.
JS_FIND = """(tag) => {
    const walk = (root) => {
        for (const el of root.querySelectorAll("*")) {
            if (el.tagName.toLowerCase() === tag) return el;
            if (el.shadowRoot) { const found = walk(el.shadowRoot); if (found) return found; }
        }
        return null;
    };
    return walk(document);
}"""


async def photograph_failure() -> None:
    """Screenshots and error texts of every open page, for whoever reads the CI artifacts."""
    for name, page in OPEN_PAGES.items():
        with contextlib.suppress(Exception):
            await page.screenshot(path=ARTIFACTS / f"failure-{name}.png", full_page=True)
        with contextlib.suppress(Exception):
            errors = await page.evaluate(JS_ERRORS)
            (ARTIFACTS / f"failure-{name}.txt").write_text("\n".join(errors) + "\n")


async def tiles(page: Page) -> list[dict[str, Any]]:
    """Key, status, names, meters, picture and battery state of every tile, from the DOM."""
    result: list[dict[str, Any]] = await page.locator("micboard-card .tile").evaluate_all(
        """tiles => tiles.map(t => ({
            key: t.dataset.key,
            device: t.dataset.deviceId,
            status: t.dataset.status,
            name: t.querySelector('.name')?.textContent,
            subname: t.querySelector('.subname')?.textContent,
            subnameShown: !t.querySelector('.subname')?.hidden,
            text: t.textContent,
            role: t.getAttribute('role'),
            tabindex: t.getAttribute('tabindex'),
            picture: t.querySelector('.picture')?.dataset.url || "",
            pictureShown: !t.querySelector('.picture')?.hidden,
            rf: t.querySelector('.meter.rf')?.dataset.value,
            audio: t.querySelector('.meter.audio')?.dataset.value,
            rfWidth: t.querySelector('.meter.rf .fill')?.style.width,
            audioWidth: t.querySelector('.meter.audio .fill')?.style.width,
            stale: t.querySelector('.battery')?.dataset.stale,
            bars: t.querySelector('.bars')?.dataset.bars,
            imgs: t.querySelectorAll('img').length,
        }))"""
    )
    return result


async def check_tiles_and_groups(page: Page) -> list[dict[str, Any]]:
    """A tile per channel of both receivers, grouped by area as placed in the registry."""
    found = await tiles(page)
    keys = {tile["key"] for tile in found}
    if len(found) != TILES or len(keys) != TILES:
        raise E2EFailure(f"expected {TILES} tiles, saw {len(found)}: {keys}")
    if any(not tile["name"] for tile in found):
        raise E2EFailure(f"a tile has no name: {found}")
    if any(tile["role"] != "button" or tile["tabindex"] != "0" for tile in found):
        raise E2EFailure(f"tiles are not focusable buttons: {found}")
    shure = [tile for tile in found if not tile["key"].split("/")[1].startswith("demo_")]
    if len(shure) != SHURE_CHANNELS or any(not tile["rf"] for tile in shure):
        raise E2EFailure(f"the Shure simulator's channels are missing or unmetered: {shure}")
    titles = await page.locator("micboard-card .group-title").all_inner_texts()
    if [t.casefold() for t in titles] != ["band", "stage", "no area"]:
        raise E2EFailure(f"unexpected groups: {titles}")
    stage = page.locator('micboard-card section.group:has(.group-title:text-is("Stage")) .tile')
    if await stage.count() != CHANNELS:
        raise E2EFailure("receiver 1's channels should all be in its area, Stage")
    step(f"{len(found)} tiles (Demo rack and Shure ULX-D) in groups {titles}")
    return found


async def check_meters_move(page: Page) -> None:
    """RF and audio values and bar widths change on their own (the websocket stream)."""
    first = {
        t["key"]: (t["rf"], t["audio"], t["rfWidth"], t["audioWidth"]) for t in await tiles(page)
    }

    async def moved() -> list[str] | None:
        now = {
            t["key"]: (t["rf"], t["audio"], t["rfWidth"], t["audioWidth"])
            for t in await tiles(page)
        }
        changed = [key for key, values in now.items() if values != first.get(key)]
        shure = [key for key in changed if not key.split("/")[1].startswith("demo_")]
        return changed if len(changed) >= 2 and shure else None  # noqa: PLR2004

    changed = await wait_until(
        "meters to move on at least two tiles, one of them Shure", moved, limit=30.0
    )
    step(f"meters moved on {len(changed)} tiles")


async def check_sparklines(page: Page, span: float = 0.0) -> None:
    """Every metered tile draws its RF and audio history (kept in the browser).

    ``span``: also wait until the history covers this share of the sparklines' width (for a
    screenshot that shows some).
    """

    async def drawn() -> tuple[int, float] | None:
        found: list[list[float]] = await page.locator("micboard-card canvas.spark").evaluate_all(
            """canvases => canvases.map(c => {
                if (!c.width || !c.height) return [0, 0];
                const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
                let lit = 0, first = c.width, last = -1;
                for (let i = 3; i < data.length; i += 4) {
                    if (data[i] === 0) continue;
                    lit += 1;
                    const x = ((i - 3) / 4) % c.width;
                    first = Math.min(first, x);
                    last = Math.max(last, x);
                }
                return [lit, last < 0 ? 0 : (last - first + 1) / c.width];
            })"""
        )
        drawing = [covered for lit, covered in found if lit > 50]  # noqa: PLR2004
        widest = max(drawing, default=0.0)
        if len(found) == TILES and len(drawing) >= TILES - 2 and widest >= span:
            return len(drawing), widest
        return None

    count, widest = await wait_until("sparklines to draw", drawn, limit=60.0, interval=1.0)
    step(f"RF/audio sparklines drawn on {count} of {TILES} tiles ({widest:.0%} of their width)")


async def check_names_and_pictures(page: Page) -> None:
    """Renamed channel large with its channel name small; pictures only where there is one."""
    found = {tile["key"]: tile for tile in await tiles(page)}
    renamed = [tile for tile in found.values() if tile["name"] == RENAMED_TO]
    if len(renamed) != 1:
        raise E2EFailure(f"no tile shows the Home Assistant name {RENAMED_TO!r}: {found}")
    tile = renamed[0]
    if not tile["subnameShown"] or not tile["subname"] or tile["subname"] == RENAMED_TO:
        raise E2EFailure(f"the renamed tile does not show its channel name small: {tile}")
    if not tile["picture"].endswith(f"/local/micboard/{PICTURE_FILE}") or not tile["pictureShown"]:
        raise E2EFailure(f"the picture from the folder is not behind {RENAMED_TO}: {tile}")

    async def person_picture() -> dict[str, Any] | None:
        for current in await tiles(page):
            if current["name"] == PERSON and "/api/image/serve/" in current["picture"]:
                return current
        return None

    await wait_until(f"the picture of the person {PERSON!r}", person_picture, limit=30.0)
    others = [
        t
        for t in await tiles(page)
        if t["name"] not in {RENAMED_TO, PERSON} and (t["picture"] or t["pictureShown"])
    ]
    if others or any(t["imgs"] for t in found.values()):
        raise E2EFailure(f"tiles without a picture show one (or an <img>): {others}")
    loaded = await page.evaluate(
        """() => performance.getEntriesByType("resource")
            .filter(e => e.name.includes("/local/micboard/")).map(e => e.name)"""
    )
    if not loaded or any(not url.endswith(PICTURE_FILE) for url in loaded):
        raise E2EFailure(f"the card asked for pictures that do not exist: {loaded}")
    step(f"{RENAMED_TO!r} large over {tile['subname']!r}; pictures from the folder and a person")


async def check_footer(page: Page, expected: tuple[str, ...]) -> str:
    """The health footer names every manufacturer with its connected receivers."""
    footer = page.locator("micboard-card .footer")

    async def text() -> str | None:
        current = await footer.inner_text()
        return current if all(part in current for part in expected) else None

    found = await wait_until(f"the footer to say {expected}", text, limit=30.0)
    step(f"footer: {found}")
    return found


async def check_theme_colours(page: Page) -> None:
    """Status colours come from the theme: a good tile's border is the theme's success colour."""
    colours = await page.locator("micboard-card").evaluate(
        """card => {
            const root = card.shadowRoot;
            const tile = root.querySelector('.tile[data-status="good"]');
            const probe = document.createElement("span");
            probe.style.color = "var(--success-color)";
            root.querySelector("ha-card").append(probe);
            const theme = getComputedStyle(probe).color;
            probe.remove();
            return { tile: tile && getComputedStyle(tile).borderTopColor, theme };
        }"""
    )
    if not colours["tile"] or colours["tile"] != colours["theme"]:
        raise E2EFailure(f"a good tile is not the theme's --success-color: {colours}")
    step(f"status colours follow the theme (good = --success-color {colours['theme']})")


async def more_info_entity(page: Page) -> str | None:
    """The entity of the open more-info dialog, if one is open."""
    found: str | None = await page.evaluate(
        f"""() => {{
            const dialog = ({JS_FIND})("ha-more-info-dialog");
            return dialog && dialog._open ? dialog._entityId : null;
        }}"""
    )
    return found


async def close_more_info(page: Page) -> None:
    """Close the dialog as a person would."""
    await page.keyboard.press("Escape")

    async def closed() -> bool:
        return await more_info_entity(page) is None

    await wait_until("the more-info dialog to close", closed, limit=20.0)


async def check_taps(page: Page, api: Api) -> None:
    """Tap and Enter open the channel's status; a hold navigates (the card's hold_action)."""
    target = page.locator("micboard-card .tile").first
    key = await target.get_attribute("data-key")
    states = await api.rest("GET", "/api/states")
    status_ids = [s["entity_id"] for s in states if s["entity_id"].endswith("_status")]
    await target.click()
    entity = await wait_until("a tap to open more-info", lambda: more_info_entity(page), 30.0)
    if entity not in status_ids or "channel_" not in entity:
        raise E2EFailure(f"a tap on {key} opened {entity}, not a channel's status")
    await close_more_info(page)
    second = page.locator("micboard-card .tile").nth(1)
    await second.focus()
    await page.keyboard.press("Enter")
    by_key = await wait_until("Enter to open more-info", lambda: more_info_entity(page), 30.0)
    if by_key == entity or by_key not in status_ids:
        raise E2EFailure(f"Enter on the second tile opened {by_key}")
    await close_more_info(page)
    box = await target.bounding_box()
    if box is None:
        raise E2EFailure("the first tile has no box")
    await page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    await page.mouse.down()
    await asyncio.sleep(0.9)
    await page.mouse.up()

    async def navigated() -> bool:
        return page.url.rstrip("/").endswith(HOLD_TARGET)

    await wait_until("a hold to navigate to the layout view", navigated, limit=30.0)
    if await more_info_entity(page) is not None:
        raise E2EFailure("a hold also fired the tap action")
    await page.go_back()
    await page.locator("micboard-card .tile").nth(TILES - 1).wait_for(timeout=UI_TIMEOUT_MS)
    step(f"tap and Enter open more-info ({entity}, {by_key}); hold navigates to {HOLD_TARGET}")


async def switch_off_a_transmitter(page: Page, api: Api) -> str:
    """Press the demo transmitter's power button; its tile must turn to tx off, greyed."""
    candidates = [
        t
        for t in await tiles(page)
        if t["status"] not in {"tx_off", "rx_offline"}
        and t["device"]
        and t["key"].split("/")[1].startswith("demo_")
        and t["name"] != RENAMED_TO
    ]
    if not candidates:
        raise E2EFailure("no transmitter is on to switch off")
    target = candidates[0]
    await api.rest(
        "POST",
        "/api/services/micboard/set_demo_transmitter",
        {"device_id": target["device"], "power": False, "hold": 900},
    )
    tile = page.locator(f'micboard-card .tile[data-key="{target["key"]}"]')
    await tile.and_(page.locator('[data-status="tx_off"]')).wait_for(timeout=UI_TIMEOUT_MS)
    text = await tile.inner_text()
    if "TX OFF" not in text.upper():
        raise E2EFailure(f"the tile of {target['name']} does not say TX off: {text!r}")
    stale = await tile.locator(".battery").get_attribute("data-stale")
    if stale != "true":
        raise E2EFailure(f"the last known battery of {target['name']} is not greyed")
    step(f"{target['name']} switched off: tile shows TX off with its last battery greyed")
    return str(target["key"])


async def check_card_picker(page: Page) -> None:
    """The card is in the card picker, and suggested for the integration's entities only."""
    found = await page.evaluate(
        """() => {
            const entry = (window.customCards || []).find(c => c.type === "micboard-card");
            const hass = document.querySelector("home-assistant").hass;
            const ids = Object.keys(hass.entities);
            const ours = ids.find(id => hass.entities[id].platform === "micboard"
                                      && id.endsWith("_channel_1_status"));
            const other = ids.find(id => hass.entities[id].platform !== "micboard");
            return entry && {
                name: entry.name,
                ours: entry.getEntitySuggestion(hass, ours),
                device: hass.entities[ours].device_id,
                other: other === undefined ? null : entry.getEntitySuggestion(hass, other),
            };
        }"""
    )
    if not found or found["name"] != "Micboard":
        raise E2EFailure(f"micboard-card is not in window.customCards: {found}")
    suggestions = found["ours"] or []
    if not suggestions or suggestions[0]["config"].get("device_id") != [found["device"]]:
        raise E2EFailure(f"no suggestion for a Micboard entity: {found}")
    if found["other"] is not None:
        raise E2EFailure(f"the card is suggested for another integration's entity: {found}")
    step("the card is in the card picker and suggested for Micboard entities")


async def check_rules_in_the_browser(page: Page) -> None:
    """The card's pure rules (tests/frontend/model_rules.js), in the browser the card runs in."""
    rules = (ROOT / "tests" / "frontend" / "model_rules.js").read_text(encoding="utf-8")
    failures: list[str] = await page.evaluate(
        f"""async () => {{
            const card = performance.getEntriesByType("resource").map(e => e.name)
                .find(u => u.includes("/micboard_frontend/") && u.endsWith("/micboard-card.js"));
            const model = await import(card.replace(/micboard-card\\.js$/, "micboard-model.js"));
            return ({rules.strip().rstrip(";")})(model);
        }}"""
    )
    if failures:
        raise E2EFailure("card rules wrong in the browser:\n" + "\n".join(failures))
    step("card rules (picture names, clashes, names, health, grid, config) hold in Chromium")


async def check_german(page: Page) -> None:
    """With the user's language set to German the card speaks German, from de.json."""
    footer = await check_footer(page, ("Demo rack 2/2 verbunden", "Shure 1/1 verbunden"))
    statuses = await page.locator("micboard-card .tile .status-text").all_inner_texts()
    german = {"GUT", "TAUSCHEN", "KRITISCH", "TX AUS", "RX OFFLINE", "PEAK", "WAR GUT"}
    if not {text.upper() for text in statuses} & german:
        raise E2EFailure(f"the tiles' status texts are not German: {statuses}")
    label = await page.locator("micboard-card .tile").first.get_attribute("aria-label")
    step(f"German: {footer!r}, statuses {sorted(set(statuses))}, aria-label {label!r}")


async def check_display(page: Page) -> None:
    """Full-screen stage display: large tiles filling the window, keys switch groups."""
    card = page.locator("micboard-card")
    info = await card.evaluate(
        """card => {
            const root = card.shadowRoot;
            const grid = root.querySelector(".display-grid").getBoundingClientRect();
            const tile = root.querySelector(".tile").getBoundingClientRect();
            const name = getComputedStyle(root.querySelector(".tile .name")).fontSize;
            const bg = getComputedStyle(root.querySelector("ha-card")).backgroundColor;
            return {bottom: grid.bottom, height: innerHeight, tileHeight: tile.height,
                    tileWidth: tile.width, name: parseFloat(name), bg};
        }"""
    )
    if info["bottom"] > info["height"] + 1 or info["bottom"] < 0.85 * info["height"]:
        raise E2EFailure(f"the display does not fill the window: {info}")
    if info["tileHeight"] < 120 or info["name"] < 20 or info["bg"] != "rgb(0, 0, 0)":  # noqa: PLR2004
        raise E2EFailure(f"the display is not large and high-contrast: {info}")
    chips = await card.locator(".chip").all_inner_texts()
    groups = [chip.split(" ", 1)[1] for chip in chips[1:]]
    await page.locator("body").click(position={"x": 5, "y": 5})
    await page.keyboard.press("1")
    first = card.locator('.display-grid[data-group]:not([data-group="all"])')
    await first.wait_for(timeout=UI_TIMEOUT_MS)
    shown = await card.locator(".display-grid .tile").count()
    expected = {"band": 1, "stage": CHANNELS}.get(groups[0].casefold())
    if expected is None or shown != expected:
        raise E2EFailure(f"key 1 should show the {groups[0]} group only: {shown} tiles ({chips})")
    await page.keyboard.press("0")
    await card.locator('.display-grid[data-group="all"]').wait_for(timeout=UI_TIMEOUT_MS)
    if await card.locator(".display-grid .tile").count() != TILES:
        raise E2EFailure("key 0 should show every channel again")
    step(
        f"display: {TILES} tiles of {info['tileWidth']:.0f}x{info['tileHeight']:.0f} px fill "
        f"the window, names {info['name']:.0f} px; key 1 -> {groups[0]}, 0 -> all ({chips})"
    )


async def check_layout(page: Page) -> None:
    """Receivers by manufacturer and area; sort by frequency; clashes flagged as computed."""
    card = page.locator("micboard-card")
    rows = await card.locator("tr[data-key]").evaluate_all(
        """rows => rows.map(r => ({
            key: r.dataset.key, link: r.dataset.link, conflict: r.dataset.conflict || null,
            frequency: parseFloat(r.querySelector('.frequency').textContent),
            group: r.closest('section').querySelector('.group-title').textContent,
            text: r.textContent}))"""
    )
    if len(rows) != TILES:
        raise E2EFailure(f"expected {TILES} layout rows, saw {len(rows)}")
    titles = await card.locator(".group-title").all_text_contents()
    if not any(t.startswith("Demo rack") for t in titles) or not any(
        t.startswith("Shure") for t in titles
    ):
        raise E2EFailure(f"layout groups are not by manufacturer and area: {titles}")
    if any(row["link"] != "connected" for row in rows):
        raise E2EFailure(f"a receiver is not shown connected: {rows}")
    # Clashes: every pair of channels closer than the spacing, whatever the manufacturer.
    frequencies = {row["key"]: row["frequency"] for row in rows}
    expected = {
        a
        for a, fa in frequencies.items()
        for b, fb in frequencies.items()
        if a != b and abs(fa - fb) < SPACING_MHZ
    }
    flagged = {row["key"] for row in rows if row["conflict"]}
    if flagged != expected or not expected:
        raise E2EFailure(f"flagged {sorted(flagged)}, expected {sorted(expected)}")
    summary = await card.locator(".plan-summary").inner_text()
    await card.locator("button.sort").first.click()
    await card.locator('button.sort[data-sort="frequency"]').first.wait_for(timeout=UI_TIMEOUT_MS)
    sorted_rows = await card.locator("section").evaluate_all(
        """sections => sections.map(s => [...s.querySelectorAll('tr[data-key] .frequency')]
            .map(td => parseFloat(td.textContent)))"""
    )
    if any(group != sorted(group) for group in sorted_rows):
        raise E2EFailure(f"rows are not sorted by frequency: {sorted_rows}")
    step(f"layout: {len(rows)} rows in {titles}; {summary}; sorted by frequency")


async def check_dark_theme(page: Page) -> None:
    """The card follows the browser's dark mode through the theme's variables."""
    luminance = await page.locator("micboard-card ha-card").evaluate(
        """card => {
            const [r, g, b] = getComputedStyle(card).backgroundColor.match(/\\d+/g).map(Number);
            return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
        }"""
    )
    if luminance > 0.5:  # noqa: PLR2004
        raise E2EFailure(f"the card is not dark in the dark theme (luminance {luminance:.2f})")


async def check_fits(page: Page, width: int) -> None:
    """No horizontal scrolling on a phone."""
    box = await page.locator("micboard-card ha-card").bounding_box()
    overflow = await page.locator("micboard-card .body").evaluate(
        "body => body.scrollWidth - body.clientWidth"
    )
    if box is None or box["width"] > width or overflow > 0:
        raise E2EFailure(f"the card does not fit {width} px: box {box}, overflow {overflow}")


async def open_editor(page: Page) -> None:
    """Edit mode, then the card's edit button: the visual editor must show its form."""
    await page.goto(page.url.split("?")[0] + "?edit=1")
    await page.locator("micboard-card .tile").first.wait_for(timeout=UI_TIMEOUT_MS)
    edit = page.locator("hui-card-options, hui-card-edit-mode").locator(
        "ha-button, mwc-button, ha-icon-button, .edit"
    )
    if await edit.count():
        await edit.first.click()
    else:
        await page.locator("micboard-card").click()
    editor = page.locator("micboard-card-editor")
    # The form's own fields, rendered by Home Assistant's selectors, every option there.
    sections = ("Which channels", "Tiles, meters and pictures", "Layout view", "Taps")
    for label in ("View", *sections):
        await editor.get_by_text(label, exact=True).first.wait_for(timeout=UI_TIMEOUT_MS)
    await editor.get_by_text(sections[1], exact=True).first.click()
    for label in ("Show on each tile", "Group channels", "RF and audio history", "Picture folder"):
        await editor.get_by_text(label).first.wait_for(timeout=UI_TIMEOUT_MS)
    # Changing an option in the editor changes the card in the dialog's preview.
    await editor.get_by_text("Compact (name, battery, meters)").click()
    preview = page.locator("hui-dialog-edit-card micboard-card .grid.compact").first
    await preview.wait_for(timeout=UI_TIMEOUT_MS)
    await editor.get_by_text("Layout (receivers and frequencies)").click()
    await page.locator("hui-dialog-edit-card micboard-card table.layout").first.wait_for(
        timeout=UI_TIMEOUT_MS
    )
    step("the card editor shows every option; compact tiles and the layout view preview")


async def check_tiles_view(browser: Browser, api: Api) -> Page:
    """The tiles view, every check that needs it; returns the page (the editor opens there)."""
    # Tall enough for the whole card: a screenshot of an element taller than the window
    # would have the dashboard's toolbar across its top.
    page = await open_dashboard(browser, api, dark=False, width=1280, height=1200)
    await check_tiles_and_groups(page)
    await check_card_picker(page)
    await check_rules_in_the_browser(page)
    await check_meters_move(page)
    await check_names_and_pictures(page)
    await check_footer(page, ("Demo rack 2/2 connected", "Shure 1/1 connected"))
    await check_theme_colours(page)
    await switch_off_a_transmitter(page, api)
    await check_sparklines(page, span=0.8)
    await page.locator("micboard-card").screenshot(path=SCREENSHOTS / "micboard-light.png")
    await check_taps(page, api)
    await check_sparklines(page, span=0.8)  # the history survived the view change

    early = await open_dashboard(browser, api, dark=False, width=1280, height=900, slow_app=True)
    await early.context.close()
    step("the card also appears when its module loads before Home Assistant's app")
    return page


async def check_other_pages(browser: Browser, api: Api) -> None:
    """German, dark, phone width, the display and the layout views."""
    german = await open_dashboard(browser, api, dark=False, width=1280, height=1200, language="de")
    await check_german(german)
    await german.locator("micboard-card").screenshot(path=SCREENSHOTS / "micboard-de.png")
    await german.context.close()

    dark = await open_dashboard(browser, api, dark=True, width=1280, height=1200)
    await check_dark_theme(dark)
    await check_sparklines(dark, span=0.5)
    await dark.locator("micboard-card").screenshot(path=SCREENSHOTS / "micboard-dark.png")
    await dark.context.close()

    narrow = await open_dashboard(browser, api, dark=False, width=390, height=844)
    await check_fits(narrow, 390)
    await check_sparklines(narrow, span=0.4)
    await narrow.screenshot(path=SCREENSHOTS / "micboard-narrow.png", full_page=True)
    await narrow.context.close()

    display = await open_dashboard(
        browser, api, dark=True, width=1280, height=800, view=DISPLAY_VIEW
    )
    await check_display(display)
    await check_sparklines(display, span=0.5)
    await display.screenshot(path=SCREENSHOTS / "micboard-display.png")
    await display.context.close()

    layout = await open_dashboard(
        browser, api, dark=False, width=1280, height=1200, view=LAYOUT_VIEW
    )
    await check_layout(layout)
    await layout.locator("micboard-card").screenshot(path=SCREENSHOTS / "micboard-layout.png")
    await layout.context.close()


def check_no_problems() -> None:
    """No picture request failed and the card logged no error, on any page."""
    if PROBLEMS:
        raise E2EFailure("failed picture requests or card errors:\n" + "\n".join(PROBLEMS))
    step("no failed picture request and no console error from the card")


DOC_NAMES = (
    "micboard-light.png",
    "micboard-dark.png",
    "micboard-narrow.png",
    "micboard-display.png",
    "micboard-layout.png",
    "micboard-de.png",
    "micboard-editor.png",
)


async def run_browser(api: Api, *, update_docs: bool) -> None:
    """Every browser check, and the screenshots."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise E2EFailure("Chromium is not installed (scripts/e2e installs Debian's chromium)")
    async with async_playwright() as playwright:
        # Playwright gives every launch a fresh temporary profile (its own --user-data-dir).
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            page = await check_tiles_view(browser, api)
            await check_other_pages(browser, api)
            await open_editor(page)
            await page.screenshot(path=SCREENSHOTS / "micboard-editor.png")
            check_no_problems()
        except BaseException:
            await photograph_failure()
            raise
        finally:
            await browser.close()
    step(f"screenshots in {SCREENSHOTS.relative_to(ROOT)}")
    if update_docs:
        DOC_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for name in DOC_NAMES:
            shutil.copyfile(SCREENSHOTS / name, DOC_SCREENSHOTS / name)
        step(f"copied to {DOC_SCREENSHOTS.relative_to(ROOT)}")


async def start_home_assistant(session: aiohttp.ClientSession, hass: HomeAssistantProcess) -> Api:
    """Start, wait for it, onboard, and wait until it is running."""
    step(f"starting Home Assistant on {hass.base} (log: {hass.log.relative_to(ROOT)})")
    hass.start()
    api = Api(session, hass.base)

    async def onboarding_ready() -> bool:
        hass.check_alive()
        async with session.get(hass.base + "/api/onboarding") as response:
            return response.status == 200  # noqa: PLR2004

    await wait_until("Home Assistant to answer", onboarding_ready, STARTUP_TIMEOUT, 1.0)
    await api.onboard()
    step("onboarded")

    async def running() -> bool:
        hass.check_alive()
        config = await api.rest("GET", "/api/config")
        return bool(config.get("state") == "RUNNING")

    # The UI is usable while Home Assistant is still starting, but half of it is not.
    await wait_until("Home Assistant to finish starting", running, STARTUP_TIMEOUT, 1.0)
    return api


async def main(update_docs: bool) -> None:
    """Start, prepare, check, stop; the log must hold no error from the integration."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for stale in [*ARTIFACTS.glob("failure-*"), *ARTIFACTS.glob("browser-*.log")]:
        stale.unlink()
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    hass = HomeAssistantProcess(free_port())
    simulator = ShureSimulator(ARTIFACTS / "shure-simulator.log")
    try:
        port = await simulator.start()
        step(f"Shure ULX-D simulator ({SHURE_CHANNELS} channels) on 127.0.0.1:{port}")
        async with aiohttp.ClientSession() as session:
            api = await start_home_assistant(session, hass)
            entry_id = await add_demo_rack(api)
            step(f"Demo rack added (entry {entry_id})")
            shure_entry = await add_shure_receiver(api, port)
            step(f"Shure receiver added through the config flow (entry {shure_entry})")
            await place_devices(api, entry_id)
            await check_channel_device_names(api, entry_id, shure_entry)
            await add_person(api)
            await check_manufacturer_filter(api)
            await create_dashboard(api)
            step(f"dashboard /{DASHBOARD} created (views {VIEW}, {DISPLAY_VIEW}, {LAYOUT_VIEW})")
            try:
                await run_browser(api, update_docs=update_docs)
            finally:
                await api.close()
        errors = hass.errors_from_micboard()
        if errors:
            raise E2EFailure("errors from the integration in the log:\n" + "\n".join(errors))
    finally:
        hass.stop()
        simulator.stop()
    step("passed")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--no-docs", action="store_true", help="do not copy screenshots to docs/screenshots"
    )
    parser.add_argument(
        "--frame-time",
        action="store_true",
        help="measure the card's frame time with 64 channels instead (card_frame_time.py)",
    )
    parser.add_argument("--runs", type=int, default=3, help="--frame-time: runs per scenario")
    parser.add_argument(
        "--seconds", type=float, default=30.0, help="--frame-time: seconds measured per run"
    )
    parser.add_argument("--only", help="--frame-time: only scenarios whose name contains this")
    arguments = parser.parse_args()
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    try:
        if arguments.frame_time:
            sys.path.insert(0, str(Path(__file__).parent))
            from card_frame_time import measure

            asyncio.run(
                measure(runs=arguments.runs, seconds=arguments.seconds, only=arguments.only)
            )
        else:
            asyncio.run(main(update_docs=not arguments.no_docs))
    except E2EFailure as failure:
        print(f"[e2e] FAILED: {failure}", file=sys.stderr, flush=True)
        sys.exit(1)
