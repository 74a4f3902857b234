// Run tests/frontend/model_rules.js with Node (optional; CI runs it in Chromium via scripts/e2e).
import { readFileSync } from "node:fs";
import * as model from "../../custom_components/micboard/frontend/micboard-model.js";

const rules = (0, eval)(readFileSync(new URL("./model_rules.js", import.meta.url), "utf8"));
const failures = rules(model);
for (const failure of failures) console.error(failure);
console.log(failures.length ? `${failures.length} failed` : "model rules: all passed");
process.exit(failures.length ? 1 : 0);
