"""Frame time of the Micboard card with 64 channels, in headless Chromium (not a test).

Run with ``scripts/card_frame_time`` (or ``scripts/e2e --frame-time``); options ``--runs``
(default 3) and ``--seconds`` (default 30, measured per run after a 5 s warm-up).

Scenarios, each run ``--runs`` times in a fresh page:

- ``demo-tiles`` and ``demo-display``: a real Home Assistant with a 64-channel Demo rack
  (16 receivers x 4 channels), the card subscribed at ``meter_rate: 10`` with 60 s of RF and
  audio history, as tiles (1920x1080, the page scrolls) and as the stage display (all 64
  visible). The Demo rack simulates receivers that meter at 4 Hz, so each meter message
  carries the channels that moved since the last one.
- ``synthetic-10hz-tiles`` and ``synthetic-10hz-display``: the card alone on a blank page,
  its subscription fed by the page itself with new meters for all 64 channels every 100 ms
  (the worst case: every channel of a rack metering at 10 Hz), as tiles and as the display.

What is measured, in the page:

- frame interval: time between consecutive ``requestAnimationFrame`` callbacks (16.7 ms at
  60 Hz when nothing is dropped);
- card work per frame: the card's own main-thread time in the frames where it ran (its meter
  and status flush plus the sparkline paint), from ``performance.now()`` around those calls;
- long animation frames (Long Animation Frames API, frames over 50 ms): count and worst.

Each scenario reports the median over the runs of each run's p50 / p95 / max, and the load
average of the machine before and after (``/proc/loadavg``). Nothing is asserted: timings
depend on the machine.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
import shutil
import statistics
import sys
from typing import Any

import aiohttp
from e2e_browser import (
    ARTIFACTS,
    CHROMIUM_FLAGS,
    DASHBOARD,
    ROOT,
    UI_TIMEOUT_MS,
    Api,
    E2EFailure,
    HomeAssistantProcess,
    add_demo_rack,
    create_dashboard,
    free_port,
    init_script,
    start_home_assistant,
    step,
)
from playwright.async_api import Browser, Page, Route, async_playwright

OUT = ROOT / "artifacts" / "frame-time"
FRONTEND = ROOT / "custom_components" / "micboard" / "frontend"
RECEIVERS, CHANNELS = 16, 4
TILES = RECEIVERS * CHANNELS
WARM_UP_SECONDS = 5.0
#: A frame interval above this lost at least one 60 Hz frame.
DROPPED_MS = 25.0
WIDTH, HEIGHT = 1920, 1080
TILES_CARD = {
    "type": "custom:micboard-card",
    "title": "64 channels",
    "meter_rate": 10,
    "history_seconds": 60,
    "group_by": "receiver",
}
DISPLAY_CARD = {**TILES_CARD, "view": "display", "group_by": "none"}
SYNTHETIC_ORIGIN = "http://micboard.frame.test"

#: Installed in the page before measuring: frame intervals, the card's work, long frames.
COLLECT = """() => {
    const card = customElements.get("micboard-card");
    const work = new Map(); // frame number -> ms of card work in that frame
    const parts = { _flush: [], _paintSparklines: [] }; // ms per call, by method
    let frame = 0;
    for (const name of Object.keys(parts)) {
        const original = card.prototype[name];
        card.prototype[name] = function (...args) {
            const start = performance.now();
            try { return original.apply(this, args); }
            finally {
                const spent = performance.now() - start;
                parts[name].push(spent);
                work.set(frame, (work.get(frame) || 0) + spent);
            }
        };
    }
    const intervals = [];
    let last = null;
    const tick = (now) => {
        if (last !== null) intervals.push(now - last);
        last = now;
        frame += 1;
        if (!window.__micboardFrameStop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    const long = [];
    try {
        new PerformanceObserver((list) => {
            for (const entry of list.getEntries()) {
                const end = entry.startTime + entry.duration;
                long.push({
                    duration: entry.duration,
                    script: entry.scripts.reduce((sum, s) => sum + s.duration, 0),
                    style_layout: entry.styleAndLayoutStart ? end - entry.styleAndLayoutStart : 0,
                    render: entry.renderStart ? end - entry.renderStart : 0,
                });
            }
        }).observe({ type: "long-animation-frame", buffered: false });
    } catch (err) { /* not supported: reported as null */ }
    window.__micboardFrames = () => ({
        intervals, work: [...work.values()], long, parts,
        longSupported: PerformanceObserver.supportedEntryTypes.includes("long-animation-frame"),
    });
}"""


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


def summarize(values: list[float]) -> dict[str, float]:
    """p50 / p95 / max of one run."""
    return {
        "p50": percentile(values, 0.50),
        "p95": percentile(values, 0.95),
        "max": max(values) if values else float("nan"),
        "n": len(values),
    }


def load_average() -> str:
    """The machine's load averages (1, 5, 15 min), as ``uptime`` shows them."""
    return " ".join(Path("/proc/loadavg").read_text(encoding="ascii").split()[:3])


async def measure_page(page: Page, seconds: float) -> dict[str, Any]:
    """Warm up, collect for ``seconds``, return the run's summaries."""
    await asyncio.sleep(WARM_UP_SECONDS)
    await page.evaluate(COLLECT)
    await asyncio.sleep(seconds)
    data = await page.evaluate(
        "() => { window.__micboardFrameStop = true; return window.__micboardFrames(); }"
    )
    return {
        "interval": summarize(data["intervals"]),
        "work": summarize(data["work"]),
        "flush": summarize(data["parts"]["_flush"]),
        "sparklines": summarize(data["parts"]["_paintSparklines"]),
        "dropped": sum(1 for value in data["intervals"] if value > DROPPED_MS)
        / max(1, len(data["intervals"])),
        "long_frames": len(data["long"]) if data["longSupported"] else None,
        "long_max": max((frame["duration"] for frame in data["long"]), default=0.0),
        # Where the long frames' time went: scripts, or style and layout, or the rest.
        "long_script": sum(frame["script"] for frame in data["long"]),
        "long_style_layout": sum(frame["style_layout"] for frame in data["long"]),
        "long_total": sum(frame["duration"] for frame in data["long"]),
    }


# -- synthetic: the card alone, fed 10 Hz meters for 64 channels by the page ----------------------

SYNTHETIC_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><style>
  :root { --success-color: #43a047; --warning-color: #ffa600; --error-color: #db4437;
    --pink-color: #e91e63; --disabled-color: #bdbdbd; --info-color: #039be5;
    --primary-color: #03a9f4; --primary-text-color: #212121; --secondary-text-color: #727272;
    --text-primary-color: #fff; --card-background-color: #fff; --divider-color: #e0e0e0; }
  body { margin: 0; padding: 8px; background: #fafafa; font-family: sans-serif; }
  ha-card { display: block; background: var(--card-background-color); border-radius: 12px; }
</style></head><body>
<script type="module">
  import "/micboard-card.js";
  const channels = [];
  for (let r = 0; r < %(receivers)d; r += 1) {
    for (let c = 1; c <= %(channels)d; c += 1) {
      channels.push({
        key: `e/rx${r}/${c}`, entry_id: "e", receiver_key: `e/rx${r}`, receiver_id: `rx${r}`,
        index: c, device_id: `d${r}-${c}`, area_id: null, labels: [], name: `Mic ${r * 4 + c}`,
        device_name: null, status_entity_id: `sensor.mic_${r}_${c}_status`, status: "good",
        features: ["battery_bars", "battery_percent", "battery_runtime", "rf_level", "audio_level",
                   "antenna", "rf_quality"],
        frequency_mhz: 470 + r + c / 4, low_battery: false,
        transmitter: { model: "TX-1", battery_bars: 4, battery_percent: 80, runtime_minutes: 300 },
        last_transmitter: null, audio_level: -30, audio_peak: -20, audio_clipping: false,
        rf_level: -60, rf_levels: [-60, -65], rf_quality: 90, antenna: "A", rf_problem: false,
      });
    }
  }
  const receivers = [...new Set(channels.map((c) => c.receiver_key))].map((key) => ({
    key, entry_id: "e", id: key.slice(2), name: `RX ${key.slice(4)}`, device_name: null,
    manufacturer: "Shure", model: "ULXD4Q", online: true, device_id: null, area_id: null }));
  const hass = {
    language: "en", themes: {}, states: {}, localize: (key) => key.split(".").pop(),
    connection: {
      subscribeMessage(callback) {
        // Like Home Assistant's connection: events arrive after the subscription is made.
        setTimeout(() => callback({ type: "snapshot", meter_rate: 10, areas: {}, labels: {},
          channels, receivers, entries: [{ entry_id: "e", title: "Rack", state: "loaded",
            available: true, manufacturer: "Shure", protocol: "shure_tcp",
            connection: "connected" }] }));
        let t = 0;
        setInterval(() => {
          t += 1;
          callback({ type: "meters", channels: channels.map((c, i) => ({
            key: c.key,
            audio_level: -45 + 30 * Math.abs(Math.sin((t + i) / 7)),
            audio_peak: -35 + 30 * Math.abs(Math.sin((t + i) / 5)),
            audio_clipping: false,
            rf_level: -85 + 40 * Math.abs(Math.cos((t + 2 * i) / 11)),
            rf_levels: [-70, -72], rf_quality: 80 + (t + i) %% 20,
            antenna: (t + i) %% 20 < 10 ? "A" : "B", rf_problem: false })) });
        }, 100);
        return Promise.resolve(() => {});
      },
    },
  };
  const card = document.createElement("micboard-card");
  card.setConfig(%(config)s);
  document.body.append(card);
  card.hass = hass;
</script></body></html>
"""


async def synthetic_page(browser: Browser, card: dict[str, Any]) -> Page:
    """The card on a blank page, its files served from the repository."""
    context = await browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    page = await context.new_page()
    html = SYNTHETIC_PAGE % {
        "receivers": RECEIVERS,
        "channels": CHANNELS,
        "config": json.dumps(card),
    }

    async def serve(route: Route) -> None:
        path = route.request.url.removeprefix(SYNTHETIC_ORIGIN).split("?")[0]
        if path in {"/", "/index.html"}:
            await route.fulfill(body=html, content_type="text/html")
            return
        file = FRONTEND / path.lstrip("/")
        if file.parent != FRONTEND or not file.is_file():
            await route.fulfill(status=404, body="")
            return
        await route.fulfill(body=file.read_text(encoding="utf-8"), content_type="text/javascript")

    await page.route(f"{SYNTHETIC_ORIGIN}/**", serve)
    await page.goto(f"{SYNTHETIC_ORIGIN}/")
    await page.locator("micboard-card .tile").nth(TILES - 1).wait_for(timeout=UI_TIMEOUT_MS)
    return page


async def dashboard_page(browser: Browser, api: Api, view: str) -> Page:
    """The Home Assistant dashboard view, logged in, once all 64 tiles are there."""
    context = await browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    await context.add_init_script(init_script(api))
    page = await context.new_page()
    await page.goto(f"{api.base}/{DASHBOARD}/{view}")
    await page.locator("micboard-card .tile").nth(TILES - 1).wait_for(timeout=UI_TIMEOUT_MS)
    return page


def report(results: dict[str, list[dict[str, Any]]], loads: tuple[str, str]) -> str:
    """A Markdown table: per scenario the median over runs of each statistic."""

    def median(runs: list[dict[str, Any]], group: str, stat: str) -> float:
        return statistics.median(run[group][stat] for run in runs)

    lines = [
        f"Load average (1/5/15 min) before: {loads[0]}; after: {loads[1]}; {os.cpu_count()} CPUs.",
        "",
        (
            "| Scenario | Runs | Frame interval p50 / p95 / max (ms) | Frames > 25 ms "
            "| Card work per frame p50 / p95 / max (ms) | Long frames (> 50 ms) |"
        ),
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, runs in results.items():
        longs = [run["long_frames"] for run in runs]
        lines.append(
            f"| {name} | {len(runs)} "
            f"| {median(runs, 'interval', 'p50'):.1f} / {median(runs, 'interval', 'p95'):.1f} / "
            f"{median(runs, 'interval', 'max'):.1f} "
            f"| {100 * statistics.median(run['dropped'] for run in runs):.1f} % "
            f"| {median(runs, 'work', 'p50'):.2f} / {median(runs, 'work', 'p95'):.2f} / "
            f"{median(runs, 'work', 'max'):.2f} "
            f"| {'n/a' if None in longs else statistics.median(longs)} "
            f"(worst {max(run['long_max'] for run in runs):.0f} ms) |"
        )
    return "\n".join(lines)


async def measure(runs: int, seconds: float, only: str | None = None) -> None:
    """Every scenario (or those whose name contains ``only``), ``runs`` times; report."""
    OUT.mkdir(parents=True, exist_ok=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise E2EFailure("Chromium is not installed (scripts/e2e installs Debian's chromium)")
    before = load_average()
    results: dict[str, list[dict[str, Any]]] = {}
    hass = HomeAssistantProcess(free_port(), OUT)
    try:
        async with aiohttp.ClientSession() as session:
            api = await start_home_assistant(session, hass)
            await add_demo_rack(api, "Frame rack", RECEIVERS, CHANNELS)
            await create_dashboard(
                api,
                [
                    {"title": "Tiles", "path": "tiles", "panel": True, "cards": [TILES_CARD]},
                    {"title": "Display", "path": "display", "panel": True, "cards": [DISPLAY_CARD]},
                ],
            )
            step(f"{TILES}-channel Demo rack and dashboard ready")
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=chromium, args=CHROMIUM_FLAGS
                )
                try:
                    scenarios = {
                        "demo-tiles": lambda: dashboard_page(browser, api, "tiles"),
                        "demo-display": lambda: dashboard_page(browser, api, "display"),
                        "synthetic-10hz-tiles": lambda: synthetic_page(browser, TILES_CARD),
                        "synthetic-10hz-display": lambda: synthetic_page(browser, DISPLAY_CARD),
                    }
                    for name, open_page in scenarios.items():
                        if only and only not in name:
                            continue
                        for run in range(runs):
                            page = await open_page()
                            result = await measure_page(page, seconds)
                            await page.context.close()
                            results.setdefault(name, []).append(result)
                            step(f"{name} run {run + 1}/{runs}: {json.dumps(result)}")
                finally:
                    await browser.close()
            await api.close()
    finally:
        hass.stop()
    table = report(results, (before, load_average()))
    (OUT / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (OUT / "report.md").write_text(table + "\n")
    print(table, flush=True)
    print(f"[frame-time] raw runs in {(OUT / 'results.json').relative_to(ROOT)}", file=sys.stderr)
