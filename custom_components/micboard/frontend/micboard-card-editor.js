// Visual editor of the Micboard card, built on Home Assistant's own <ha-form> and selectors
// (entry, device, area and label pickers, the action editor), so it looks and behaves like
// the built-in editors. Every option of the card is here; every word comes from the
// integration's translations (card.editor.*), like the card's own.

import { CardStrings } from "./micboard-i18n.js";
import {
  BRANDS,
  DEFAULT_HISTORY_SECONDS,
  DEFAULT_HOLD_ACTION,
  DEFAULT_METER_RATE,
  DEFAULT_SPACING_MHZ,
  DEFAULT_TAP_ACTION,
  FIELDS,
  GROUPINGS,
  HISTORY_CHOICES,
  MAX_METER_RATE,
  SORTS,
  TILE_SIZES,
  VIEWS,
} from "./micboard-model.js";

/** Options whose value equals the default are left out of the YAML. */
const DEFAULTS = {
  view: "tiles",
  group_by: "none",
  tile_size: "large",
  sort_by: "rack",
  meter_rate: DEFAULT_METER_RATE,
  history_seconds: DEFAULT_HISTORY_SECONDS,
  min_spacing_mhz: DEFAULT_SPACING_MHZ,
  person_pictures: false,
  footer: true,
};
const OPTIONAL = [
  "title",
  "config_entry_id",
  "device_id",
  "area_id",
  "label_id",
  "manufacturer",
  "picture_folder",
];
/** Fields that get a helper line under them (card.editor.helper.<name>). */
const HELPED = [
  "device_id",
  "area_id",
  "manufacturer",
  "view",
  "meter_rate",
  "history_seconds",
  "picture_folder",
  "person_pictures",
  "min_spacing_mhz",
  "footer",
  "tap_action",
];

function options(t, group, values) {
  return values.map((value) => ({ value: String(value), label: t(`editor.${group}.${value}`) }));
}

function schema(t) {
  const select = (name, values, mode = "dropdown") => ({
    name,
    selector: { select: { mode, options: options(t, name, values) } },
  });
  return [
    { name: "title", selector: { text: {} } },
    select("view", VIEWS, "list"),
    {
      type: "expandable",
      name: "",
      title: t("editor.section.channels"),
      flatten: true,
      schema: [
        { name: "config_entry_id", selector: { config_entry: { integration: "micboard" } } },
        { name: "device_id", selector: { device: { integration: "micboard", multiple: true } } },
        { name: "area_id", selector: { area: { multiple: true } } },
        { name: "label_id", selector: { label: { multiple: true } } },
        {
          name: "manufacturer",
          selector: {
            select: {
              multiple: true,
              mode: "dropdown",
              options: options(t, "manufacturer", BRANDS),
            },
          },
        },
      ],
    },
    {
      type: "expandable",
      name: "",
      title: t("editor.section.tiles"),
      flatten: true,
      schema: [
        select("group_by", GROUPINGS),
        select("tile_size", TILE_SIZES, "list"),
        {
          name: "show",
          selector: {
            select: { multiple: true, mode: "list", options: options(t, "field", FIELDS) },
          },
        },
        {
          name: "meter_rate",
          selector: {
            number: {
              min: 0,
              max: MAX_METER_RATE,
              step: 1,
              mode: "slider",
              unit_of_measurement: "Hz",
            },
          },
        },
        select("history_seconds", HISTORY_CHOICES),
        { name: "picture_folder", selector: { text: {} } },
        { name: "person_pictures", selector: { boolean: {} } },
        { name: "footer", selector: { boolean: {} } },
      ],
    },
    {
      type: "expandable",
      name: "",
      title: t("editor.section.layout"),
      flatten: true,
      schema: [
        select("sort_by", SORTS, "list"),
        {
          name: "min_spacing_mhz",
          selector: {
            number: { min: 0, max: 5, step: 0.025, mode: "box", unit_of_measurement: "MHz" },
          },
        },
      ],
    },
    {
      type: "expandable",
      name: "",
      title: t("editor.section.interactions"),
      flatten: true,
      schema: [
        { name: "tap_action", selector: { ui_action: { default_action: "more-info" } } },
        { name: "hold_action", selector: { ui_action: { default_action: "none" } } },
      ],
    },
  ];
}

/** Make sure <ha-form> is defined: it is loaded lazily by the frontend. */
async function ensureHaForm() {
  if (customElements.get("ha-form")) return;
  if (window.loadCardHelpers) {
    // Asking a built-in card for its editor loads ha-form and the selectors.
    const helpers = await window.loadCardHelpers();
    const card = await helpers.createCardElement({ type: "entities", entities: [] });
    if (card && card.constructor.getConfigElement) await card.constructor.getConfigElement();
  }
  await customElements.whenDefined("ha-form");
}

class MicboardCardEditor extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this._config = {};
    this._strings = new CardStrings();
  }

  setConfig(config) {
    this._config = { ...config };
    this._render();
  }

  set hass(hass) {
    this._hass = hass;
    if (this._form) this._form.hass = hass;
    if (!this._strings.readyFor(hass)) {
      this._strings.load(hass).then((loaded) => {
        if (loaded && this._form) this._form.schema = schema((k, v) => this._strings.t(k, v));
        this._render();
      });
    }
  }

  connectedCallback() {
    this._render();
  }

  async _render() {
    if (!this._hass || !this._strings.readyFor(this._hass)) return;
    if (this._form) {
      this._form.data = this._data();
      return;
    }
    if (this._rendering) return;
    this._rendering = true;
    await ensureHaForm();
    const t = (key, values) => this._strings.t(key, values);
    this._form = document.createElement("ha-form");
    this._form.hass = this._hass;
    this._form.schema = schema(t);
    this._form.data = this._data();
    this._form.computeLabel = (item) => (item.name ? t(`editor.label.${item.name}`) : "");
    this._form.computeHelper = (item) =>
      HELPED.includes(item.name)
        ? t(`editor.helper.${item.name}`, { max: MAX_METER_RATE })
        : undefined;
    this._form.addEventListener("value-changed", (event) => this._changed(event.detail.value));
    this.shadowRoot.replaceChildren(this._form);
  }

  _data() {
    const data = {
      ...DEFAULTS,
      show: [...FIELDS],
      tap_action: DEFAULT_TAP_ACTION,
      hold_action: DEFAULT_HOLD_ACTION,
      ...this._config,
    };
    // Select options are strings.
    data.history_seconds = String(data.history_seconds);
    return data;
  }

  _changed(value) {
    const config = { ...this._config, ...value };
    if (config.history_seconds !== undefined) {
      config.history_seconds = Number(config.history_seconds);
    }
    // Keep the YAML short: drop empty filters and values equal to the defaults.
    for (const key of OPTIONAL) {
      const item = config[key];
      if (item === undefined || item === "" || (Array.isArray(item) && !item.length)) {
        delete config[key];
      }
    }
    for (const [key, fallback] of Object.entries(DEFAULTS)) {
      if (config[key] === fallback) delete config[key];
    }
    if (config.show && config.show.length === FIELDS.length) delete config.show;
    for (const [key, fallback] of [
      ["tap_action", DEFAULT_TAP_ACTION],
      ["hold_action", DEFAULT_HOLD_ACTION],
    ]) {
      const item = config[key];
      if (!item || (item.action === fallback.action && Object.keys(item).length === 1)) {
        delete config[key];
      }
    }
    this._config = config;
    this.dispatchEvent(
      new CustomEvent("config-changed", { detail: { config }, bubbles: true, composed: true }),
    );
  }
}

if (!customElements.get("micboard-card-editor")) {
  customElements.define("micboard-card-editor", MicboardCardEditor);
}
