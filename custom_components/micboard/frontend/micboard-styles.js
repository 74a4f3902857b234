// Styles of the Micboard card. Colours follow Micboard (green good, yellow replace, red
// critical, grey transmitter off, dark receiver offline) through Home Assistant's theme
// variables (--success-color, --warning-color, --error-color…), so a theme recolours the card;
// each can still be overridden with a --micboard-*-color variable. Tiles mix them with the
// theme's card background, so the same tiles read well in light and dark themes.

export const CARD_STYLES = `
  :host {
    --mb-good: var(--micboard-good-color, var(--success-color));
    --mb-replace: var(--micboard-replace-color, var(--warning-color));
    --mb-critical: var(--micboard-critical-color, var(--error-color));
    --mb-peak: var(--micboard-peak-color, var(--pink-color, var(--accent-color)));
    --mb-off: var(--micboard-tx-off-color, var(--state-unavailable-color, var(--disabled-color)));
    --mb-offline: var(--micboard-rx-offline-color, var(--dark-grey-color, var(--secondary-text-color)));
    --mb-unknown: var(--micboard-unknown-color, var(--disabled-color, var(--secondary-text-color)));
    --mb-rf: var(--micboard-rf-color, var(--info-color, var(--primary-color)));
    --mb-bg: var(--ha-card-background, var(--card-background-color));
    --mb-text: var(--primary-text-color);
    --mb-muted: var(--secondary-text-color);
    --mb-on-status: var(--text-primary-color);
    --mb-track: color-mix(in srgb, var(--mb-text) 12%, transparent);
    display: block;
  }
  [hidden] { display: none !important; }
  ha-card { padding: 12px; overflow: hidden; }
  .header { font-size: 1.2em; font-weight: 500; padding: 0 4px 8px; color: var(--mb-text); }
  .message { padding: 8px 4px; color: var(--mb-muted); }
  .message.error { color: var(--mb-critical); }
  .group + .group { margin-top: 12px; }
  .group-title {
    font-size: 0.9em; font-weight: 500; color: var(--mb-muted);
    text-transform: uppercase; letter-spacing: 0.04em; margin: 0 4px 6px;
  }
  .grid {
    display: grid; gap: 8px;
    grid-template-columns: repeat(auto-fill, minmax(var(--mb-tile-min, 150px), 1fr));
  }
  .grid.compact { --mb-tile-min: 132px; gap: 6px; }

  .tile {
    --mb-status: var(--mb-unknown);
    position: relative; border-radius: 10px; padding: 8px 10px 8px;
    border: 1px solid color-mix(in srgb, var(--mb-status) 35%, transparent);
    border-top: 5px solid var(--mb-status);
    background: color-mix(in srgb, var(--mb-status) 16%, var(--mb-bg));
    color: var(--mb-text); min-width: 0; cursor: pointer;
    /* Meters change a tile many times a second: keep layout inside it. (Not paint: 64 paint
       containers made the browser's per-frame layerizing slower than the repaint it saves.) */
    contain: layout style;
    -webkit-tap-highlight-color: transparent; user-select: none;
  }
  .tile:focus-visible { outline: 3px solid var(--primary-color); outline-offset: 2px; }
  .tile > * { position: relative; }
  .tile[data-status="good"] { --mb-status: var(--mb-good); }
  .tile[data-status="replace"] { --mb-status: var(--mb-replace); }
  .tile[data-status="critical"] { --mb-status: var(--mb-critical); }
  .tile[data-status="audio_peak"] { --mb-status: var(--mb-peak); }
  /* The peak pulse animates the opacity of a layer under the content (compositor only). */
  .tile[data-status="audio_peak"]::before {
    content: ""; position: absolute; inset: 0; pointer-events: none; border-radius: inherit;
    background: var(--mb-peak); opacity: 0; animation: mb-peak 1s ease-in-out infinite alternate;
  }
  .tile[data-status="tx_off"] { --mb-status: var(--mb-off); }
  .tile[data-status="rx_offline"] {
    --mb-status: var(--mb-offline);
    background: repeating-linear-gradient(135deg,
      color-mix(in srgb, var(--mb-offline) 22%, var(--mb-bg)) 0 8px,
      color-mix(in srgb, var(--mb-offline) 10%, var(--mb-bg)) 8px 16px);
  }
  .tile[data-status^="previously_"] { border-top-style: dashed; }
  .tile[data-status="previously_good"] { --mb-status: var(--mb-good); }
  .tile[data-status="previously_replace"] { --mb-status: var(--mb-replace); }
  .tile[data-status="previously_critical"] { --mb-status: var(--mb-critical); }
  .tile[data-status="tx_off"] .meters, .tile[data-status="rx_offline"] .meters,
  .tile[data-status="tx_off"] .spark, .tile[data-status="rx_offline"] .spark { opacity: 0.35; }
  @keyframes mb-peak { to { opacity: 0.2; } }

  /* A performer's picture behind the tile, darkened towards the text. */
  .picture {
    position: absolute !important; inset: 0; background-size: cover; background-position: center 25%;
    opacity: 0.7; pointer-events: none; border-radius: inherit;
  }
  .picture::after {
    content: ""; position: absolute; inset: 0; border-radius: inherit;
    background: linear-gradient(180deg, color-mix(in srgb, var(--mb-bg) 30%, transparent) 0%,
      color-mix(in srgb, var(--mb-bg) 82%, transparent) 70%);
  }

  .head { display: flex; align-items: baseline; gap: 6px; min-width: 0; }
  .chid {
    font-weight: 700; font-size: 0.8em; padding: 1px 6px; border-radius: 6px;
    background: var(--mb-status); color: var(--mb-on-status); flex: none;
  }
  .tile[data-status="replace"] .chid, .tile[data-status="previously_replace"] .chid { color: var(--mb-text); }
  .names { display: flex; flex-direction: column; min-width: 0; flex: 1; }
  .name { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .tile[data-extended="true"] .name { font-size: 1.08em; }
  .subname { font-size: 0.72em; color: var(--mb-muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .status-text { font-size: 0.72em; font-weight: 700; text-transform: uppercase; color: var(--mb-muted); flex: none; }

  .battery { display: flex; align-items: center; gap: 6px; margin-top: 6px; font-size: 0.85em; }
  .bars { display: inline-flex; gap: 2px; align-items: flex-end; }
  .bars i { width: 6px; height: 12px; border-radius: 1px; background: var(--mb-track); display: block; }
  .bars i.on { background: var(--mb-status); }
  .battery[data-stale="true"] { color: var(--mb-muted); }
  .battery[data-stale="true"] .bars i.on { background: var(--mb-muted); opacity: 0.6; }
  .battery .runtime { font-variant-numeric: tabular-nums; }
  .battery .percent { color: var(--mb-muted); font-variant-numeric: tabular-nums; }

  .meters { display: grid; gap: 3px; margin-top: 6px; }
  .meter { display: grid; grid-template-columns: 22px 1fr auto; align-items: center; gap: 5px; font-size: 0.72em; }
  .meter.rf.with-antennas { grid-template-columns: 22px auto 1fr auto; }
  .meter label { color: var(--mb-muted); font-weight: 600; }
  .meter .value { color: var(--mb-muted); font-variant-numeric: tabular-nums; min-width: 4.5em; text-align: right; }
  /* No overflow clip on the track: 128 rounded clips made every frame's layerizing slow. */
  .track { position: relative; height: 7px; border-radius: 4px; background: var(--mb-track); }
  /* Meters are plain boxes whose width changes (a layout of one box inside its tile): no
     transform, no layer, no transition, so nothing animates between two meter messages and
     the browser has no extra layers to sort each frame (measured with scripts/card_frame_time). */
  .fill { position: absolute; inset: 0 auto 0 0; width: 0; border-radius: 4px; }
  .meter.rf .fill { background: var(--mb-rf); }
  .meter.rf[data-problem="true"] .fill { background: var(--mb-critical); }
  .meter.audio .fill { background: var(--mb-good); }
  .meter.audio[data-zone="hot"] .fill { background: var(--mb-replace); }
  .meter.audio[data-zone="clip"] .fill { background: var(--mb-critical); }
  /* The peak mark: --mb-peak-at (0-100 %) from the left edge of the track. */
  .peak {
    position: absolute; top: 0; bottom: 0; width: 2px; left: 0;
    background: color-mix(in srgb, var(--mb-text) 70%, transparent);
  }
  .antennas { display: inline-flex; gap: 2px; margin-left: 4px; }
  .antennas b { font-size: 0.9em; padding: 0 3px; border-radius: 3px; color: var(--mb-muted); }
  .antennas b.active { background: var(--mb-rf); color: var(--mb-on-status); }

  /* RF (line) and audio (area) history; the canvas reads its colours from color/outline. */
  .spark {
    display: block; width: 100%; height: 26px; margin-top: 5px;
    color: var(--mb-rf); outline: 0 none color-mix(in srgb, var(--mb-good) 45%, transparent);
    border-radius: 3px; background: color-mix(in srgb, var(--mb-text) 5%, transparent);
  }

  .info { display: flex; flex-wrap: wrap; gap: 2px 8px; margin-top: 6px; font-size: 0.72em; color: var(--mb-muted); }
  .info span:empty { display: none; }

  .grid.compact .tile { padding: 6px 8px; border-top-width: 4px; }
  .grid.compact .battery, .grid.compact .meters { margin-top: 4px; }
  .grid.compact .info { display: none; }
  .grid.compact .meter { grid-template-columns: 18px 1fr; }
  .grid.compact .meter.rf.with-antennas { grid-template-columns: 18px auto 1fr; }
  .grid.compact .meter .value { display: none; }
  .grid.compact .status-text { display: none; }
  .grid.compact .spark { height: 18px; margin-top: 3px; }

  /* Health per manufacturer. */
  .footer { margin: 10px 4px 0; font-size: 0.8em; color: var(--mb-muted); line-height: 1.5; }
  .footer .health[data-ok="false"] { color: var(--mb-replace); font-weight: 600; }
  .footer .sep { white-space: pre; }

  /* Layout view: receiver -> channel -> frequency for technicians. */
  .plan-summary { margin: 0 4px 10px; font-size: 0.9em; color: var(--mb-muted); }
  .plan-summary:not([data-conflicts="0"]) { color: var(--mb-critical); font-weight: 600; }
  table.layout {
    width: 100%; border-collapse: collapse; font-size: 0.9em; font-variant-numeric: tabular-nums;
    table-layout: fixed; /* the same columns in every group */
  }
  table.layout th:nth-child(1) { width: 18%; }
  table.layout th:nth-child(2) { width: 5%; }
  table.layout th:nth-child(3) { width: 15%; }
  table.layout th:nth-child(4) { width: 13%; }
  table.layout th:nth-child(5) { width: 13%; }
  table.layout th:nth-child(6) { width: 11%; }
  table.layout td { overflow: hidden; text-overflow: ellipsis; }
  table.layout th {
    text-align: left; font-weight: 500; color: var(--mb-muted); font-size: 0.85em;
    border-bottom: 1px solid var(--divider-color); padding: 4px 6px;
  }
  table.layout td { padding: 5px 6px; border-bottom: 1px solid var(--divider-color); vertical-align: baseline; }
  table.layout .num { text-align: right; white-space: nowrap; }
  table.layout td.receiver small { color: var(--mb-muted); }
  table.layout button.sort {
    font: inherit; color: inherit; background: none; border: 0; padding: 0; cursor: pointer;
    text-decoration: underline dotted;
  }
  table.layout button.sort[data-sort="frequency"]::after { content: " ▲"; }
  table.layout td.link.connected { color: var(--mb-good); }
  table.layout td.link.reconnecting, table.layout td.link.offline { color: var(--mb-replace); }
  table.layout td.link.not_loaded { color: var(--mb-critical); }
  table.layout tr[data-conflict] td { background: color-mix(in srgb, var(--mb-critical) 12%, transparent); }
  table.layout tr[data-conflict] td.flag { color: var(--mb-critical); font-weight: 600; }
  table.layout td.flag { font-size: 0.85em; }
  /* Narrow cards (a phone, the editor's preview) scroll the table sideways: every column stays. */
  .layout-scroll { overflow-x: auto; }
  table.layout { min-width: 640px; }

  /* Display view: a monitor beside the stage. High contrast, tiles as large as the screen. */
  ha-card[data-view="display"] {
    --mb-bg: #000; --mb-text: #fff; --mb-muted: #c9d1d9; --mb-track: #30363d;
    background: #000; color: #fff; padding: 8px; border: 0;
  }
  ha-card[data-view="display"]:fullscreen { padding: 12px; overflow: auto; }
  .display-bar { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; margin: 0 0 8px; }
  .chips { display: flex; gap: 6px; flex-wrap: wrap; }
  .chip, .fullscreen {
    font: inherit; font-size: 0.95em; color: #fff; background: #161b22; border: 1px solid #30363d;
    border-radius: 16px; padding: 3px 10px; cursor: pointer;
  }
  .chip[aria-selected="true"] { background: #fff; color: #000; border-color: #fff; }
  .chip kbd { font: inherit; font-weight: 700; opacity: 0.8; }
  .display-bar .hint { color: #8b949e; font-size: 0.8em; margin-left: auto; }
  .display-grid { gap: 8px; }
  /* Text scales with the tile: --mb-h is a tile's height in px, set when the grid is fitted
     to the window (no container queries: they would recompute style on every meter frame). */
  .display-grid { --mb-h: 160px; }
  .display-grid .tile {
    border-radius: 6px; padding: 6px 10px; border: 5px solid var(--mb-status);
    background: color-mix(in srgb, var(--mb-status) 30%, #000);
    display: flex; flex-direction: column; justify-content: space-between;
  }
  .display-grid .tile[data-status="rx_offline"] {
    background: repeating-linear-gradient(135deg, #21262d 0 12px, #0d1117 12px 24px);
  }
  .display-grid .tile .head { align-items: center; gap: 8px; }
  .display-grid .chid { font-size: clamp(12px, calc(var(--mb-h) * 0.1), 64px); padding: 0 0.3em; border-radius: 0.2em; }
  .display-grid .tile .name { font-size: clamp(14px, calc(var(--mb-h) * 0.17), 120px); font-weight: 700; line-height: 1.05; }
  .display-grid .subname { font-size: clamp(10px, calc(var(--mb-h) * 0.065), 40px); }
  .display-grid .status-text { font-size: clamp(10px, calc(var(--mb-h) * 0.065), 36px); color: #fff; }
  .display-grid .battery { font-size: clamp(11px, calc(var(--mb-h) * 0.08), 48px); gap: 0.4em; margin: 0; }
  .display-grid .bars i { width: 0.45em; height: 0.9em; }
  .display-grid .meters { margin: 0; gap: 2px; }
  .display-grid .meter { font-size: clamp(10px, calc(var(--mb-h) * 0.055), 28px); grid-template-columns: 2.2em 1fr auto; }
  .display-grid .meter.rf.with-antennas { grid-template-columns: 2.2em auto 1fr auto; }
  .display-grid .track { height: clamp(6px, calc(var(--mb-h) * 0.045), 22px); }
  .display-grid .spark { height: clamp(14px, calc(var(--mb-h) * 0.13), 90px); margin: 0; }
  .display-grid .info { font-size: clamp(10px, calc(var(--mb-h) * 0.055), 28px); margin: 0; }

  @media (prefers-reduced-motion: reduce) {
    .tile[data-status="audio_peak"]::before { animation: none; opacity: 0.12; }
  }
`;
