// Visual editor of the Micboard card, built on Home Assistant's own <ha-form> and selectors
// (entry, device, area and label pickers), so it looks and behaves like the built-in editors.

import { DEFAULT_METER_RATE, FIELDS, MAX_METER_RATE } from "./micboard-model.js";

const FIELD_LABELS = {
  battery: "Battery bars and %",
  runtime: "Battery runtime",
  rf: "RF meter",
  audio: "Audio meter",
  antenna: "Active antenna (with RF)",
  quality: "RF quality",
  frequency: "Frequency",
  tx_model: "Transmitter model",
  status_text: "Status text",
};

const LABELS = {
  title: "Title",
  config_entry_id: "Only this rack, receiver or server (entry)",
  device_id: "Only these receivers or channels",
  area_id: "Only channels in these areas",
  label_id: "Only channels with these labels",
  group_by: "Group channels",
  tile_size: "Tile size",
  show: "Show on each tile",
  meter_rate: "Live meter rate",
};

const HELPERS = {
  device_id: "A receiver stands for all of its channels.",
  area_id: "A channel without an area of its own is in its receiver's area.",
  meter_rate: `Updates per second of the RF and audio meters (0 turns them off, at most ${MAX_METER_RATE}).`,
};

const SCHEMA = [
  { name: "title", selector: { text: {} } },
  {
    type: "expandable",
    name: "",
    title: "Which channels",
    flatten: true,
    schema: [
      { name: "config_entry_id", selector: { config_entry: { integration: "micboard" } } },
      { name: "device_id", selector: { device: { integration: "micboard", multiple: true } } },
      { name: "area_id", selector: { area: { multiple: true } } },
      { name: "label_id", selector: { label: { multiple: true } } },
    ],
  },
  {
    name: "group_by",
    selector: {
      select: {
        mode: "dropdown",
        options: [
          { value: "none", label: "All channels together" },
          { value: "receiver", label: "By receiver" },
          { value: "area", label: "By area" },
          { value: "label", label: "By label" },
        ],
      },
    },
  },
  {
    name: "tile_size",
    selector: {
      select: {
        mode: "list",
        options: [
          { value: "large", label: "Large (all details)" },
          { value: "compact", label: "Compact (name, battery, meters)" },
        ],
      },
    },
  },
  {
    name: "show",
    selector: {
      select: {
        multiple: true,
        mode: "list",
        options: FIELDS.map((field) => ({ value: field, label: FIELD_LABELS[field] })),
      },
    },
  },
  {
    name: "meter_rate",
    selector: {
      number: { min: 0, max: MAX_METER_RATE, step: 1, mode: "slider", unit_of_measurement: "Hz" },
    },
  },
];

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
  }

  setConfig(config) {
    this._config = { ...config };
    this._render();
  }

  set hass(hass) {
    this._hass = hass;
    if (this._form) this._form.hass = hass;
  }

  connectedCallback() {
    this._render();
  }

  async _render() {
    if (this._form) {
      this._form.data = this._data();
      return;
    }
    if (this._rendering) return;
    this._rendering = true;
    await ensureHaForm();
    this._form = document.createElement("ha-form");
    this._form.hass = this._hass;
    this._form.schema = SCHEMA;
    this._form.data = this._data();
    this._form.computeLabel = (item) => LABELS[item.name] ?? item.name;
    this._form.computeHelper = (item) => HELPERS[item.name];
    this._form.addEventListener("value-changed", (event) => this._changed(event.detail.value));
    this.shadowRoot.replaceChildren(this._form);
  }

  _data() {
    return {
      group_by: "none",
      tile_size: "large",
      show: [...FIELDS],
      meter_rate: DEFAULT_METER_RATE,
      ...this._config,
    };
  }

  _changed(value) {
    const config = { ...this._config, ...value };
    // Keep the YAML short: drop empty filters and values equal to the defaults.
    for (const key of ["title", "config_entry_id", "device_id", "area_id", "label_id"]) {
      const item = config[key];
      if (item === undefined || item === "" || (Array.isArray(item) && !item.length)) {
        delete config[key];
      }
    }
    if (config.show && config.show.length === FIELDS.length) delete config.show;
    if (config.meter_rate === DEFAULT_METER_RATE) delete config.meter_rate;
    this._config = config;
    this.dispatchEvent(
      new CustomEvent("config-changed", { detail: { config }, bubbles: true, composed: true }),
    );
  }
}

if (!customElements.get("micboard-card-editor")) {
  customElements.define("micboard-card-editor", MicboardCardEditor);
}
