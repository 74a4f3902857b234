// Checks of the card's pure rules (custom_components/micboard/frontend/micboard-model.js).
//
// One expression: a function of the model module returning the list of failures. The browser
// test (scripts/e2e_browser.py) imports the module as Home Assistant serves it and runs this
// in Chromium, where the card runs; `node tests/frontend/run_model_rules.mjs` runs it locally.
(m) => {
  const out = [];
  const eq = (what, got, want) => {
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      out.push(`${what}: ${JSON.stringify(got)} != ${JSON.stringify(want)}`);
    }
  };

  // Picture file rule: slugs of the tile name and the file stem.
  eq("slug", ["Lead Vox", "Zoë B.", "  --MC 2-- "].map(m.pictureSlug), ["lead_vox", "zoe_b", "mc_2"]);
  eq(
    "picture index",
    [...m.pictureIndex(["Lead Vox.png", "lead_vox.JPG", "a.txt", "b.webp", ".jpg"])],
    [["lead_vox", "lead_vox.JPG"], ["b", "b.webp"]],
  );
  const people = {
    "person.mic_3": { attributes: { friendly_name: "Mic 3", entity_picture: "/api/image/serve/x/512x512" } },
    "person.nopic": { attributes: { friendly_name: "Lead Vox" } },
    "sensor.mic_3": { attributes: { friendly_name: "Mic 3", entity_picture: "/wrong" } },
  };
  eq("person picture", [m.personPicture(people, "MIC 3"), m.personPicture(people, "Lead Vox")], [
    "/api/image/serve/x/512x512",
    null,
  ]);

  // Frequency plan: nearest neighbour closer than the spacing; same frequency within 1 kHz.
  const clashes = m.frequencyConflicts(
    [
      { key: "a", frequency_mhz: 500.0 },
      { key: "b", frequency_mhz: 500.2 },
      { key: "c", frequency_mhz: 510.0 },
      { key: "d", frequency_mhz: 510.0005 },
      { key: "e", frequency_mhz: 520.0 },
      { key: "f", frequency_mhz: null },
    ],
    0.3,
  );
  eq("clashes", [...clashes].map(([key, v]) => [key, v.kind, v.other]), [
    ["a", "too_close", "b"],
    ["b", "too_close", "a"],
    ["c", "duplicate", "d"],
    ["d", "duplicate", "c"],
  ]);

  // Names: the Home Assistant name large, the receiver's channel name small.
  eq(
    "names",
    [
      m.tileNames({ name: "HH 1", device_name: "Lead" }, "Channel 1"),
      m.tileNames({ name: "Lead", device_name: "Lead" }, "Channel 1"),
      m.tileNames({ name: "HH 1", device_name: null }, "Channel 1"),
      m.tileNames({ name: null, device_name: null }, "Channel 1"),
    ],
    [
      { primary: "Lead", secondary: "HH 1" },
      { primary: "Lead", secondary: "" },
      { primary: "HH 1", secondary: "" },
      { primary: "Channel 1", secondary: "" },
    ],
  );

  // Health per manufacturer: receivers of loaded entries, unloaded entries count as one.
  const model = new m.LiveModel();
  model.apply({
    type: "snapshot",
    channels: [],
    areas: {},
    labels: {},
    entries: [
      { entry_id: "s", available: true, state: "loaded", manufacturer: "Shure" },
      { entry_id: "t", available: false, state: "loaded", manufacturer: "Shure" },
      { entry_id: "u", available: false, state: "setup_error", manufacturer: "Sennheiser" },
      { entry_id: "v", available: false, state: "setup_retry", manufacturer: "Sennheiser" },
    ],
    receivers: [
      { key: "s/1", entry_id: "s", manufacturer: "Shure", online: true },
      { key: "s/2", entry_id: "s", manufacturer: "Shure", online: false },
      { key: "t/1", entry_id: "t", manufacturer: "Shure", online: true },
    ],
  });
  const counts = (brand, c) => ({ manufacturer: brand, total: 0, connected: 0, reconnecting: 0, offline: 0, not_loaded: 0, ...c });
  eq("health", model.health(), [
    counts("Sennheiser", { total: 2, reconnecting: 1, not_loaded: 1 }),
    counts("Shure", { total: 3, connected: 1, reconnecting: 1, offline: 1 }),
  ]);
  eq("health with an area filter", model.health(false), [
    counts("Shure", { total: 3, connected: 1, reconnecting: 1, offline: 1 }),
  ]);

  // Display grid: the layout with the largest tiles.
  eq("grid", m.fillGrid(12, 1200, 600), { columns: 4, rows: 3, size: 294 });

  // Configuration: defaults, and what is refused.
  const config = m.normalizeConfig({});
  eq("defaults", [config.view, config.history_seconds, config.min_spacing_mhz, config.footer, config.tap_action.action], [
    "tiles",
    60,
    0.3,
    true,
    "more-info",
  ]);
  eq("manufacturer filter", m.normalizeConfig({ manufacturer: "shure" }).filter, { manufacturer: ["shure"] });
  for (const bad of [
    { history_seconds: 10 },
    { history_seconds: 121 },
    { view: "wall" },
    { picture_folder: "/media/x/" },
    { tap_action: { action: "explode" } },
    { min_spacing_mhz: -1 },
  ]) {
    try {
      m.normalizeConfig(bad);
      out.push(`accepted ${JSON.stringify(bad)}`);
    } catch (err) {
      // refused, as it should be
    }
  }
  return out;
};
