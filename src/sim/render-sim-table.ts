import type { ScenarioSpec, SimResult } from "./sim-types.js";

/**
 * Scenarios x semantics, one cell per exploration: "clean" or "FAIL" with the violated
 * properties, plus the scenario's expectation from rules/sim/scenarios when it disagrees.
 */
export function renderSimTable(results: SimResult[], semantics: string[], scenarios: ScenarioSpec[]): string {
  const cell = (r: SimResult | undefined): string => (!r ? "-" : r.violations.length ? `FAIL ${r.violations.map((v) => v.property).join(",")}` : "clean");
  const nameW = Math.max(8, ...scenarios.map((s) => s.name.length));
  const cells = scenarios.map((sc) => semantics.map((sem) => cell(results.find((r) => r.scenario === sc.name && r.semantics === sem))));
  const colW = semantics.map((sem, i) => Math.max(sem.length, ...cells.map((row) => (row[i] ?? "").length)));
  const line = (first: string, rest: string[]): string => [first.padEnd(nameW), ...rest.map((c, i) => c.padEnd(colW[i] ?? 0))].join("  ").trimEnd();
  const out = [line("scenario", semantics), line("-".repeat(nameW), colW.map((w) => "-".repeat(w)))];
  const mismatches: string[] = [];
  scenarios.forEach((sc, i) => {
    out.push(line(sc.name, cells[i] ?? []));
    semantics.forEach((sem, j) => {
      const want = sc.expect?.[sem];
      const got = (cells[i]?.[j] ?? "").startsWith("FAIL") ? "fail" : "clean";
      if (want && want !== got) mismatches.push(`${sc.name} under ${sem}: expected ${want}, got ${got}`);
    });
  });
  const states = results.reduce((a, r) => a + r.states, 0);
  const secs = results.reduce((a, r) => a + r.seconds, 0);
  out.push("", `${results.length} explorations, ${states} states, ${secs.toFixed(3)} s`);
  if (mismatches.length) out.push("differs from the scenario's expect:", ...mismatches.map((m) => `  ${m}`));
  return out.join("\n");
}
