// micboard-card: every wireless microphone channel at a glance, Micboard style.
//
// Served by the Micboard integration and loaded into every dashboard automatically. Live data
// comes from the integration's micboard/subscribe websocket command (a snapshot, then status
// deltas and meters at up to 10 Hz) rather than from entity states, so moving meters never
// touch Home Assistant's state machine or recorder.
//
// Plain JavaScript and a plain custom element: nothing to build, nothing fetched at run time.

import {
  FIELDS,
  LiveModel,
  STATUS_TEXT,
  audioPercent,
  batteryBars,
  formatFrequency,
  formatLevel,
  formatRuntime,
  normalizeConfig,
  rfPercent,
  subscribeMessage,
} from "./micboard-model.js";
import { CARD_STYLES } from "./micboard-styles.js";

const DOCS_URL = "https://github.com/micboard-ha/micboard-homeassistant#the-micboard-card";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** One tile's DOM, built once and updated in place (meters update many times a second). */
class TileView {
  constructor(key, show) {
    this.key = key;
    this.root = el("div", "tile");
    this.root.dataset.key = key;
    this.root.setAttribute("role", "group");
    const head = el("div", "head");
    this.chid = el("span", "chid");
    this.name = el("span", "name");
    this.statusText = el("span", "status-text");
    head.append(this.chid, this.name);
    if (show.has("status_text")) head.append(this.statusText);
    this.root.append(head);

    if (show.has("battery") || show.has("runtime")) {
      this.battery = el("div", "battery");
      this.bars = el("span", "bars");
      for (let i = 0; i < 5; i += 1) this.bars.append(el("i"));
      this.runtime = el("span", "runtime");
      this.percent = el("span", "percent");
      if (show.has("battery")) this.battery.append(this.bars, this.percent);
      if (show.has("runtime")) this.battery.append(this.runtime);
      this.root.append(this.battery);
    }

    if (show.has("rf") || show.has("audio")) {
      const meters = el("div", "meters");
      if (show.has("rf")) {
        this.rf = this._meter("rf", "RF");
        if (show.has("antenna")) {
          this.antennas = el("span", "antennas");
          this.rf.label.after(this.antennas);
          this.rf.root.classList.add("with-antennas");
        }
        meters.append(this.rf.root);
      }
      if (show.has("audio")) {
        this.audio = this._meter("audio", "AF");
        this.audio.peak = el("div", "peak");
        this.audio.track.append(this.audio.peak);
        meters.append(this.audio.root);
      }
      this.root.append(meters);
    }

    const info = el("div", "info");
    this.quality = el("span", "quality");
    this.frequency = el("span", "frequency");
    this.txModel = el("span", "tx-model");
    if (show.has("quality")) info.append(this.quality);
    if (show.has("frequency")) info.append(this.frequency);
    if (show.has("tx_model")) info.append(this.txModel);
    if (info.childElementCount) this.root.append(info);
  }

  _meter(kind, label) {
    const root = el("div", `meter ${kind}`);
    const labelNode = el("label", "", label);
    const track = el("div", "track");
    const fill = el("div", "fill");
    const value = el("span", "value");
    track.append(fill);
    root.append(labelNode, track, value);
    return { root, label: labelNode, track, fill, value };
  }

  /** Everything but the meters: status colour, names, battery. */
  updateStatus(model, channel) {
    const status = model.displayStatus(channel);
    this.root.dataset.status = status;
    this.chid.textContent = String(channel.index);
    this.name.textContent = channel.name || `Channel ${channel.index}`;
    this.statusText.textContent = STATUS_TEXT[status];
    const receiver = model.receiverOf(channel);
    this.root.title = `${receiver ? receiver.name : channel.receiver_id} · channel ${channel.index}`;
    const battery = model.battery(channel);
    const transmitter = battery ? battery.transmitter : null;
    let label = `${this.name.textContent}: ${STATUS_TEXT[status]}`;
    if (this.battery) {
      this.battery.dataset.stale = String(Boolean(battery && battery.stale));
      const bars = batteryBars(transmitter);
      [...this.bars.children].forEach((bar, i) => bar.classList.toggle("on", bars !== null && i < bars));
      this.bars.dataset.bars = bars === null ? "" : String(bars);
      const percent = transmitter ? transmitter.battery_percent : null;
      this.percent.textContent = percent === null || percent === undefined ? "" : `${percent}%`;
      // A transmitter that reports no runtime gets the integration's estimate: "~1:20".
      const reported = transmitter ? transmitter.runtime_minutes : null;
      const estimate = channel.runtime_estimated ? channel.runtime_estimate_minutes : null;
      this.runtime.textContent =
        reported !== null && reported !== undefined
          ? formatRuntime(reported)
          : estimate !== null && estimate !== undefined
            ? `~${formatRuntime(estimate)}`
            : "";
      this.runtime.title = this.runtime.textContent.startsWith("~") ? "Estimated runtime" : "";
      if (percent !== null && percent !== undefined) label += `, battery ${percent}%`;
    }
    this.root.setAttribute("aria-label", label);
    if (channel.device_id) this.root.dataset.deviceId = channel.device_id;
    // Only what the device reports: no empty meter for a receiver without audio metering.
    const features = new Set(channel.features || []);
    if (this.battery) {
      this.battery.hidden = !["battery_bars", "battery_percent", "battery_runtime"].some((f) =>
        features.has(f),
      );
    }
    if (this.rf) this.rf.root.hidden = !features.has("rf_level");
    if (this.audio) this.audio.root.hidden = !features.has("audio_level");
    if (this.antennas) this.antennas.hidden = !features.has("antenna");
    this.frequency.textContent = formatFrequency(channel.frequency_mhz);
    this.txModel.textContent = transmitter && transmitter.model ? transmitter.model : "";
    this.updateMeters(channel);
  }

  /** RF, audio, antenna and quality: called at the meter rate. */
  updateMeters(channel) {
    if (this.rf) {
      const percent = rfPercent(channel.rf_level);
      this.rf.fill.style.width = `${percent}%`;
      this.rf.root.dataset.value = channel.rf_level ?? "";
      this.rf.root.dataset.problem = String(channel.rf_problem === true);
      this.rf.value.textContent = formatLevel(channel.rf_level, "dBm");
    }
    if (this.antennas) {
      const count = Math.max(channel.rf_levels ? channel.rf_levels.length : 0, 0);
      const active = channel.antenna || "";
      const names = count ? "AB".slice(0, count).split("") : [];
      if (this.antennas.childElementCount !== names.length) {
        this.antennas.replaceChildren(...names.map((name) => el("b", "", name)));
      }
      [...this.antennas.children].forEach((node) => {
        node.classList.toggle("active", active.includes(node.textContent));
      });
    }
    if (this.audio) {
      this.audio.fill.style.width = `${audioPercent(channel.audio_level)}%`;
      this.audio.peak.style.left = `${audioPercent(channel.audio_peak)}%`;
      this.audio.root.dataset.value = channel.audio_level ?? "";
      const peak = channel.audio_peak ?? -120;
      // The device's own clip flag first (the status uses it too); -3 dBFS where it has none.
      this.audio.root.dataset.zone =
        channel.audio_clipping || peak >= -3 ? "clip" : peak >= -12 ? "hot" : "ok";
      this.audio.value.textContent = formatLevel(channel.audio_level, "dBFS");
    }
    if (this.quality) {
      this.quality.textContent =
        channel.rf_quality === null || channel.rf_quality === undefined
          ? ""
          : `Q ${channel.rf_quality}%`;
    }
  }
}

class MicboardCard extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this._model = new LiveModel();
    this._views = new Map(); // channel key -> [TileView] (a channel can be in several groups)
    this._pendingMeters = new Set();
    this._pendingStatus = new Set();
    this._frame = null;
    this._unsubscribe = null;
    this._subscribedWith = null;
    this._error = null;
  }

  static async getConfigElement() {
    await import("./micboard-card-editor.js");
    return document.createElement("micboard-card-editor");
  }

  static getStubConfig() {
    return { group_by: "receiver", tile_size: "large" };
  }

  setConfig(config) {
    this._config = normalizeConfig(config);
    this._buildShell();
    this._rebuild();
    this._resubscribe();
  }

  set hass(hass) {
    // Called on every state change in Home Assistant: only the first one matters here, the
    // data comes from the subscription.
    this._hass = hass;
    if (this._subscribedWith === null) this._resubscribe();
  }

  get hass() {
    return this._hass;
  }

  connectedCallback() {
    this._resubscribe();
  }

  disconnectedCallback() {
    this._stop();
  }

  getCardSize() {
    // Rows of 50 px in masonry views: about three tiles per row, 2-3 rows per tile row.
    const tiles = this._model.order.length || 4;
    const compact = this._config && this._config.tile_size === "compact";
    return 1 + Math.ceil(tiles / 3) * (compact ? 2 : 3);
  }

  getGridOptions() {
    return { columns: "full", min_columns: 6, min_rows: 2 };
  }

  // -- subscription ---------------------------------------------------------------------------

  _stop() {
    const unsubscribe = this._unsubscribe;
    this._unsubscribe = null;
    this._subscribedWith = null;
    if (unsubscribe) {
      unsubscribe.then((unsub) => unsub && unsub()).catch(() => {});
    }
  }

  /**
   * Subscribe for the current configuration, once: a failed subscription (an unknown area in
   * the filter, say) shows its error and is retried only when the configuration changes or
   * the card is shown again. Home Assistant's connection resubscribes by itself after a
   * reconnect, and the new snapshot rebuilds the tiles.
   */
  _resubscribe() {
    if (!this._config || !this._hass || !this.isConnected) return;
    const message = subscribeMessage(this._config);
    const signature = JSON.stringify(message);
    if (signature === this._subscribedWith) return;
    this._stop();
    this._subscribedWith = signature;
    this._error = null;
    // Events of a subscription being replaced (the options changed) are dropped.
    const subscription = this._hass.connection.subscribeMessage((event) => {
      if (this._unsubscribe === subscription) this._onEvent(event);
    }, message);
    this._unsubscribe = subscription;
    subscription.catch((err) => {
      if (this._unsubscribe !== subscription) return;
      this._unsubscribe = null;
      this._error = (err && err.message) || String(err);
      this._rebuild();
    });
  }

  _onEvent(event) {
    const change = this._model.apply(event);
    if (change.kind === "rebuild") {
      this._rebuild();
      return;
    }
    const pending = change.kind === "status" ? this._pendingStatus : this._pendingMeters;
    for (const key of change.keys) pending.add(key);
    if (this._frame === null) {
      this._frame = requestAnimationFrame(() => this._flush());
    }
  }

  _flush() {
    this._frame = null;
    for (const key of this._pendingStatus) {
      const channel = this._model.channels.get(key);
      for (const view of this._views.get(key) || []) view.updateStatus(this._model, channel);
      this._pendingMeters.delete(key);
    }
    for (const key of this._pendingMeters) {
      const channel = this._model.channels.get(key);
      for (const view of this._views.get(key) || []) view.updateMeters(channel);
    }
    this._pendingStatus.clear();
    this._pendingMeters.clear();
  }

  // -- rendering ------------------------------------------------------------------------------

  _buildShell() {
    if (this._card) {
      this._header.textContent = this._config.title;
      this._header.hidden = !this._config.title;
      return;
    }
    const style = document.createElement("style");
    style.textContent = CARD_STYLES;
    this._card = document.createElement("ha-card");
    this._header = el("div", "header", this._config.title);
    this._header.hidden = !this._config.title;
    this._body = el("div", "body");
    this._card.append(this._header, this._body);
    this.shadowRoot.append(style, this._card);
  }

  _rebuild() {
    if (!this._body) return;
    this._views.clear();
    this._pendingMeters.clear();
    this._pendingStatus.clear();
    const config = this._config;
    if (this._error) {
      this._body.replaceChildren(el("div", "message error", this._error));
      return;
    }
    if (!this._model.ready) {
      this._body.replaceChildren(el("div", "message", "Connecting…"));
      return;
    }
    if (!this._model.order.length) {
      const text = this._model.entries.size
        ? "No microphone channels match this card's filters."
        : "No Micboard receivers yet: add the Micboard integration (or its Demo rack).";
      this._body.replaceChildren(el("div", "message empty", text));
      return;
    }
    const groups = this._model.groups(config.group_by);
    const nodes = groups.map((group) => {
      const section = el("section", "group");
      section.dataset.group = group.key;
      if (config.group_by !== "none") section.append(el("div", "group-title", group.title));
      const grid = el("div", `grid ${config.tile_size}`);
      for (const key of group.keys) {
        const view = new TileView(key, config.show);
        view.updateStatus(this._model, this._model.channels.get(key));
        if (!this._views.has(key)) this._views.set(key, []);
        this._views.get(key).push(view);
        grid.append(view.root);
      }
      section.append(grid);
      return section;
    });
    this._body.replaceChildren(...nodes);
  }
}

function defineCard() {
  if (!customElements.get("micboard-card")) {
    customElements.define("micboard-card", MicboardCard);
  }
}

// Home Assistant's app bundle installs a scoped custom-element-registry polyfill when it
// starts, which replaces window.customElements; an element defined before that is unknown to
// the registry the dashboards then use ("Custom element doesn't exist"). This module is
// imported by the page at the same time as the app, so on the main page it waits for the app
// (<home-assistant> defined) before defining the card. Elsewhere it defines the card at once.
if (document.querySelector("home-assistant") && !customElements.get("home-assistant")) {
  customElements.whenDefined("home-assistant").then(defineCard);
} else {
  defineCard();
}

window.customCards = window.customCards || [];
if (!window.customCards.some((card) => card.type === "micboard-card")) {
  window.customCards.push({
    type: "micboard-card",
    name: "Micboard",
    description:
      "Every wireless microphone channel at a glance: battery, runtime, live RF and audio, status colours.",
    preview: true,
    documentationURL: DOCS_URL,
    // Offered in the card picker when one of the integration's entities is selected.
    getEntitySuggestion: (hass, entityId) => {
      const entity = hass && hass.entities ? hass.entities[entityId] : undefined;
      if (!entity || entity.platform !== "micboard" || !entity.device_id) return null;
      return [
        {
          label: "This receiver or channel",
          config: { type: "custom:micboard-card", device_id: [entity.device_id] },
        },
        { label: "All microphones", config: { type: "custom:micboard-card", group_by: "receiver" } },
      ];
    },
  });
}

export { FIELDS, MicboardCard };
