import { loadSimRules } from "../../src/sim/io/load-sim-rules.js";
import type { ScenarioSpec, SimRules } from "../../src/sim/sim-types.js";

let cached: Promise<SimRules> | null = null;

/** The project's own rules/sim (validated), loaded once per test file. */
export function rules(): Promise<SimRules> {
  cached ??= loadSimRules();
  return cached;
}

export async function scenario(name: string): Promise<ScenarioSpec> {
  const r = await rules();
  const s = r.scenarios.find((x) => x.name === name);
  if (!s) throw new Error(`scenario ${name} missing from rules/sim/scenarios`);
  return s;
}
