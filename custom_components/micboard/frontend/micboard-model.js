// Client-side model of a micboard/subscribe stream, and the pure rules the tiles follow.
//
// No DOM here: the card (micboard-card.js) renders what these functions compute, so the
// rules (which status a tile shows, which battery is greyed, how channels are grouped) live
// in one place.

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
export const MAX_METER_RATE = 10;
export const DEFAULT_METER_RATE = 5;
const FILTER_KEYS = ["config_entry_id", "device_id", "area_id", "label_id"];

/** Human text of each status, as the crew reads it on the tile. */
export const STATUS_TEXT = {
  good: "Good",
  replace: "Replace",
  critical: "Critical",
  tx_off: "TX off",
  rx_offline: "RX offline",
  audio_peak: "Peak",
  previously_good: "Was good",
  previously_replace: "Was low",
  previously_critical: "Was critical",
  unknown: "Unknown",
};

function asList(value) {
  if (value === undefined || value === null || value === "") return [];
  return Array.isArray(value) ? value.filter((v) => typeof v === "string" && v) : [value];
}

/** Validate a card configuration and fill in defaults; throws with a readable message. */
export function normalizeConfig(config) {
  if (!config || typeof config !== "object") throw new Error("Invalid configuration");
  const groupBy = config.group_by ?? "none";
  if (!GROUPINGS.includes(groupBy)) {
    throw new Error(`group_by must be one of: ${GROUPINGS.join(", ")}`);
  }
  const tileSize = config.tile_size ?? "large";
  if (!TILE_SIZES.includes(tileSize)) {
    throw new Error(`tile_size must be one of: ${TILE_SIZES.join(", ")}`);
  }
  const show = config.show === undefined ? [...FIELDS] : asList(config.show);
  const unknown = show.filter((field) => !FIELDS.includes(field));
  if (unknown.length) {
    throw new Error(`Unknown field in show: ${unknown.join(", ")}. Known: ${FIELDS.join(", ")}`);
  }
  const rate = config.meter_rate === undefined ? DEFAULT_METER_RATE : Number(config.meter_rate);
  if (!Number.isFinite(rate) || rate < 0) throw new Error("meter_rate must be 0 or more (Hz; capped at 10)");
  const filter = {};
  for (const key of FILTER_KEYS) {
    const ids = asList(config[key]);
    if (ids.length) filter[key] = ids;
  }
  return {
    ...config,
    title: config.title ?? "",
    group_by: groupBy,
    tile_size: tileSize,
    show: new Set(show),
    meter_rate: Math.min(rate, MAX_METER_RATE),
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
    return STATUS_TEXT[channel.status] ? channel.status : "unknown";
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

  /** Channels in groups: [{key, title, channels: [keys]}], in rack order. */
  groups(groupBy) {
    if (groupBy === "none") return [{ key: "all", title: "", keys: this.order }];
    const groups = new Map();
    const add = (key, title, channelKey) => {
      if (!groups.has(key)) groups.set(key, { key, title, keys: [] });
      groups.get(key).keys.push(channelKey);
    };
    for (const channelKey of this.order) {
      const channel = this.channels.get(channelKey);
      if (groupBy === "receiver") {
        const receiver = this.receiverOf(channel);
        add(channel.receiver_key, receiver ? receiver.name : channel.receiver_id, channelKey);
      } else if (groupBy === "area") {
        const area = channel.area_id;
        add(area || "", area ? this.areas[area] || area : "No area", channelKey);
      } else {
        const labels = channel.labels || [];
        if (!labels.length) add("", "No label", channelKey);
        for (const label of labels) add(label, this.labels[label] || label, channelKey);
      }
    }
    const list = [...groups.values()];
    if (groupBy !== "receiver") {
      // Named groups alphabetically, the catch-all last.
      list.sort((a, b) => (a.key === "") - (b.key === "") || a.title.localeCompare(b.title));
    }
    return list;
  }
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
