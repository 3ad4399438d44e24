import type { ScenarioDeviceSpec, ScenarioSpec } from "./sim-types.js";

/**
 * A scenario from the balance analysis (issue 3): one actor per balance class the patch's code
 * shows, placed where that class matters. Classes without a device behaviour ("library") are
 * left out, unknown ones too (listed in `ignored`).
 * - shared-dispose: two functions on one shared INTx line (the per-device dispose question);
 * - dispose-unowned: a borrower next to the owner (balanced) of a shared wired line;
 * - every other class: one device on its own wired line of intc0.
 */
export function scenarioFromFindings(
  classes: string[],
  opts: { name?: string; rounds?: number; known: string[] },
): { scenario: ScenarioSpec | null; ignored: string[] } {
  const wanted = [...new Set(classes)].sort();
  const devices: ScenarioDeviceSpec[] = [];
  const ignored: string[] = [];
  let wired = 1;
  for (const cls of wanted) {
    if (!opts.known.includes(cls)) {
      ignored.push(cls);
      continue;
    }
    const id = cls.replace(/[^a-z0-9]+/g, "_");
    if (cls === "shared-dispose") devices.push({ name: `fn_${id}`, count: 2, class: cls, line: "phb0-intx/1" });
    else if (cls === "dispose-unowned") {
      devices.push({ name: `owner_${id}`, class: "balanced", line: "intc1/40" });
      devices.push({ name: `dev_${id}`, class: cls, line: "intc1/40" });
    } else devices.push({ name: `dev_${id}`, class: cls, line: `intc0/${wired++}` });
  }
  if (!devices.length) return { scenario: null, ignored };
  return {
    scenario: {
      name: opts.name ?? "from-analysis",
      description: `actors from the balance analysis: ${wanted.filter((c) => !ignored.includes(c)).join(", ")}`,
      rounds: opts.rounds ?? 1,
      devices,
    },
    ignored,
  };
}
