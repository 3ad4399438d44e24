import { existsSync } from "node:fs";
import path from "node:path";
import { loadConfig } from "../../config/io/load-config.js";
import { ExitCode, UsageError } from "../../errors.js";
import { buildSharedLsi } from "../../sim/build-shared-lsi.js";
import { detectSemantics, effectiveSemantics, formatEvidence } from "../../sim/detect-semantics.js";
import { renderSimTable } from "../../sim/render-sim-table.js";
import { findSemantics, simulate, type SimOutcome } from "../../sim/simulate.js";
import type { ScenarioSpec, SimResult, SimRules } from "../../sim/sim-types.js";
import { loadScenarioFile, loadSimRules } from "../../sim/io/load-sim-rules.js";
import { readSemanticsSources } from "../../sim/io/read-semantics-sources.js";
import { startBatchWorker } from "../../sim/io/start-batch-worker.js";
import { optBool, optInt, optString } from "../args.js";
import type { CliCommand, ParsedArgs } from "../cli-command.js";

const help = `usage: irqtriage sim --semantics <mainline|refcount-v3|ppc-kref> [--scenario <file or name>]
                     [--devices N] [--lines L] [--rounds R] [--driver <balance class>]
                     [--no-symmetry] [--json] [--threads 1|2]

Explores every interleaving of plug, probe (success and each failure point), unplug and
re-plug of the scenario's devices under one IRQ-mapping semantics (breadth-first, so every
trace is a shortest one) and reports violated properties: premature-unmap, leak,
double-dispose, hierarchy, dead-free.
  --semantics S   mainline (create idempotent, dispose destroys), refcount-v3 (the 2020
                  proposal), ppc-kref (powerpc intx_list kref, Linux 5.11); also:
                  "all" = table of every scenario x every semantics;
                  "auto" = detect from --tree <kernel tree> (default: config sim.semantics)
  --scenario X    a name from rules/sim/scenarios, a scenario file, or shared-lsi (default)
  shared-lsi: N devices (--devices, default 2) on L shared legacy lines (--lines, default
  1), device i on line i mod L, each plugged/probed/unplugged up to R times (--rounds,
  default 1), behaviour from --driver (default shared-dispose; see rules/sim/actors.yaml)
  --no-symmetry   explore devices by name (no counting abstraction)
  --json          {"semantics","scenario","states","seconds","violations":[{"property",
                  "trace":[...]}]} (an array of those with --semantics all)
  --threads T     2 (default: config sim.threads): runs beyond 16,384 states generate
                  successors in a second thread; same result either way
Extensions: --tree <dir> (for --semantics auto), --config <file>.
Exit: 0 clean, 1 violations found, 2 usage, 3 bad rules/config.
`;

const DEFAULTS = { devices: 2, lines: 1, rounds: 1, driver: "shared-dispose" };

function contract(r: SimResult): SimResult {
  return { semantics: r.semantics, scenario: r.scenario, states: r.states, seconds: r.seconds, violations: r.violations };
}

async function resolveScenario(args: ParsedArgs, rules: SimRules, cwd: string, rulesTopology: SimRules["topology"]): Promise<ScenarioSpec> {
  const name = optString(args, "scenario") ?? "shared-lsi";
  const lsiFlags = ["devices", "lines", "rounds", "driver"].filter((f) => args.values[f] !== undefined);
  if (name === "shared-lsi") {
    const driver = optString(args, "driver") ?? DEFAULTS.driver;
    if (!rules.classes[driver]) throw new UsageError(`unknown --driver "${driver}" (known: ${Object.keys(rules.classes).join(", ")})`);
    return buildSharedLsi(
      {
        devices: optInt(args, "devices", DEFAULTS.devices, 1, 16),
        lines: optInt(args, "lines", DEFAULTS.lines, 1, 4),
        rounds: optInt(args, "rounds", DEFAULTS.rounds, 1, 7),
        driver,
      },
      rulesTopology,
    );
  }
  if (lsiFlags.length) throw new UsageError(`--${lsiFlags.join(", --")} only apply to the built-in shared-lsi scenario`);
  const known = rules.scenarios.find((s) => s.name === name);
  if (known) return known;
  const file = path.resolve(cwd, name);
  if (/\.ya?ml$|\//.test(name) && existsSync(file)) return loadScenarioFile(file);
  throw new UsageError(`unknown scenario "${name}" (known: shared-lsi, ${rules.scenarios.map((s) => s.name).join(", ")}; or a .yaml file)`);
}

function printRun(r: SimOutcome, scenario: ScenarioSpec, symmetry: boolean, out: (s: string) => void): void {
  out(`scenario ${r.scenario}: ${scenario.description}`);
  out(`semantics ${r.semantics}: ${r.states} states in ${r.seconds.toFixed(3)} s (${symmetry ? "counting abstraction" : "no symmetry reduction"}${r.afterViolation ? `; ${r.afterViolation} past a violation, explored too` : ""})${r.truncated ? ", STOPPED at the state bound: not exhaustive" : ""}`);
  if (!r.violations.length) {
    out("no violation: clean");
    return;
  }
  for (const v of r.violations) {
    out("");
    out(`${v.property} (${v.trace.length} steps):`);
    for (const step of v.trace) out(`  ${step}`);
  }
}

export const command: CliCommand = {
  name: "sim",
  summary: "exhaustive reference-count simulation of IRQ mapping semantics",
  help,
  allowPositionals: false,
  options: {
    semantics: { type: "string" },
    scenario: { type: "string" },
    devices: { type: "string" },
    lines: { type: "string" },
    rounds: { type: "string" },
    driver: { type: "string" },
    "no-symmetry": { type: "boolean" },
    json: { type: "boolean" },
    threads: { type: "string" },
    tree: { type: "string" },
    config: { type: "string" },
  },
  async run(args, io) {
    const config = await loadConfig(optString(args, "config"), io.env, io.cwd);
    const rules = await loadSimRules();
    const json = optBool(args, "json");
    const symmetry = !optBool(args, "no-symmetry");
    const out = (s: string): void => void io.stdout.write(s + "\n");
    const threads = optString(args, "threads") ?? String(config.sim.threads);
    if (threads !== "1" && threads !== "2") throw new UsageError(`--threads must be 1 or 2, not "${threads}"`);
    const opts = { symmetry, maxStates: config.sim.maxStates, ...(threads === "2" ? { worker: startBatchWorker } : {}) };
    const scenario = await resolveScenario(args, rules, io.cwd, rules.topology);
    let semName = optString(args, "semantics") ?? config.sim.semantics;

    if (semName === "all") {
      const scenarios = [...rules.scenarios, scenario.name === "shared-lsi" ? scenario : null].filter((s): s is ScenarioSpec => s !== null);
      const results = scenarios.flatMap((sc) => rules.semantics.map((sem) => simulate({ rules, semantics: sem, scenario: sc }, opts)));
      if (json) out(JSON.stringify(results.map(contract), null, 2));
      else out(renderSimTable(results, rules.semantics.map((s) => s.name), scenarios));
      return results.some((r) => r.violations.length) ? ExitCode.findings : ExitCode.ok;
    }
    if (semName === "auto") {
      const tree = optString(args, "tree") ?? config.mirror.path;
      if (!tree) throw new UsageError("--semantics auto needs --tree <kernel tree> (or mirror.path in the config)");
      const det = detectSemantics(await readSemanticsSources(path.resolve(io.cwd, tree), rules.semantics), rules.semantics);
      const usesIntx = scenario.devices.some((d) => rules.topology.domains.find((x) => x.name === d.line.split("/")[0])?.intx);
      const chosen = effectiveSemantics(det, usesIntx);
      const say = (s: string): void => void (json ? io.stderr : io.stdout).write(s + "\n");
      say(`detected in ${tree}: core ${det.core ?? "unknown"}${det.overlays.length ? `, overlays ${det.overlays.join(", ")}` : ""}`);
      for (const l of formatEvidence(det.evidence)) say(`  ${l}`);
      if (!chosen) {
        for (const c of det.candidates) say(`  ${c.semantics}: missing ${c.missing.join("; ") || "-"}`);
        throw new UsageError(`no known semantics matches ${tree}; force one with --semantics`);
      }
      semName = chosen;
    } else if (args.values["tree"] !== undefined) {
      throw new UsageError("--tree only goes with --semantics auto");
    }
    const sem = findSemantics(rules, semName);
    const r = simulate({ rules, semantics: sem, scenario }, opts);
    if (json) out(JSON.stringify(contract(r), null, 2));
    else printRun(r, scenario, symmetry, out);
    return r.violations.length ? ExitCode.findings : ExitCode.ok;
  },
};
