// RF and audio history of every channel, kept in the browser from the meter stream.
//
// Nothing of it goes through Home Assistant's recorder: the card already receives the meters
// (up to 10 a second per channel) and keeps the last `seconds` of them in fixed-size ring
// buffers, one bucket per sparkline pixel column. A bucket holds the lowest RF level (a
// dropout is what the crew looks for) and the highest audio peak seen while it was open; a
// bucket in which nothing arrived repeats the last known values, and an unknown value (the
// transmitter off) leaves a gap.

/** Buckets per sparkline: about one per CSS pixel of a large tile's sparkline. */
export const HISTORY_POINTS = 120;

class ChannelHistory {
  constructor(points) {
    this.rf = new Float32Array(points).fill(NaN);
    this.audio = new Float32Array(points).fill(NaN);
    this.head = 0; // index of the oldest bucket (the next one to be overwritten)
    this.rfNow = NaN; // the open bucket
    this.audioNow = NaN;
    this.rfLast = NaN; // last values received, carried into buckets without news
    this.audioLast = NaN;
    this.quiet = 0; // buckets since the last record
  }
}

export class HistoryStore {
  /**
   * @param {number} seconds  time span of a sparkline
   * @param {number} points   buckets per sparkline
   */
  constructor(seconds, points = HISTORY_POINTS) {
    this.seconds = seconds;
    this.points = points;
    this.bucketMs = (seconds * 1000) / points;
    this.channels = new Map();
    this._listeners = new Set();
    this._timer = null;
    this._last = 0;
  }

  /**
   * The store of this time span for the whole page. Home Assistant builds a new card element
   * whenever a view is shown again; a page-wide store keeps the history across that, and
   * every card on the page showing the same span shares one timer.
   */
  static shared(seconds) {
    if (!SHARED.has(seconds)) SHARED.set(seconds, new HistoryStore(seconds));
    return SHARED.get(seconds);
  }

  /** Call `listener` after every bucket; the clock runs while anyone listens. */
  attach(listener) {
    this._listeners.add(listener);
    if (this._timer === null) {
      if (!this._last) this._last = performance.now();
      this._timer = setInterval(() => this.tick(performance.now()), this.bucketMs);
    }
  }

  detach(listener) {
    this._listeners.delete(listener);
    if (!this._listeners.size && this._timer !== null) {
      clearInterval(this._timer);
      this._timer = null;
    }
  }

  /**
   * Close as many buckets as have passed since the last tick: timers are late or paused in a
   * background tab, and time without news (no card attached) is a gap, not squeezed out.
   */
  tick(now) {
    const due = Math.floor((now - this._last) / this.bucketMs);
    if (due < 1) return;
    this._last += due * this.bucketMs;
    this.advance();
    for (let i = 1; i < Math.min(due, this.points); i += 1) this.advance(true);
    for (const listener of this._listeners) listener();
  }

  /** Note the current meter values of a channel (called for every meter or status record). */
  record(channel) {
    let history = this.channels.get(channel.key);
    if (!history) {
      history = new ChannelHistory(this.points);
      this.channels.set(channel.key, history);
    }
    history.quiet = 0;
    const rf = channel.rf_level;
    const audio = channel.audio_peak ?? channel.audio_level;
    history.rfLast = rf === null || rf === undefined ? NaN : rf;
    history.audioLast = audio === null || audio === undefined ? NaN : audio;
    if (!Number.isNaN(history.rfLast)) {
      history.rfNow = Number.isNaN(history.rfNow)
        ? history.rfLast
        : Math.min(history.rfNow, history.rfLast);
    }
    if (!Number.isNaN(history.audioLast)) {
      history.audioNow = Number.isNaN(history.audioNow)
        ? history.audioLast
        : Math.max(history.audioNow, history.audioLast);
    }
  }

  /**
   * Close the open bucket of every channel; `gap` closes it as unknown (time nobody saw).
   * A channel nobody recorded for a whole span (no card shows it any more) is forgotten.
   */
  advance(gap = false) {
    for (const [key, history] of this.channels) {
      const rf = gap ? NaN : Number.isNaN(history.rfNow) ? history.rfLast : history.rfNow;
      const audio = gap
        ? NaN
        : Number.isNaN(history.audioNow)
          ? history.audioLast
          : history.audioNow;
      history.rf[history.head] = rf;
      history.audio[history.head] = audio;
      history.head = (history.head + 1) % this.points;
      history.rfNow = NaN;
      history.audioNow = NaN;
      history.quiet += 1;
      if (history.quiet > this.points) this.channels.delete(key);
    }
  }

  get(key) {
    return this.channels.get(key);
  }
}

/** Page-wide stores by time span (see HistoryStore.shared). */
const SHARED = new Map();

/**
 * Draw one channel's history into a canvas: audio as a filled area from the bottom, RF as a
 * line. `rfScale` and `audioScale` map a value to 0..1. Colours come from the caller (theme).
 */
export function drawSparkline(context, width, height, history, points, style) {
  context.clearRect(0, 0, width, height);
  if (!history) return;
  const step = width / (points - 1);
  const y = (fraction) => height - 1 - fraction * (height - 2);
  const at = (i) => (history.head + i) % points;

  // Audio: filled area, one run per stretch of known values.
  context.fillStyle = style.audio;
  let open = false;
  let lastX = 0;
  for (let i = 0; i < points; i += 1) {
    const value = history.audio[at(i)];
    const x = i * step;
    if (Number.isNaN(value)) {
      if (open) {
        context.lineTo(lastX, height);
        context.closePath();
        context.fill();
        open = false;
      }
      continue;
    }
    if (!open) {
      context.beginPath();
      context.moveTo(x, height);
      open = true;
    }
    context.lineTo(x, y(style.audioScale(value)));
    lastX = x;
  }
  if (open) {
    context.lineTo(lastX, height);
    context.closePath();
    context.fill();
  }

  // RF: a line, broken where the level is unknown.
  context.strokeStyle = style.rf;
  context.lineWidth = style.lineWidth;
  context.beginPath();
  let drawing = false;
  for (let i = 0; i < points; i += 1) {
    const value = history.rf[at(i)];
    if (Number.isNaN(value)) {
      drawing = false;
      continue;
    }
    const x = i * step;
    const py = y(style.rfScale(value));
    if (drawing) context.lineTo(x, py);
    else context.moveTo(x, py);
    drawing = true;
  }
  context.stroke();
}
