// Styles of the Micboard card. Colours follow Micboard (green good, yellow replace, red
// critical, grey transmitter off, dark receiver offline) and are mixed with the theme's card
// background, so the same tiles read well in light and dark themes.

export const CARD_STYLES = `
  :host {
    --mb-good: var(--micboard-good-color, #2ea043);
    --mb-replace: var(--micboard-replace-color, #e3b341);
    --mb-critical: var(--micboard-critical-color, #e5534b);
    --mb-peak: var(--micboard-peak-color, #d63384);
    --mb-off: var(--micboard-tx-off-color, #8b949e);
    --mb-offline: var(--micboard-rx-offline-color, #57606a);
    --mb-unknown: var(--micboard-unknown-color, #8b949e);
    --mb-bg: var(--ha-card-background, var(--card-background-color, #fff));
    --mb-text: var(--primary-text-color, #1f2328);
    --mb-muted: var(--secondary-text-color, #656d76);
    --mb-track: color-mix(in srgb, var(--mb-text) 12%, transparent);
    display: block;
  }
  [hidden] { display: none !important; }
  ha-card { padding: 12px; overflow: hidden; }
  .header { font-size: 1.2em; font-weight: 500; padding: 0 4px 8px; color: var(--mb-text); }
  .message { padding: 8px 4px; color: var(--mb-muted); }
  .message.error { color: var(--error-color, #db4437); }
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
    border-top: 5px solid var(--mb-status);
    background: color-mix(in srgb, var(--mb-status) 16%, var(--mb-bg));
    color: var(--mb-text); min-width: 0;
    box-shadow: inset 0 0 0 1px color-mix(in srgb, var(--mb-status) 35%, transparent);
  }
  .tile[data-status="good"] { --mb-status: var(--mb-good); }
  .tile[data-status="replace"] { --mb-status: var(--mb-replace); }
  .tile[data-status="critical"] { --mb-status: var(--mb-critical); }
  .tile[data-status="audio_peak"] { --mb-status: var(--mb-peak); animation: mb-peak 1s ease-in-out infinite alternate; }
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
  .tile[data-status="tx_off"] .meters, .tile[data-status="rx_offline"] .meters { opacity: 0.35; }
  @keyframes mb-peak { to { background: color-mix(in srgb, var(--mb-peak) 34%, var(--mb-bg)); } }

  .head { display: flex; align-items: baseline; gap: 6px; min-width: 0; }
  .chid {
    font-weight: 700; font-size: 0.8em; padding: 1px 6px; border-radius: 6px;
    background: var(--mb-status); color: #fff; flex: none;
  }
  .tile[data-status="replace"] .chid, .tile[data-status="previously_replace"] .chid { color: #1f2328; }
  .name { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; flex: 1; }
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
  .track { position: relative; height: 7px; border-radius: 4px; background: var(--mb-track); overflow: hidden; }
  .fill { position: absolute; inset: 0 auto 0 0; width: 0; border-radius: 4px; transition: width 90ms linear; }
  .meter.rf .fill { background: var(--info-color, #2f81f7); }
  .meter.rf[data-problem="true"] .fill { background: var(--mb-critical); }
  .meter.audio .fill { background: var(--mb-good); }
  .meter.audio[data-zone="hot"] .fill { background: var(--mb-replace); }
  .meter.audio[data-zone="clip"] .fill { background: var(--mb-critical); }
  .peak { position: absolute; top: 0; bottom: 0; width: 2px; background: var(--mb-text); opacity: 0.7; left: 0; }
  .antennas { display: inline-flex; gap: 2px; margin-left: 4px; }
  .antennas b { font-size: 0.9em; padding: 0 3px; border-radius: 3px; color: var(--mb-muted); }
  .antennas b.active { background: var(--info-color, #2f81f7); color: #fff; }

  .info { display: flex; flex-wrap: wrap; gap: 2px 8px; margin-top: 6px; font-size: 0.72em; color: var(--mb-muted); }
  .info span:empty { display: none; }

  .grid.compact .tile { padding: 6px 8px; border-top-width: 4px; }
  .grid.compact .battery, .grid.compact .meters { margin-top: 4px; }
  .grid.compact .info { display: none; }
  .grid.compact .meter { grid-template-columns: 18px 1fr; }
  .grid.compact .meter.rf.with-antennas { grid-template-columns: 18px auto 1fr; }
  .grid.compact .meter .value { display: none; }
  .grid.compact .status-text { display: none; }

  @media (prefers-reduced-motion: reduce) {
    .tile[data-status="audio_peak"] { animation: none; }
    .fill { transition: none; }
  }
`;
