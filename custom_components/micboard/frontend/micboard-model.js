// Client-side model of a micboard/subscribe stream, and the pure rules the card follows.
//
// No DOM here: the card (micboard-card.js) renders what these functions compute, so the
// rules (which status a tile shows, which battery is greyed, how channels are grouped, which
// frequencies clash, how healthy each manufacturer is) live in one place.

/** Fields a tile can show; the card option `show` picks from these. */
export const FIELDS = [
  "battery",
  "runtime",
  "rf",
  "audio",
  "antenna",
  "quality",
  "frequency",
  "tx_model",
  "status_text",
];

export const GROUPINGS = ["none", "area", "label", "receiver"];
export const TILE_SIZES = ["large", "compact"];
export const VIEWS = ["tiles", "display", "layout"];
export const SORTS = ["rack", "frequency"];
export const MAX_METER_RATE = 10;
export const DEFAULT_METER_RATE = 5;
/** Seconds of RF and audio history per tile; 0 turns the sparklines off. */
export const HISTORY_CHOICES = [0, 30, 60, 90, 120];
export const DEFAULT_HISTORY_SECONDS = 60;
export const MIN_HISTORY_SECONDS = 30;
export const MAX_HISTORY_SECONDS = 120;
export const DEFAULT_SPACING_MHZ = 0.3;
/** Two frequencies closer than this (MHz) are the same frequency: 1 kHz. */
export const SAME_FREQUENCY_MHZ = 0.001;
/** Brands the manufacturer filter offers in the editor (YAML also takes protocol codes). */
export const BRANDS = ["shure", "sennheiser", "audio_technica", "demo_rack"];
export const FILTER_KEYS = ["config_entry_id", "device_id", "area_id", "label_id", "manufacturer"];
export const DEFAULT_TAP_ACTION = Object.freeze({ action: "more-info" });
export const DEFAULT_HOLD_ACTION = Object.freeze({ action: "none" });
const ACTIONS = [
  "more-info",
  "navigate",
  "url",
  "perform-action",
  "call-service",
  "toggle",
  "assist",
  "fire-dom-event",
  "none",
];

/** Statuses a tile can show (their short names are in the card's translations). */
export const STATUSES = [
  "good",
  "replace",
  "critical",
  "tx_off",
  "rx_offline",
  "audio_peak",
  "previously_good",
  "previously_replace",
  "previously_critical",
  "unknown",
];

function asList(value) {
  if (value === undefined || value === null || value === "") return [];
  return Array.isArray(value) ? value.filter((v) => typeof v === "string" && v) : [value];
}

function oneOf(config, key, allowed, fallback) {
  const value = config[key] ?? fallback;
  if (!allowed.includes(value)) throw new Error(`${key} must be one of: ${allowed.join(", ")}`);
  return value;
}

function actionConfig(value, fallback, key) {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "object" || !ACTIONS.includes(value.action)) {
    throw new Error(`${key} needs an action, one of: ${ACTIONS.join(", ")}`);
  }
  return value;
}

function number(config, key, fallback) {
  return config[key] === undefined || config[key] === null || config[key] === ""
    ? fallback
    : Number(config[key]);
}

/** Validate a card configuration and fill in defaults; throws with a readable message. */
export function normalizeConfig(config) {
  if (!config || typeof config !== "object") throw new Error("Invalid configuration");
  const groupBy = oneOf(config, "group_by", GROUPINGS, "none");
  const tileSize = oneOf(config, "tile_size", TILE_SIZES, "large");
  const view = oneOf(config, "view", VIEWS, "tiles");
  const sortBy = oneOf(config, "sort_by", SORTS, "rack");
  const show = config.show === undefined ? [...FIELDS] : asList(config.show);
  const unknown = show.filter((field) => !FIELDS.includes(field));
  if (unknown.length) {
    throw new Error(`Unknown field in show: ${unknown.join(", ")}. Known: ${FIELDS.join(", ")}`);
  }
  const rate = number(config, "meter_rate", DEFAULT_METER_RATE);
  if (!Number.isFinite(rate) || rate < 0) {
    throw new Error("meter_rate must be 0 or more (Hz; capped at 10)");
  }
  const history = number(config, "history_seconds", DEFAULT_HISTORY_SECONDS);
  if (
    !Number.isFinite(history) ||
    (history !== 0 && (history < MIN_HISTORY_SECONDS || history > MAX_HISTORY_SECONDS))
  ) {
    throw new Error(
      `history_seconds must be 0 (off) or ${MIN_HISTORY_SECONDS}-${MAX_HISTORY_SECONDS}`,
    );
  }
  const spacing = number(config, "min_spacing_mhz", DEFAULT_SPACING_MHZ);
  if (!Number.isFinite(spacing) || spacing < 0) {
    throw new Error("min_spacing_mhz must be 0 or more (MHz)");
  }
  const folder = config.picture_folder ?? "";
  if (typeof folder !== "string" || (folder.trim() && !folder.trim().startsWith("/local/"))) {
    throw new Error("picture_folder must be a folder under /local/, such as /local/micboard/");
  }
  const filter = {};
  for (const key of FILTER_KEYS) {
    const ids = asList(config[key]);
    if (ids.length) filter[key] = ids;
  }
  return {
    ...config,
    title: config.title ?? "",
    view,
    group_by: groupBy,
    tile_size: tileSize,
    sort_by: sortBy,
    show: new Set(show),
    meter_rate: Math.min(rate, MAX_METER_RATE),
    history_seconds: history,
    min_spacing_mhz: spacing,
    picture_folder: folder.trim(),
    person_pictures: config.person_pictures === true,
    footer: config.footer !== false,
    tap_action: actionConfig(config.tap_action, DEFAULT_TAP_ACTION, "tap_action"),
    hold_action: actionConfig(config.hold_action, DEFAULT_HOLD_ACTION, "hold_action"),
    filter,
  };
}

/** The websocket message for a normalized configuration. */
export function subscribeMessage(config) {
  return { type: "micboard/subscribe", meter_rate: config.meter_rate, filter: config.filter };
}

/** State of one subscription: entries, receivers and channels by key, in rack order. */
export class LiveModel {
  constructor() {
    this.entries = new Map();
    this.receivers = new Map();
    this.channels = new Map();
    this.order = [];
    this.areas = {};
    this.labels = {};
    this.ready = false;
  }

  /**
   * Merge one event; returns what the view must do: "rebuild" (snapshot), "status" with
   * the keys of channels to redraw, or "meters" with the keys whose meters moved.
   */
  apply(event) {
    if (event.type === "snapshot") {
      this.entries = new Map(event.entries.map((e) => [e.entry_id, e]));
      this.receivers = new Map(event.receivers.map((r) => [r.key, r]));
      this.channels = new Map(event.channels.map((c) => [c.key, c]));
      this.order = event.channels.map((c) => c.key);
      this.areas = event.areas || {};
      this.labels = event.labels || {};
      this.ready = true;
      return { kind: "rebuild", keys: this.order };
    }
    if (event.type === "delta") {
      const keys = new Set();
      for (const entry of event.entries || []) {
        this.entries.set(entry.entry_id, entry);
        for (const [key, channel] of this.channels) {
          if (channel.entry_id === entry.entry_id) keys.add(key);
        }
      }
      for (const receiver of event.receivers || []) {
        this.receivers.set(receiver.key, receiver);
        for (const [key, channel] of this.channels) {
          if (channel.receiver_key === receiver.key) keys.add(key);
        }
      }
      for (const channel of event.channels || []) {
        if (!this.channels.has(channel.key)) continue; // structure changes come as snapshots
        this.channels.set(channel.key, channel);
        keys.add(channel.key);
      }
      return { kind: "status", keys: [...keys] };
    }
    if (event.type === "meters") {
      const keys = [];
      for (const record of event.channels || []) {
        const channel = this.channels.get(record.key);
        if (!channel) continue;
        Object.assign(channel, record);
        keys.push(record.key);
      }
      return { kind: "meters", keys };
    }
    return { kind: "none", keys: [] };
  }

  receiverOf(channel) {
    return this.receivers.get(channel.receiver_key);
  }

  /** What the tile shows: the entry or receiver being unreachable overrides the channel. */
  displayStatus(channel) {
    const entry = this.entries.get(channel.entry_id);
    const receiver = this.receiverOf(channel);
    if ((entry && !entry.available) || (receiver && !receiver.online)) return "rx_offline";
    return STATUSES.includes(channel.status) ? channel.status : "unknown";
  }

  /**
   * The battery to draw and whether it is stale: the live transmitter's, or, while the
   * transmitter is off (or the receiver unreachable), the last one seen, greyed.
   */
  battery(channel) {
    const status = this.displayStatus(channel);
    const live = channel.transmitter;
    if (live && status !== "rx_offline") return { transmitter: live, stale: false };
    const last = live || channel.last_transmitter;
    return last ? { transmitter: last, stale: true } : null;
  }

  /** The receiver's name as people see it: renamed in Home Assistant, or the device's own. */
  receiverName(channel) {
    const receiver = this.receiverOf(channel);
    if (!receiver) return channel.receiver_id;
    return receiver.device_name || receiver.name;
  }

  /**
   * Channels in groups: [{key, title, keys}], in rack order. Named groups come
   * alphabetically and the catch-all ("No area", "No label") last; `fallbackTitles` gives
   * the catch-alls' (translated) titles.
   */
  groups(groupBy, fallbackTitles = { area: "No area", label: "No label" }) {
    if (groupBy === "none") return [{ key: "all", title: "", keys: this.order }];
    const groups = new Map();
    const add = (key, title, channelKey) => {
      if (!groups.has(key)) groups.set(key, { key, title, keys: [] });
      groups.get(key).keys.push(channelKey);
    };
    for (const channelKey of this.order) {
      const channel = this.channels.get(channelKey);
      if (groupBy === "receiver") {
        add(channel.receiver_key, this.receiverName(channel), channelKey);
      } else if (groupBy === "area") {
        const area = channel.area_id;
        add(area || "", area ? this.areas[area] || area : fallbackTitles.area, channelKey);
      } else {
        const labels = channel.labels || [];
        if (!labels.length) add("", fallbackTitles.label, channelKey);
        for (const label of labels) add(label, this.labels[label] || label, channelKey);
      }
    }
    const list = [...groups.values()];
    if (groupBy !== "receiver") {
      list.sort((a, b) => (a.key === "") - (b.key === "") || a.title.localeCompare(b.title));
    }
    return list;
  }

  /**
   * The link of a receiver: "connected", "reconnecting" (its entry is loaded but the last
   * connection failed: the integration is retrying), or "offline" (the entry is fine but the
   * receiver itself is gone, as a System API server reports).
   */
  receiverLink(receiver) {
    const entry = this.entries.get(receiver.entry_id);
    if (entry && !entry.available) return entryLink(entry);
    return receiver.online ? "connected" : "offline";
  }

  /**
   * Health per manufacturer for the footer: [{manufacturer, total, connected, reconnecting,
   * offline, not_loaded}] sorted by manufacturer. Receivers are those the card shows; an
   * entry that is not loaded has no receivers in the stream yet, so it counts as one, and
   * only while the card does not filter by area or label (it could be anywhere).
   */
  health(countUnloadedEntries = true) {
    const byBrand = new Map();
    const bump = (brand, link) => {
      if (!byBrand.has(brand)) {
        byBrand.set(brand, {
          manufacturer: brand,
          total: 0,
          connected: 0,
          reconnecting: 0,
          offline: 0,
          not_loaded: 0,
        });
      }
      const counts = byBrand.get(brand);
      counts.total += 1;
      counts[link] += 1;
    };
    for (const receiver of this.receivers.values()) {
      const entry = this.entries.get(receiver.entry_id);
      const brand = receiver.manufacturer || (entry && entry.manufacturer) || "";
      bump(brand, this.receiverLink(receiver));
    }
    if (countUnloadedEntries) {
      const withReceivers = new Set([...this.receivers.values()].map((r) => r.entry_id));
      for (const entry of this.entries.values()) {
        if (entry.state !== "loaded" && !withReceivers.has(entry.entry_id)) {
          bump(entry.manufacturer || entry.title, entryLink(entry));
        }
      }
    }
    return [...byBrand.values()].sort((a, b) => a.manufacturer.localeCompare(b.manufacturer));
  }

  /**
   * Rows of the layout view, grouped by manufacturer, then area: [{key, manufacturer, area,
   * rows}], each row {key, channel, receiver, link, frequency, conflict}. `sortBy` is "rack"
   * (receiver, then channel) or "frequency" (ascending, channels without one last).
   */
  layout(sortBy, spacingMhz, noArea = "No area") {
    const conflicts = frequencyConflicts(
      this.order.map((key) => this.channels.get(key)),
      spacingMhz,
    );
    const groups = new Map();
    this.order.forEach((key, rackIndex) => {
      const channel = this.channels.get(key);
      const receiver = this.receiverOf(channel);
      const manufacturer = (receiver && receiver.manufacturer) || "";
      const area = channel.area_id ? this.areas[channel.area_id] || channel.area_id : "";
      const groupKey = `${manufacturer}\u0000${area}`;
      if (!groups.has(groupKey)) {
        groups.set(groupKey, {
          key: groupKey,
          manufacturer,
          area: area || noArea,
          hasArea: Boolean(area),
          rows: [],
        });
      }
      groups.get(groupKey).rows.push({
        key,
        rackIndex,
        channel,
        receiver,
        receiverName: this.receiverName(channel),
        link: receiver ? this.receiverLink(receiver) : "not_loaded",
        frequency: channel.frequency_mhz ?? null,
        conflict: conflicts.get(key) || null,
      });
    });
    const list = [...groups.values()].sort(
      (a, b) =>
        a.manufacturer.localeCompare(b.manufacturer) ||
        (!a.hasArea) - (!b.hasArea) ||
        a.area.localeCompare(b.area),
    );
    for (const group of list) {
      if (sortBy === "frequency") {
        group.rows.sort(
          (a, b) =>
            (a.frequency === null) - (b.frequency === null) ||
            (a.frequency ?? 0) - (b.frequency ?? 0) ||
            a.rackIndex - b.rackIndex,
        );
      }
    }
    return list;
  }
}

function entryLink(entry) {
  if (entry.state === "loaded" || entry.state === "setup_retry") return "reconnecting";
  return "not_loaded";
}

/**
 * Which channels clash, and with whom: Map(key -> {kind: "duplicate"|"too_close", other,
 * distance}). Every channel with a frequency is part of one plan, whatever its manufacturer
 * (RF does not care about brands): two frequencies count as the same band when they are
 * closer than `spacingMhz`, and as the same frequency when closer than 1 kHz. Each channel
 * is reported with its nearest neighbour.
 */
export function frequencyConflicts(channels, spacingMhz) {
  const tuned = channels
    .filter((c) => c && typeof c.frequency_mhz === "number")
    .sort((a, b) => a.frequency_mhz - b.frequency_mhz);
  const result = new Map();
  const note = (channel, other) => {
    const distance = Math.abs(channel.frequency_mhz - other.frequency_mhz);
    const current = result.get(channel.key);
    if (current && current.distance <= distance) return;
    result.set(channel.key, {
      kind: distance < SAME_FREQUENCY_MHZ ? "duplicate" : "too_close",
      other: other.key,
      distance,
    });
  };
  for (let i = 1; i < tuned.length; i += 1) {
    const a = tuned[i - 1];
    const b = tuned[i];
    if (b.frequency_mhz - a.frequency_mhz < Math.max(spacingMhz, SAME_FREQUENCY_MHZ)) {
      note(a, b);
      note(b, a);
    }
  }
  return result;
}

// -- names and pictures ----------------------------------------------------------------------

/**
 * The names a tile shows: `primary` large, `secondary` small (or ""). A channel device the
 * user renamed in Home Assistant ("Lead vocal") is shown large, with the receiver's own
 * channel name small; otherwise the receiver's channel name, or "Channel N".
 */
export function tileNames(channel, fallback) {
  const own = channel.name || "";
  if (channel.device_name) {
    return {
      primary: channel.device_name,
      secondary: own && own !== channel.device_name ? own : "",
    };
  }
  return { primary: own || fallback, secondary: "" };
}

/**
 * The picture file rule: a name and a file stem match when their slugs are equal.
 * Slug: lower case, accents removed, every run of other characters one "_", none at the
 * ends ("Lead Vox" -> "lead_vox", "Zoë B." -> "zoe_b").
 */
export function pictureSlug(name) {
  return String(name || "")
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
}

/** Extensions looked for in the picture folder, best first. */
export const PICTURE_EXTENSIONS = ["jpg", "jpeg", "png", "webp"];

/**
 * Map(slug -> file name) of a folder listing, preferring the first extension of
 * PICTURE_EXTENSIONS when several files share a slug.
 */
export function pictureIndex(files) {
  const index = new Map();
  const rank = (file) => PICTURE_EXTENSIONS.indexOf(file.split(".").pop().toLowerCase());
  for (const file of files) {
    const dot = file.lastIndexOf(".");
    if (dot <= 0 || rank(file) < 0) continue;
    const slug = pictureSlug(file.slice(0, dot));
    if (!slug) continue;
    const current = index.get(slug);
    if (current === undefined || rank(file) < rank(current)) index.set(slug, file);
  }
  return index;
}

/** entity_picture of a `person` whose name has the same slug, if any. */
export function personPicture(states, name) {
  const slug = pictureSlug(name);
  if (!slug || !states) return null;
  for (const [entityId, state] of Object.entries(states)) {
    if (!entityId.startsWith("person.")) continue;
    const attributes = state.attributes || {};
    if (attributes.entity_picture && pictureSlug(attributes.friendly_name) === slug) {
      return attributes.entity_picture;
    }
  }
  return null;
}

// -- formatting and meter scales -------------------------------------------------------------

/** RF shown from -100 dBm (empty) to -40 dBm (full). */
export function rfPercent(dbm) {
  if (dbm === null || dbm === undefined) return 0;
  return clamp(((dbm + 100) / 60) * 100);
}

/** Audio shown from -60 dBFS (empty) to 0 dBFS (full). */
export function audioPercent(dbfs) {
  if (dbfs === null || dbfs === undefined) return 0;
  return clamp(((dbfs + 60) / 60) * 100);
}

function clamp(value) {
  return Math.max(0, Math.min(100, value));
}

export function formatRuntime(minutes) {
  if (minutes === null || minutes === undefined) return "";
  const hours = Math.floor(minutes / 60);
  return `${hours}:${String(minutes % 60).padStart(2, "0")}`;
}

export function formatFrequency(mhz) {
  return mhz === null || mhz === undefined ? "" : `${mhz.toFixed(3)} MHz`;
}

export function formatLevel(value, unit) {
  return value === null || value === undefined ? "–" : `${Math.round(value)} ${unit}`;
}

/** Battery bars 0-5, from bars or (20 % per bar) from percent. */
export function batteryBars(transmitter) {
  if (!transmitter) return null;
  if (transmitter.battery_bars !== null && transmitter.battery_bars !== undefined) {
    return transmitter.battery_bars;
  }
  if (transmitter.battery_percent !== null && transmitter.battery_percent !== undefined) {
    return Math.min(5, Math.ceil(transmitter.battery_percent / 20));
  }
  return null;
}

/**
 * Columns for `count` tiles filling a `width` x `height` box, each tile as close to
 * `aspect` (width / height) as possible: the layout whose tiles are largest.
 */
export function fillGrid(count, width, height, aspect = 1.6, gap = 8) {
  let best = { columns: 1, rows: Math.max(1, count), size: 0 };
  for (let columns = 1; columns <= Math.max(1, count); columns += 1) {
    const rows = Math.ceil(count / columns);
    const tileWidth = (width - gap * (columns - 1)) / columns;
    const tileHeight = (height - gap * (rows - 1)) / rows;
    if (tileWidth <= 0 || tileHeight <= 0) continue;
    const size = Math.min(tileWidth, tileHeight * aspect);
    if (size > best.size) best = { columns, rows, size };
  }
  return best;
}
