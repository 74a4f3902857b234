#!/usr/bin/env python3
"""Browser end-to-end test of the Micboard card against a real Home Assistant.

Run through ``scripts/e2e`` (it installs Playwright and Chromium first). What it does, as a
person would:

1. starts Home Assistant with this repository's ``config/configuration.yaml`` in a fresh
   configuration folder under ``artifacts/e2e/`` on a free loopback port;
2. onboards it over REST (owner user, core config, analytics, integration step);
3. adds a Demo rack (2 receivers x 4 channels) through the REST config-flow API, puts a
   receiver and a channel into areas, and creates a storage dashboard with the card;
4. opens the dashboard in headless Chromium and checks: a tile for every channel, grouped by
   area; meters that move; a transmitter switched off through ``micboard.set_demo_transmitter``
   turning its tile to "tx off" with its battery greyed; dark theme and phone width; the card
   editor opening from the dashboard's edit mode;
5. saves screenshots (light, dark, narrow) to ``artifacts/e2e/screenshots/`` and copies them
   to ``docs/screenshots/`` for the README (``--no-docs`` skips the copy).

Waits are generous and poll for behaviour; nothing asserts how long anything took.
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

import aiohttp
from playwright.async_api import Browser, Page, Route, async_playwright

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts" / "e2e"
SCREENSHOTS = ARTIFACTS / "screenshots"
DOC_SCREENSHOTS = ROOT / "docs" / "screenshots"
DASHBOARD = "micboard-e2e"
VIEW = "mics"
RECEIVERS, CHANNELS = 2, 4
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
CARD = {
    "type": "custom:micboard-card",
    "title": "Demo rack",
    "group_by": "area",
    "tile_size": "large",
    "meter_rate": 10,
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


# -- Home Assistant ------------------------------------------------------------------------------


class HomeAssistantProcess:
    """A real Home Assistant on a fresh configuration folder."""

    def __init__(self, port: int) -> None:
        """Describe an instance; nothing starts before :meth:`start`."""
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.config = ARTIFACTS / "config"
        self.log = ARTIFACTS / "home-assistant.log"
        self.process: subprocess.Popen[bytes] | None = None

    def prepare(self) -> None:
        """A fresh configuration folder with this integration linked in."""
        shutil.rmtree(self.config, ignore_errors=True)
        (self.config / "custom_components").mkdir(parents=True)
        (self.config / "custom_components" / "micboard").symlink_to(
            ROOT / "custom_components" / "micboard"
        )
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
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

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

    async def ws(self, message_type: str, **fields: Any) -> Any:
        """One websocket command; returns its result or fails with its error."""
        if self._ws is None:
            self._ws = await self.session.ws_connect(self.base + "/api/websocket")
            await self._ws.receive_json()  # auth_required
            await self._ws.send_json({"type": "auth", "access_token": self.tokens["access_token"]})
            reply = await self._ws.receive_json()
            if reply.get("type") != "auth_ok":
                raise E2EFailure(f"websocket auth failed: {reply}")
        message_id = self._next_id
        self._next_id += 1
        await self._ws.send_json({"id": message_id, "type": message_type, **fields})
        while True:
            reply = await self._ws.receive_json(timeout=60)
            if reply.get("id") == message_id and reply.get("type") == "result":
                if not reply["success"]:
                    raise E2EFailure(f"{message_type} failed: {reply['error']}")
                return reply.get("result")

    async def close(self) -> None:
        """Close the websocket."""
        if self._ws is not None:
            await self._ws.close()


async def add_demo_rack(api: Api) -> str:
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
        {"name": "Demo rack", "receivers": RECEIVERS, "channels": str(CHANNELS)},
    )
    if result["type"] != "create_entry":
        raise E2EFailure(f"the Demo rack was not created: {result}")
    entry_id: str = result["result"]["entry_id"]
    return entry_id


async def place_devices(api: Api, entry_id: str) -> dict[str, str]:
    """Receiver 1 on the stage, receiver 2's first channel with the band; returns areas."""
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
    return {"Stage": stage, "Band": band}


async def create_dashboard(api: Api) -> None:
    """A storage-mode dashboard whose only view shows the card full width."""
    await api.ws(
        "lovelace/dashboards/create",
        url_path=DASHBOARD,
        title="Micboard",
        icon="mdi:microphone",
        show_in_sidebar=True,
        require_admin=False,
    )
    await api.ws(
        "lovelace/config/save",
        url_path=DASHBOARD,
        config={"views": [{"title": "Mics", "path": VIEW, "panel": True, "cards": [CARD]}]},
    )


# -- browser ------------------------------------------------------------------------------------


def init_script(api: Api) -> str:
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
    return f"window.localStorage.setItem('hassTokens', {json.dumps(json.dumps(tokens))});"


async def open_dashboard(
    browser: Browser,
    api: Api,
    *,
    dark: bool,
    width: int,
    height: int,
    query: str = "",
    slow_app: bool = False,
) -> Page:
    """A logged-in page on the dashboard, once every tile is there.

    ``slow_app`` holds back Home Assistant's app bundle for two seconds, so the card's module
    certainly evaluates before the app installs its custom-element registry: the race that used
    to leave "Custom element doesn't exist" on a dashboard now and then.
    """
    context = await browser.new_context(
        viewport={"width": width, "height": height},
        color_scheme="dark" if dark else "light",
        device_scale_factor=2 if width < 600 else 1,  # noqa: PLR2004
    )
    await context.add_init_script(init_script(api))
    await context.add_init_script(JS_WATCH)
    page = await context.new_page()
    if slow_app:

        async def hold_back(route: Route) -> None:
            await asyncio.sleep(2.0)
            await route.continue_()

        await page.route(re.compile(r"/frontend_latest/app\.[0-9a-f]+\.js$"), hold_back)
    name = f"{'dark' if dark else 'light'}-{width}{'-slow-app' if slow_app else ''}"
    OPEN_PAGES[name] = page
    log = (ARTIFACTS / f"browser-{name}.log").open("w", buffering=1)

    def note(text: str) -> None:
        log.write(f"{time.monotonic():.3f} {text}\n")

    page.on("console", lambda msg: note(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda err: note(f"page error: {err}"))
    page.on("requestfailed", lambda req: note(f"request failed: {req.url} {req.failure}"))
    page.on("request", lambda req: note(f"request: {req.url}") if "micboard" in req.url else None)
    page.on(
        "requestfinished",
        lambda req: note(f"finished: {req.url}") if "micboard" in req.url else None,
    )
    page.on(
        "response",
        lambda res: note(f"response: {res.status} {res.url}") if "micboard" in res.url else None,
    )
    await page.goto(f"{api.base}/{DASHBOARD}/{VIEW}{query}")
    await (
        page.locator("micboard-card .tile")
        .nth(RECEIVERS * CHANNELS - 1)
        .wait_for(timeout=UI_TIMEOUT_MS)
    )
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


async def photograph_failure() -> None:
    """Screenshots and error texts of every open page, for whoever reads the CI artifacts."""
    for name, page in OPEN_PAGES.items():
        with contextlib.suppress(Exception):
            await page.screenshot(path=ARTIFACTS / f"failure-{name}.png", full_page=True)
        with contextlib.suppress(Exception):
            errors = await page.evaluate(JS_ERRORS)
            (ARTIFACTS / f"failure-{name}.txt").write_text("\n".join(errors) + "\n")


async def tiles(page: Page) -> list[dict[str, Any]]:
    """Key, status, meter values and battery state of every tile, read from the DOM."""
    result: list[dict[str, Any]] = await page.locator("micboard-card .tile").evaluate_all(
        """tiles => tiles.map(t => ({
            key: t.dataset.key,
            device: t.dataset.deviceId,
            status: t.dataset.status,
            name: t.querySelector('.name')?.textContent,
            text: t.textContent,
            rf: t.querySelector('.meter.rf')?.dataset.value,
            audio: t.querySelector('.meter.audio')?.dataset.value,
            rfWidth: t.querySelector('.meter.rf .fill')?.style.width,
            audioWidth: t.querySelector('.meter.audio .fill')?.style.width,
            stale: t.querySelector('.battery')?.dataset.stale,
            bars: t.querySelector('.bars')?.dataset.bars,
        }))"""
    )
    return result


async def check_tiles_and_groups(page: Page) -> list[dict[str, Any]]:
    """A tile per channel, grouped by area as placed in the registry."""
    found = await tiles(page)
    keys = {tile["key"] for tile in found}
    if len(found) != RECEIVERS * CHANNELS or len(keys) != RECEIVERS * CHANNELS:
        raise E2EFailure(f"expected {RECEIVERS * CHANNELS} tiles, saw {len(found)}: {keys}")
    if any(not tile["name"] for tile in found):
        raise E2EFailure(f"a tile has no name: {found}")
    titles = await page.locator("micboard-card .group-title").all_inner_texts()
    if [t.casefold() for t in titles] != ["band", "stage", "no area"]:
        raise E2EFailure(f"unexpected groups: {titles}")
    stage = page.locator('micboard-card section.group:has(.group-title:text-is("Stage")) .tile')
    if await stage.count() != CHANNELS:
        raise E2EFailure("receiver 1's channels should all be in its area, Stage")
    step(f"{len(found)} tiles in groups {titles}")
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
        return changed if len(changed) >= 2 else None  # noqa: PLR2004

    changed = await wait_until("meters to move on at least two tiles", moved, limit=30.0)
    step(f"meters moved on {len(changed)} tiles")


async def switch_off_a_transmitter(page: Page, api: Api) -> str:
    """Press the demo transmitter's power button; its tile must turn to tx off, greyed."""
    candidates = [
        t for t in await tiles(page) if t["status"] not in {"tx_off", "rx_offline"} and t["device"]
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
    # The form's own fields, rendered by Home Assistant's selectors.
    await editor.get_by_text("Show on each tile").wait_for(timeout=UI_TIMEOUT_MS)
    await editor.get_by_text("Group channels").wait_for(timeout=UI_TIMEOUT_MS)
    # Changing an option in the editor changes the card in the dialog's preview.
    await editor.get_by_text("Compact (name, battery, meters)").click()
    preview = page.locator("hui-dialog-edit-card micboard-card .grid.compact").first
    await preview.wait_for(timeout=UI_TIMEOUT_MS)
    step("the card editor opened; switching to compact tiles updated the preview")


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
            page = await open_dashboard(browser, api, dark=False, width=1280, height=860)
            await check_tiles_and_groups(page)
            await check_card_picker(page)
            await check_meters_move(page)
            await switch_off_a_transmitter(page, api)
            await page.locator("micboard-card").screenshot(path=SCREENSHOTS / "micboard-light.png")

            early = await open_dashboard(
                browser, api, dark=False, width=1280, height=860, slow_app=True
            )
            await early.context.close()
            step("the card also appears when its module loads before Home Assistant's app")

            dark = await open_dashboard(browser, api, dark=True, width=1280, height=860)
            await check_dark_theme(dark)
            await dark.locator("micboard-card").screenshot(path=SCREENSHOTS / "micboard-dark.png")

            narrow = await open_dashboard(browser, api, dark=False, width=390, height=844)
            await check_fits(narrow, 390)
            await narrow.screenshot(path=SCREENSHOTS / "micboard-narrow.png", full_page=True)

            await open_editor(page)
            await page.screenshot(path=SCREENSHOTS / "micboard-editor.png")
        except BaseException:
            await photograph_failure()
            raise
        finally:
            await browser.close()
    step(f"screenshots in {SCREENSHOTS.relative_to(ROOT)}")
    if update_docs:
        DOC_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for name in ("micboard-light.png", "micboard-dark.png", "micboard-narrow.png"):
            shutil.copyfile(SCREENSHOTS / name, DOC_SCREENSHOTS / name)
        step(f"copied to {DOC_SCREENSHOTS.relative_to(ROOT)}")


async def main(update_docs: bool) -> None:
    """Start, prepare, check, stop; the log must hold no error from the integration."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for stale in [*ARTIFACTS.glob("failure-*"), *ARTIFACTS.glob("browser-*.log")]:
        stale.unlink()
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    hass = HomeAssistantProcess(free_port())
    step(f"starting Home Assistant on {hass.base} (log: {hass.log.relative_to(ROOT)})")
    hass.start()
    try:
        async with aiohttp.ClientSession() as session:
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
            entry_id = await add_demo_rack(api)
            step(f"Demo rack added (entry {entry_id})")
            await place_devices(api, entry_id)
            await create_dashboard(api)
            step(f"dashboard /{DASHBOARD} created")
            try:
                await run_browser(api, update_docs=update_docs)
            finally:
                await api.close()
        errors = hass.errors_from_micboard()
        if errors:
            raise E2EFailure("errors from the integration in the log:\n" + "\n".join(errors))
    finally:
        hass.stop()
    step("passed")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--no-docs", action="store_true", help="do not copy screenshots to docs/screenshots"
    )
    arguments = parser.parse_args()
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    try:
        asyncio.run(main(update_docs=not arguments.no_docs))
    except E2EFailure as failure:
        print(f"[e2e] FAILED: {failure}", file=sys.stderr, flush=True)
        sys.exit(1)
