// micboard-card: every wireless microphone channel at a glance, Micboard style.
//
// Served by the Micboard integration and loaded into every dashboard automatically. Live data
// comes from the integration's micboard/subscribe websocket command (a snapshot, then status
// deltas and meters at up to 10 Hz) rather than from entity states, so moving meters never
// touch Home Assistant's state machine or recorder. Three views: tiles (the default), a
// full-screen high-contrast display for a monitor beside the stage, and a layout table for
// technicians (receiver -> channel -> frequency, clashes flagged).
//
// Plain JavaScript and a plain custom element: nothing to build, nothing fetched at run time.

import { HistoryStore, HISTORY_POINTS, drawSparkline } from "./micboard-history.js";
import { CardStrings } from "./micboard-i18n.js";
import {
  FIELDS,
  LiveModel,
  audioPercent,
  batteryBars,
  fillGrid,
  formatFrequency,
  formatLevel,
  formatRuntime,
  normalizeConfig,
  personPicture,
  pictureIndex,
  pictureSlug,
  rfPercent,
  subscribeMessage,
  tileNames,
} from "./micboard-model.js";
import { CARD_STYLES } from "./micboard-styles.js";

const DOCS_URL = "https://github.com/micboard-ha/micboard-homeassistant#the-micboard-card";
/** A press at least this long is a hold (Home Assistant's cards use the same). */
const HOLD_MS = 500;
/** The numbers beside the meters change at most this often (see TileView._numbers). */
const NUMBERS_MS = 250;
/** Sparklines redrawn per animation frame (see _drawHistory). */
const SPARKLINES_PER_FRAME = 16;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** One tile's DOM, built once and updated in place (meters update many times a second). */
class TileView {
  constructor(key, show, strings, withHistory) {
    this.key = key;
    this.strings = strings;
    this._numbersAt = -Infinity; // when the numbers were last written
    this._numbersTimer = null;
    this._latest = null;
    this._rfQualityOnly = false; // RF shown as quality % (set from the channel's features)
    this._antennaCount = 0;
    this.root = el("div", "tile");
    this.root.dataset.key = key;
    // A tile is a button: a tap opens the channel (tap_action), Enter and Space too.
    this.root.setAttribute("role", "button");
    this.root.tabIndex = 0;
    this.picture = el("div", "picture");
    this.picture.hidden = true;
    this.root.append(this.picture);
    const head = el("div", "head");
    this.chid = el("span", "chid");
    this.names = el("span", "names");
    this.name = el("span", "name");
    this.subname = el("span", "subname");
    this.names.append(this.name, this.subname);
    this.statusText = el("span", "status-text");
    head.append(this.chid, this.names);
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
        this.rf = this._meter("rf", strings.t("meter.rf"));
        if (show.has("antenna")) {
          this.antennas = el("span", "antennas");
          this.rf.label.after(this.antennas);
          this.rf.root.classList.add("with-antennas");
        }
        meters.append(this.rf.root);
      }
      if (show.has("audio")) {
        this.audio = this._meter("audio", strings.t("meter.audio"));
        this.audio.peak = el("div", "peak");
        this.audio.track.append(this.audio.peak);
        meters.append(this.audio.root);
      }
      this.root.append(meters);
      if (withHistory) {
        this.spark = el("canvas", "spark");
        this.spark.setAttribute("aria-hidden", "true");
        this.spark.dataset.rf = String(show.has("rf"));
        this.spark.dataset.audio = String(show.has("audio"));
        this.root.append(this.spark);
      }
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

  /** Everything but the meters: status colour, names, picture, battery. */
  updateStatus(model, channel, picture) {
    const t = (key, values) => this.strings.t(key, values);
    const status = model.displayStatus(channel);
    this.root.dataset.status = status;
    this.chid.textContent = String(channel.index);
    const names = tileNames(channel, t("channel", { index: channel.index }));
    this.name.textContent = names.primary;
    this.subname.textContent = names.secondary;
    this.subname.hidden = !names.secondary;
    this.root.dataset.extended = String(Boolean(channel.device_name));
    this.statusText.textContent = t(`status.${status}`);
    const receiver = model.receiverName(channel);
    this.root.title = t("tile_title", { receiver, index: channel.index });
    this.setPicture(picture);
    const battery = model.battery(channel);
    const transmitter = battery ? battery.transmitter : null;
    const percent = transmitter ? transmitter.battery_percent : null;
    const known = percent !== null && percent !== undefined;
    const spoken = { name: names.primary, status: this.strings.statusName(status), percent };
    this.root.setAttribute("aria-label", t(known ? "aria_battery" : "aria", spoken));
    if (this.battery) {
      this.battery.dataset.stale = String(Boolean(battery && battery.stale));
      const bars = batteryBars(transmitter);
      [...this.bars.children].forEach((bar, i) =>
        bar.classList.toggle("on", bars !== null && i < bars),
      );
      this.bars.dataset.bars = bars === null ? "" : String(bars);
      this.percent.textContent = known ? `${percent}%` : "";
      // A transmitter that reports no runtime gets the integration's estimate: "~1:20".
      const reported = transmitter ? transmitter.runtime_minutes : null;
      const estimate = channel.runtime_estimated ? channel.runtime_estimate_minutes : null;
      this.runtime.textContent =
        reported !== null && reported !== undefined
          ? formatRuntime(reported)
          : estimate !== null && estimate !== undefined
            ? `~${formatRuntime(estimate)}`
            : "";
      this.runtime.title = this.runtime.textContent.startsWith("~") ? t("runtime_estimated") : "";
    }
    if (channel.device_id) this.root.dataset.deviceId = channel.device_id;
    // Only what the device reports: no empty meter for a receiver without audio metering.
    const features = new Set(channel.features || []);
    if (this.battery) {
      this.battery.hidden = !["battery_bars", "battery_percent", "battery_runtime"].some((f) =>
        features.has(f),
      );
    }
    // A receiver whose RF is only a quality percentage (UHF-R: no dBm is documented) fills
    // the RF bar with that percentage instead.
    this._rfQualityOnly = !features.has("rf_level") && features.has("rf_quality");
    this._antennaCount = this._rfQualityOnly && features.has("antenna") ? 2 : 0;
    if (this.rf) this.rf.root.hidden = !features.has("rf_level") && !this._rfQualityOnly;
    if (this.audio) this.audio.root.hidden = !features.has("audio_level");
    if (this.antennas) this.antennas.hidden = !features.has("antenna");
    if (this.spark) {
      this.spark.hidden = !features.has("rf_level") && !features.has("audio_level");
    }
    this.frequency.textContent = formatFrequency(channel.frequency_mhz);
    this.txModel.textContent = transmitter && transmitter.model ? transmitter.model : "";
    this.updateMeters(channel);
  }

  /** A background picture (a URL), or none. */
  setPicture(url) {
    if ((url || "") === (this.picture.dataset.url || "")) return;
    this.picture.dataset.url = url || "";
    this.picture.style.backgroundImage = url ? `url("${url.replace(/"/g, "%22")}")` : "";
    this.picture.hidden = !url;
    this.root.classList.toggle("has-picture", Boolean(url));
  }

  /** RF, audio, antenna and quality: called at the meter rate, so it writes only changes. */
  updateMeters(channel) {
    if (this.rf) {
      const fill = this._rfQualityOnly ? (channel.rf_quality ?? 0) : rfPercent(channel.rf_level);
      set(this.rf.fill.style, "width", `${Math.round(fill)}%`);
      const value = this._rfQualityOnly ? channel.rf_quality : channel.rf_level;
      set(this.rf.root.dataset, "value", String(value ?? ""));
      set(this.rf.root.dataset, "problem", String(channel.rf_problem === true));
    }
    if (this.antennas) {
      // One letter per antenna: as many as RF levels (UHF-R, with none: its two antennas).
      const count = (channel.rf_levels && channel.rf_levels.length) || this._antennaCount || 0;
      const active = channel.antenna || "";
      const names = count ? "AB".slice(0, count).split("") : [];
      if (this.antennas.childElementCount !== names.length) {
        this.antennas.replaceChildren(...names.map((name) => el("b", "", name)));
      }
      for (const node of this.antennas.children) {
        const on = active.includes(node.textContent);
        if (node.classList.contains("active") !== on) node.classList.toggle("active", on);
      }
    }
    if (this.audio) {
      set(this.audio.fill.style, "width", `${Math.round(audioPercent(channel.audio_level))}%`);
      // Whole percent: a bar that moves less than that is not redrawn.
      const peak = Math.round(audioPercent(channel.audio_peak));
      set(this.audio.peak.style, "left", `calc(${peak}% - 1px)`);
      set(this.audio.root.dataset, "value", String(channel.audio_level ?? ""));
      const peakDb = channel.audio_peak ?? -120;
      // The device's own clip flag first (the status uses it too); -3 dBFS where it has none.
      const zone = channel.audio_clipping || peakDb >= -3 ? "clip" : peakDb >= -12 ? "hot" : "ok";
      set(this.audio.root.dataset, "zone", zone);
    }
    this._numbers(channel);
  }

  /**
   * The numbers beside the meters at most every NUMBERS_MS (bars move at the full rate):
   * a number that changes ten times a second cannot be read, and each change costs a text
   * layout. The latest values are written when the wait is over.
   */
  _numbers(channel, now = performance.now()) {
    this._latest = channel;
    const wait = this._numbersAt + NUMBERS_MS - now;
    if (wait > 0) {
      if (this._numbersTimer === null) {
        this._numbersTimer = setTimeout(() => {
          this._numbersTimer = null;
          this._numbers(this._latest);
        }, wait);
      }
      return;
    }
    this._numbersAt = now;
    if (this.rf) {
      setText(
        this.rf.value,
        this._rfQualityOnly
          ? formatLevel(channel.rf_quality, "%")
          : formatLevel(channel.rf_level, "dBm"),
      );
    }
    if (this.audio) setText(this.audio.value, formatLevel(channel.audio_level, "dBFS"));
    if (this.quality) {
      setText(
        this.quality,
        channel.rf_quality === null || channel.rf_quality === undefined
          ? ""
          : this.strings.t("quality", { percent: channel.rf_quality }),
      );
    }
  }
}

/** Write a style or dataset property only when it changes (a write invalidates style). */
function set(target, key, value) {
  if (target[key] !== value) target[key] = value;
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

class MicboardCard extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this._model = new LiveModel();
    this._strings = new CardStrings();
    this._views = new Map(); // channel key -> [TileView] (a channel can be in several groups)
    this._pendingMeters = new Set();
    this._pendingStatus = new Set();
    this._frame = null;
    this._unsubscribe = null;
    this._subscribedWith = null;
    this._error = null;
    this._history = null;
    this._historyStore = null; // the store this card's sparklines follow
    this._sparkQueue = [];
    this._sparkFrame = null;
    this._onHistoryTick = () => this._drawHistory();
    this._sparkSizes = new WeakMap();
    this._sparkStyle = null;
    this._pictures = { asked: null, url: null, index: new Map() }; // the listed picture folder
    this._personIds = [];
    this._personStates = [];
    this._displayGroup = 0; // 0: all groups; n: the n-th group (keys 1-9)
    this._sortBy = null;
    this._press = null;
    this._onKeyDown = (event) => this._displayKey(event);
    this._onResize = () => this._fitDisplay();
    this._resizeObserver = new ResizeObserver((entries) => this._resized(entries));
  }

  static async getConfigElement() {
    await import("./micboard-card-editor.js");
    return document.createElement("micboard-card-editor");
  }

  static getStubConfig() {
    return { group_by: "receiver", tile_size: "large" };
  }

  setConfig(config) {
    const previous = this._config;
    this._config = normalizeConfig(config);
    if (!previous || previous.sort_by !== this._config.sort_by) this._sortBy = this._config.sort_by;
    if (!this._history || this._history.seconds !== this._config.history_seconds) {
      this._stopTimers();
      this._history = this._config.history_seconds
        ? HistoryStore.shared(this._config.history_seconds)
        : null;
    }
    this._buildShell();
    this._rebuild();
    this._resubscribe();
    this._startTimers();
    this._loadPictures();
  }

  set hass(hass) {
    // Called on every state change in Home Assistant: the data comes from the subscription;
    // only the language, the theme and the people's pictures are followed here.
    const first = !this._hass;
    const previous = this._hass;
    this._hass = hass;
    if (!this._strings.readyFor(hass)) {
      this._strings.load(hass).then((loaded) => loaded && this._rebuild());
    } else {
      this._strings.update(hass);
    }
    if (previous && previous.themes !== hass.themes) this._sparkStyle = null;
    if (this._subscribedWith === null) this._resubscribe();
    if (first) this._loadPictures();
    if (this._config && this._config.person_pictures && this._personsChanged()) {
      this._refreshPictures();
    }
  }

  get hass() {
    return this._hass;
  }

  connectedCallback() {
    this._resubscribe();
    this._startTimers();
    window.addEventListener("keydown", this._onKeyDown);
    window.addEventListener("resize", this._onResize);
    document.addEventListener("fullscreenchange", this._onResize);
  }

  disconnectedCallback() {
    this._stop();
    this._stopTimers();
    window.removeEventListener("keydown", this._onKeyDown);
    window.removeEventListener("resize", this._onResize);
    document.removeEventListener("fullscreenchange", this._onResize);
  }

  getCardSize() {
    // Rows of 50 px in masonry views: about three tiles per row, 2-3 rows per tile row.
    const tiles = this._model.order.length || 4;
    if (this._config && this._config.view === "layout") return 2 + Math.ceil(tiles / 2);
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
    if (this._history) {
      for (const key of change.keys) {
        const channel = this._model.channels.get(key);
        if (channel) this._history.record(channel);
      }
    }
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
    const statusChanged = this._pendingStatus.size > 0;
    for (const key of this._pendingStatus) {
      const channel = this._model.channels.get(key);
      const picture = this._pictureFor(channel);
      for (const view of this._views.get(key) || []) {
        view.updateStatus(this._model, channel, picture);
      }
      this._pendingMeters.delete(key);
    }
    for (const key of this._pendingMeters) {
      const channel = this._model.channels.get(key);
      for (const view of this._views.get(key) || []) view.updateMeters(channel);
    }
    this._pendingStatus.clear();
    this._pendingMeters.clear();
    if (statusChanged) {
      this._renderFooter();
      if (this._config.view === "layout") this._renderLayout();
    }
  }

  // -- history --------------------------------------------------------------------------------

  _startTimers() {
    this._stopTimers();
    if (!this._history || !this.isConnected) return;
    this._historyStore = this._history;
    this._history.attach(this._onHistoryTick);
  }

  _stopTimers() {
    if (this._historyStore) this._historyStore.detach(this._onHistoryTick);
    this._historyStore = null;
  }

  _resized(entries) {
    for (const entry of entries) {
      if (entry.target.tagName === "CANVAS") {
        this._sparkSizes.set(entry.target, {
          width: entry.contentRect.width,
          height: entry.contentRect.height,
        });
      }
    }
    this._drawHistory();
  }

  /**
   * Redraw every sparkline (they change once per history bucket), a few per frame: all 64 of
   * a large rack in one frame would be the one frame that stutters.
   */
  _drawHistory() {
    if (!this._history) return;
    this._sparkQueue = [...this._views.values()].flat().filter((view) => view.spark);
    if (this._sparkFrame) return;
    const next = () => {
      this._sparkFrame = null;
      this._paintSparklines(this._sparkQueue.splice(0, SPARKLINES_PER_FRAME));
      if (this._sparkQueue.length) this._sparkFrame = requestAnimationFrame(next);
    };
    this._sparkFrame = requestAnimationFrame(next);
  }

  _paintSparklines(views) {
    if (!this._history) return;
    const style = this._sparkline();
    const ratio = window.devicePixelRatio || 1;
    for (const view of views) {
      const canvas = view.spark;
      if (!canvas.isConnected || canvas.hidden) continue;
      const size = this._sparkSizes.get(canvas);
      if (!size || !size.width) continue;
      const width = Math.round(size.width * ratio);
      const height = Math.round(size.height * ratio);
      if (canvas.width !== width || canvas.height !== height) {
        canvas.width = width;
        canvas.height = height;
      }
      const history = this._history.get(view.key);
      drawSparkline(canvas.getContext("2d"), width, height, history, HISTORY_POINTS, {
        ...style,
        lineWidth: Math.max(1, ratio),
        rf: canvas.dataset.rf === "true" ? style.rf : "transparent",
        audio: canvas.dataset.audio === "true" ? style.audio : "transparent",
      });
    }
  }

  /** Sparkline colours from the theme (CSS variables resolve only through computed style). */
  _sparkline() {
    if (!this._sparkStyle) {
      const probe = this.shadowRoot.querySelector(".spark") || this._card;
      const computed = getComputedStyle(probe);
      this._sparkStyle = {
        rf: computed.color,
        audio: computed.outlineColor,
        rfScale: (dbm) => rfPercent(dbm) / 100,
        audioScale: (dbfs) => audioPercent(dbfs) / 100,
      };
    }
    return this._sparkStyle;
  }

  // -- pictures -------------------------------------------------------------------------------

  /**
   * List the picture folder through the integration (micboard/pictures) so that only files
   * that exist are ever requested: a channel without a picture costs no failed request, no
   * broken-image icon and no console error.
   */
  async _loadPictures() {
    const folder = this._config && this._config.picture_folder;
    if (!this._hass || !folder) {
      this._pictures = { asked: null, url: null, index: new Map() };
      return;
    }
    if (this._pictures.asked === folder) return;
    this._pictures = { asked: folder, url: null, index: new Map() };
    let result;
    try {
      result = await this._hass.callWS({ type: "micboard/pictures", folder });
    } catch (err) {
      return; // an unusable folder shows no pictures; the editor says what is accepted
    }
    if (this._pictures.asked !== folder) return; // the option changed meanwhile
    this._pictures = { asked: folder, url: result.url, index: pictureIndex(result.files || []) };
    this._refreshPictures();
  }

  _pictureFor(channel) {
    if (!channel || !this._config) return null;
    const names = tileNames(channel, "");
    if (this._config.picture_folder && this._pictures.url) {
      const file = this._pictures.index.get(pictureSlug(names.primary));
      if (file) return `${this._pictures.url}${encodeURIComponent(file)}`;
    }
    if (this._config.person_pictures && this._hass) {
      return personPicture(this._personStatesMap(), names.primary);
    }
    return null;
  }

  _personStatesMap() {
    const states = {};
    for (const id of this._personIds) states[id] = this._hass.states[id];
    return states;
  }

  /** Whether a person (their picture or name) changed since the tiles were drawn. */
  _personsChanged() {
    const states = this._hass.states;
    if (this._personIds.length === 0 && this._personStates.length === 0) {
      // First look, and whenever the tiles are rebuilt (a person may have been added).
      this._personIds = Object.keys(states).filter((id) => id.startsWith("person."));
      this._personStates = this._personIds.map((id) => states[id]);
      return this._personIds.length > 0;
    }
    let changed = false;
    this._personIds.forEach((id, i) => {
      if (states[id] !== this._personStates[i]) changed = true;
    });
    if (changed) this._personStates = this._personIds.map((id) => states[id]);
    return changed;
  }

  _refreshPictures() {
    for (const [key, views] of this._views) {
      const picture = this._pictureFor(this._model.channels.get(key));
      for (const view of views) view.setPicture(picture);
    }
  }

  // -- taps -----------------------------------------------------------------------------------

  /**
   * Tap and hold the way Home Assistant's cards do: the card fires `hass-action` with its
   * actions and the channel's status entity, and Home Assistant performs it (more-info,
   * navigate, url, perform-action, none…).
   */
  _act(key, kind) {
    const channel = this._model.channels.get(key);
    if (!channel) return;
    const actionConfig = kind === "hold" ? this._config.hold_action : this._config.tap_action;
    if (!actionConfig || actionConfig.action === "none") return;
    let config = {
      entity: channel.status_entity_id || undefined,
      tap_action: this._config.tap_action,
      hold_action: this._config.hold_action,
    };
    if (actionConfig.action === "more-info" && !channel.status_entity_id && channel.device_id) {
      // No status entity (removed by the user): the channel's device page instead.
      const navigate = {
        action: "navigate",
        navigation_path: `/config/devices/device/${channel.device_id}`,
      };
      config = { ...config, tap_action: navigate, hold_action: navigate };
    }
    this.dispatchEvent(
      new CustomEvent("hass-action", {
        detail: { config, action: kind },
        bubbles: true,
        composed: true,
      }),
    );
  }

  _bindTaps(root) {
    const tileOf = (event) => {
      const tile = event.target.closest ? event.target.closest(".tile") : null;
      return tile && root.contains(tile) ? tile : null;
    };
    root.addEventListener("pointerdown", (event) => {
      const tile = tileOf(event);
      if (!tile || event.button > 0) return;
      const press = { key: tile.dataset.key, held: false, timer: null };
      press.timer = setTimeout(() => {
        press.held = true;
        this._act(press.key, "hold");
      }, HOLD_MS);
      this._press = press;
    });
    const cancel = () => {
      if (this._press) clearTimeout(this._press.timer);
      this._press = null;
    };
    root.addEventListener("pointerup", (event) => {
      const press = this._press;
      cancel();
      const tile = tileOf(event);
      if (press && !press.held && tile && tile.dataset.key === press.key) {
        this._act(press.key, "tap");
      }
    });
    root.addEventListener("pointercancel", cancel);
    root.addEventListener("pointerleave", cancel);
    root.addEventListener("contextmenu", (event) => {
      if (tileOf(event) && this._config.hold_action.action !== "none") event.preventDefault();
    });
    root.addEventListener("keydown", (event) => {
      const tile = tileOf(event);
      if (!tile || (event.key !== "Enter" && event.key !== " ")) return;
      event.preventDefault();
      this._act(tile.dataset.key, "tap");
    });
  }

  // -- display view: keys and fitting ---------------------------------------------------------

  /** 1-9 pick a group, 0 shows all, F toggles full screen (display view only). */
  _displayKey(event) {
    if (!this._config || this._config.view !== "display" || !this.isConnected) return;
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    // Never steal keys from a form field (the card editor, a search box, a dialog's input).
    const typing = event.composedPath().some((node) => {
      const tag = node && node.tagName;
      return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || node.isContentEditable;
    });
    if (typing) return;
    if (/^[0-9]$/.test(event.key)) {
      const groups = this._displayGroups();
      const index = Number(event.key);
      if (index > groups.length) return;
      this._displayGroup = index;
      event.preventDefault();
      this._rebuild();
    } else if (event.key === "f" || event.key === "F") {
      event.preventDefault();
      this._toggleFullscreen();
    }
  }

  _toggleFullscreen() {
    if (document.fullscreenElement) {
      document.exitFullscreen().catch(() => {});
    } else if (this._card.requestFullscreen) {
      this._card.requestFullscreen().catch(() => {});
    }
  }

  _displayGroups() {
    const groupBy = this._config.group_by === "none" ? "area" : this._config.group_by;
    return this._model.groups(groupBy, this._fallbackTitles());
  }

  /** Size the display grid so that every tile is as large as the screen allows. */
  _fitDisplay() {
    if (!this._config || this._config.view !== "display" || !this._grid) return;
    const rect = this._grid.getBoundingClientRect();
    const fullscreen = document.fullscreenElement === this._card;
    const footer = this._footer && !this._footer.hidden ? this._footer.offsetHeight + 8 : 0;
    const height = Math.max(
      200,
      (fullscreen ? window.innerHeight : window.innerHeight) - rect.top - footer - 16,
    );
    const count = this._grid.childElementCount || 1;
    const fit = fillGrid(count, rect.width, height);
    const rowHeight = Math.floor((height - 8 * (fit.rows - 1)) / fit.rows);
    this._grid.style.gridTemplateColumns = `repeat(${fit.columns}, minmax(0, 1fr))`;
    this._grid.style.gridAutoRows = `${rowHeight}px`;
    this._grid.style.setProperty("--mb-h", `${rowHeight}px`);
  }

  // -- rendering ------------------------------------------------------------------------------

  _t(key, values) {
    return this._strings.t(key, values);
  }

  _fallbackTitles() {
    return { area: this._t("no_area"), label: this._t("no_label") };
  }

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
    this._footer = el("div", "footer");
    this._footer.setAttribute("role", "status");
    this._card.append(this._header, this._body, this._footer);
    this.shadowRoot.append(style, this._card);
    this._bindTaps(this._body);
  }

  _rebuild() {
    if (!this._body) return;
    this._views.clear();
    this._pendingMeters.clear();
    this._pendingStatus.clear();
    this._resizeObserver.disconnect();
    this._grid = null;
    this._sparkStyle = null;
    this._personIds = [];
    this._personStates = [];
    if (this._hass && this._config.person_pictures) this._personsChanged();
    const config = this._config;
    this._card.dataset.view = config.view;
    if (!this._hass || !this._strings.readyFor(this._hass)) {
      this._body.replaceChildren(el("div", "message", "…"));
      this._footer.hidden = true;
      return;
    }
    if (this._error) {
      this._body.replaceChildren(el("div", "message error", this._error));
      this._footer.hidden = true;
      return;
    }
    if (!this._model.ready) {
      this._body.replaceChildren(el("div", "message", this._t("connecting")));
      this._footer.hidden = true;
      return;
    }
    this._renderFooter();
    if (!this._model.order.length) {
      const text = this._model.entries.size ? this._t("no_channels") : this._t("no_receivers");
      this._body.replaceChildren(el("div", "message empty", text));
      return;
    }
    if (config.view === "layout") {
      this._renderLayout();
    } else if (config.view === "display") {
      this._renderDisplay();
    } else {
      this._renderTiles();
    }
    this._drawHistory();
  }

  _tile(key) {
    const view = new TileView(key, this._config.show, this._strings, Boolean(this._history));
    const channel = this._model.channels.get(key);
    view.updateStatus(this._model, channel, this._pictureFor(channel));
    if (!this._views.has(key)) this._views.set(key, []);
    this._views.get(key).push(view);
    if (view.spark) this._resizeObserver.observe(view.spark);
    return view;
  }

  _renderTiles() {
    const config = this._config;
    const groups = this._model.groups(config.group_by, this._fallbackTitles());
    const nodes = groups.map((group) => {
      const section = el("section", "group");
      section.dataset.group = group.key;
      if (config.group_by !== "none") section.append(el("div", "group-title", group.title));
      const grid = el("div", `grid ${config.tile_size}`);
      for (const key of group.keys) grid.append(this._tile(key).root);
      section.append(grid);
      return section;
    });
    this._body.replaceChildren(...nodes);
  }

  _renderDisplay() {
    const groups = this._displayGroups();
    if (this._displayGroup > groups.length) this._displayGroup = 0;
    const bar = el("div", "display-bar");
    const chips = el("div", "chips");
    chips.setAttribute("role", "tablist");
    const chip = (number, title) => {
      const node = el("button", "chip");
      node.type = "button";
      node.setAttribute("role", "tab");
      node.dataset.group = String(number);
      node.setAttribute("aria-selected", String(this._displayGroup === number));
      node.append(el("kbd", "", String(number)), document.createTextNode(` ${title}`));
      node.addEventListener("click", () => {
        this._displayGroup = number;
        this._rebuild();
      });
      return node;
    };
    chips.append(chip(0, this._t("display.all")));
    groups.slice(0, 9).forEach((group, i) => chips.append(chip(i + 1, group.title)));
    const full = el("button", "fullscreen", this._t("display.fullscreen"));
    full.type = "button";
    full.addEventListener("click", () => this._toggleFullscreen());
    bar.append(chips, el("span", "hint", this._t("display.hint")), full);
    const keys =
      this._displayGroup === 0
        ? this._model.order
        : [...new Set(groups[this._displayGroup - 1].keys)];
    const grid = el("div", "grid display-grid");
    grid.dataset.group = this._displayGroup === 0 ? "all" : groups[this._displayGroup - 1].key;
    for (const key of new Set(keys)) grid.append(this._tile(key).root);
    this._grid = grid;
    this._body.replaceChildren(bar, grid);
    requestAnimationFrame(() => this._fitDisplay());
  }

  _renderLayout() {
    const t = (key, values) => this._t(key, values);
    const groups = this._model.layout(this._sortBy, this._config.min_spacing_mhz, t("no_area"));
    const nameOf = (key) => {
      const channel = this._model.channels.get(key);
      if (!channel) return key;
      return t("layout.channel_ref", {
        receiver: this._model.receiverName(channel),
        index: channel.index,
      });
    };
    let conflicts = 0;
    const sections = groups.map((group) => {
      const section = el("section", "group layout-group");
      section.dataset.manufacturer = group.manufacturer;
      section.append(el("div", "group-title", `${group.manufacturer} · ${group.area}`));
      const table = el("table", "layout");
      const head = el("tr");
      const th = (text, className) => {
        const cell = el("th", className || "", text);
        cell.scope = "col";
        head.append(cell);
        return cell;
      };
      th(t("layout.receiver"));
      th(t("layout.channel"), "num");
      th(t("layout.name"));
      const frequency = th("", "num sortable");
      const sort = el("button", "sort", t("layout.frequency"));
      sort.type = "button";
      sort.dataset.sort = this._sortBy;
      sort.title = t(this._sortBy === "frequency" ? "layout.sort_rack" : "layout.sort_frequency");
      sort.addEventListener("click", () => {
        this._sortBy = this._sortBy === "frequency" ? "rack" : "frequency";
        this._renderLayout();
      });
      frequency.setAttribute("aria-sort", this._sortBy === "frequency" ? "ascending" : "none");
      frequency.append(sort);
      th(t("layout.transmitter"));
      th(t("layout.connection"));
      th(t("layout.plan"));
      const thead = el("thead");
      thead.append(head);
      const tbody = el("tbody");
      for (const row of group.rows) {
        const channel = row.channel;
        const tr = el("tr");
        tr.dataset.key = row.key;
        tr.dataset.link = row.link;
        const receiverCell = el("td", "receiver");
        receiverCell.append(
          el("span", "", row.receiverName),
          el("small", "", row.receiver && row.receiver.model ? ` ${row.receiver.model}` : ""),
        );
        const names = tileNames(channel, t("channel", { index: channel.index }));
        const transmitter = channel.transmitter || channel.last_transmitter;
        const flag = el("td", "flag");
        if (row.conflict) {
          conflicts += 1;
          tr.dataset.conflict = row.conflict.kind;
          flag.textContent =
            row.conflict.kind === "duplicate"
              ? t("layout.duplicate", { other: nameOf(row.conflict.other) })
              : t("layout.too_close", {
                  other: nameOf(row.conflict.other),
                  distance: (row.conflict.distance * 1000).toFixed(0),
                });
        }
        tr.append(
          receiverCell,
          el("td", "num", String(channel.index)),
          el("td", "name", names.primary),
          el("td", "num frequency", row.frequency === null ? "–" : row.frequency.toFixed(3)),
          el("td", "", transmitter && transmitter.model ? transmitter.model : "–"),
          el("td", `link ${row.link}`, t(`link.${row.link}`)),
          flag,
        );
        tbody.append(tr);
      }
      table.append(thead, tbody);
      const scroll = el("div", "layout-scroll");
      scroll.append(table);
      section.append(scroll);
      return section;
    });
    const summary = el(
      "div",
      "plan-summary",
      conflicts
        ? t("layout.conflicts", { count: conflicts, spacing: this._config.min_spacing_mhz })
        : t("layout.no_conflicts", { spacing: this._config.min_spacing_mhz }),
    );
    summary.dataset.conflicts = String(conflicts);
    this._body.replaceChildren(summary, ...sections);
  }

  _renderFooter() {
    if (!this._footer) return;
    if (!this._config.footer || !this._model.ready) {
      this._footer.hidden = true;
      return;
    }
    const filter = this._config.filter;
    const health = this._model.health(!filter.area_id && !filter.label_id);
    this._footer.hidden = health.length === 0;
    const parts = health.map((counts) => {
      const part = el("span", "health");
      part.dataset.manufacturer = counts.manufacturer;
      part.dataset.ok = String(counts.connected === counts.total);
      const words = [
        this._t("footer.connected", {
          manufacturer: counts.manufacturer,
          connected: counts.connected,
          total: counts.total,
        }),
      ];
      for (const link of ["reconnecting", "offline", "not_loaded"]) {
        if (counts[link]) words.push(this._t(`footer.${link}`, { count: counts[link] }));
      }
      part.textContent = words.join(", ");
      return part;
    });
    const nodes = [];
    parts.forEach((part, i) => {
      if (i) nodes.push(el("span", "sep", " · "));
      nodes.push(part);
    });
    this._footer.replaceChildren(...nodes);
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
      "Every wireless microphone channel at a glance: battery, runtime, live RF and audio " +
      "with their history, status colours; a stage display and a frequency layout.",
    preview: true,
    documentationURL: DOCS_URL,
    // Offered in the card picker when one of the integration's entities is selected.
    getEntitySuggestion: (hass, entityId) => {
      const entity = hass && hass.entities ? hass.entities[entityId] : undefined;
      if (!entity || entity.platform !== "micboard" || !entity.device_id) return null;
      // The card's translations when they are loaded already (a dashboard with the card).
      const label = (key, english) =>
        (hass.localize && hass.localize(`component.micboard.card.suggestion.${key}`)) || english;
      return [
        {
          label: label("device", "This receiver or channel"),
          config: { type: "custom:micboard-card", device_id: [entity.device_id] },
        },
        {
          label: label("all", "All microphones"),
          config: { type: "custom:micboard-card", group_by: "receiver" },
        },
      ];
    },
  });
}

export { FIELDS, MicboardCard };
