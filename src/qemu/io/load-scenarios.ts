import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { parse } from "yaml";
import { ConfigError } from "../../errors.js";
import { rulesDir as packageRulesDir } from "../../package-root.js";
import type { QemuScenario } from "../qemu-scenario.js";
import { validateScenario } from "../validate-scenario.js";


/**
 * Read and validate every scenario in `<rulesDir>/qemu/scenarios` against
 * `<rulesDir>/schema/qemu-scenario.json` (I/O); a bad file is a ConfigError naming it.
 */
export async function loadScenarios(rulesDir: string = packageRulesDir): Promise<Map<string, QemuScenario>> {
  const dir = path.join(rulesDir, "qemu", "scenarios");
  const schema = JSON.parse(await readFile(path.join(rulesDir, "schema", "qemu-scenario.json"), "utf8")) as object;
  const out = new Map<string, QemuScenario>();
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  for (const f of files) {
    const file = path.join(dir, f);
    const outcome = validateScenario(parse(await readFile(file, "utf8")), schema);
    if (!outcome.ok) throw new ConfigError(`invalid QEMU scenario ${file}`, outcome.problems);
    if (out.has(outcome.scenario.name)) throw new ConfigError(`duplicate QEMU scenario name "${outcome.scenario.name}" in ${file}`);
    out.set(outcome.scenario.name, outcome.scenario);
  }
  return out;
}
