// The card's words, from the integration's own translation files (translations/<lang>.json).
//
// Home Assistant serves an integration's translations by category; every top-level key of
// the file is a category, so the card's strings live under "card" and are fetched with
// hass.loadBackendTranslation("card", "micboard"), the same call Home Assistant's own panels
// use. The long status names come from the "entity" category (the Status sensor's states).
// The backend merges English under the user's language, so a key missing from a translation
// shows in English; adding a language is adding one translations/<lang>.json file.

const DOMAIN = "micboard";
const CARD_PREFIX = `component.${DOMAIN}.card.`;
const STATUS_PREFIX = `component.${DOMAIN}.entity.sensor.status.state.`;

export class CardStrings {
  constructor() {
    this.localize = null;
    this.language = null;
    this._loading = null;
  }

  /** Whether the strings for this language are loaded. */
  readyFor(hass) {
    return Boolean(this.localize) && this.language === hass.language;
  }

  /**
   * Load the card's and the status translations for the user's language (again when the
   * language changes); resolves once `t()` can answer.
   */
  load(hass) {
    if (this.readyFor(hass)) return Promise.resolve(false);
    const language = hass.language;
    if (this._loading && this._loading.language === language) return this._loading.promise;
    const promise = (async () => {
      let localize = hass.localize;
      if (typeof hass.loadBackendTranslation === "function") {
        // One after the other: each call returns Home Assistant's localize with what was
        // loaded so far, so the second one knows both categories.
        await hass.loadBackendTranslation("card", DOMAIN);
        localize = (await hass.loadBackendTranslation("entity", DOMAIN)) || hass.localize;
      }
      if (this._loading && this._loading.language !== language) return false; // superseded
      this.localize = localize;
      this.language = language;
      this._loading = null;
      return true;
    })();
    this._loading = { language, promise };
    return promise;
  }

  /** Keep following Home Assistant's localize (it changes when other translations load). */
  update(hass) {
    if (this.language === hass.language && hass.localize) this.localize = hass.localize;
  }

  /** A card string; `values` fill its {placeholders}. */
  t(key, values) {
    const text = this.localize ? this.localize(CARD_PREFIX + key, values) : "";
    return text || key;
  }

  /** The long name of a status ("Replace battery soon"), as the Status sensor shows it. */
  statusName(status) {
    const text = this.localize ? this.localize(STATUS_PREFIX + status) : "";
    return text || this.t(`status.${status}`);
  }
}
