/*
 * Cross-check of the explorer (src/sim) against an independent Promela model of the same
 * scenario (rules/sim/promela/shared-lsi.pml), run with spin on every small shared-lsi
 * configuration: 2..4 devices, 1..2 lines, 1..2 plug rounds, mainline and refcount-v3, the
 * balanced and never-disposes drivers (and shared-dispose, RFC 2/2, as well).
 *
 * Both search breadth-first and go on past violations, so both must report the same set of
 * violated properties, each with the same shortest trace length. For a few configurations the
 * reachable states are compared too, in the neutral form of SimMachine.describe and the
 * model's -DDUMP_STATES output: that is what found the stale request_irq bug (commit "sim:
 * request_irq through a stale number ...").
 *
 * Needs Debian's `spin` and gcc. Without spin the test fails under CI=true (naming the
 * package) and is skipped with a warning elsewhere.
 */
import { execFile, spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { rulesDir } from "../../src/package-root.js";
import { buildSharedLsi } from "../../src/sim/build-shared-lsi.js";
import { compileScenario } from "../../src/sim/compile-scenario.js";
import { explore } from "../../src/sim/explore.js";
import { findSemantics, simulate } from "../../src/sim/simulate.js";
import { unpack } from "../../src/sim/state-packing.js";
import { rules } from "./sim-helpers.js";

const run = promisify(execFile);
const MODEL = path.join(rulesDir, "sim", "promela", "shared-lsi.pml");
const CI = ["true", "1"].includes((process.env["CI"] ?? "").toLowerCase());

const works = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
const missing = [works("spin", ["-V"]) ? null : "spin", works("gcc", ["--version"]) ? null : "gcc"].filter((x): x is string => x !== null);

type Semantics = "mainline" | "refcount-v3";
type Driver = "balanced" | "never-disposes" | "shared-dispose";
interface Config {
  devices: number;
  lines: number;
  rounds: number;
  semantics: Semantics;
  driver: Driver;
}

const SEM_DEFINE: Record<Semantics, string> = { mainline: "MAINLINE", "refcount-v3": "REFCOUNT_V3" };
const DRIVER_DEFINE: Record<Driver, string> = { balanced: "BALANCED", "never-disposes": "NEVER_DISPOSES", "shared-dispose": "SHARED_DISPOSE" };
/** The explorer's property names as the model's assertions spell them. */
const SPIN_NAME: Record<string, string> = {
  "premature-unmap": "premature_unmap",
  "double-dispose": "double_dispose",
  "dead-free": "dead_free",
  leak: "leak",
};

const CONFIGS: Config[] = [];
for (const devices of [2, 3, 4]) {
  for (const lines of [1, 2]) {
    for (const rounds of [1, 2]) {
      for (const semantics of ["mainline", "refcount-v3"] as const) {
        for (const driver of ["balanced", "never-disposes", "shared-dispose"] as const) CONFIGS.push({ devices, lines, rounds, semantics, driver });
      }
    }
  }
}
/**
 * Where the reachable states are compared as well: every semantics x driver, with the explorer
 * unreduced and small (refcount-v3 never-disposes counts references up to 63: 2 lines make
 * millions of states there, so one line).
 */
const DUMPED: Config[] = [
  ...(["balanced", "shared-dispose"] as const).flatMap((driver) =>
    (["mainline", "refcount-v3"] as const).map((semantics) => ({ devices: 3, lines: 2, rounds: 2, semantics, driver })),
  ),
  { devices: 3, lines: 2, rounds: 2, semantics: "mainline", driver: "never-disposes" },
  { devices: 3, lines: 1, rounds: 2, semantics: "refcount-v3", driver: "never-disposes" },
  { devices: 4, lines: 1, rounds: 1, semantics: "mainline", driver: "shared-dispose" },
  { devices: 3, lines: 2, rounds: 1, semantics: "mainline", driver: "shared-dispose" },
];

const label = (c: Config): string => `${c.devices} devices, ${c.lines} line(s), ${c.rounds} round(s), ${c.semantics}, ${c.driver}`;

interface SpinOutcome {
  /** Violated property (the model's name) -> shortest trace length in steps. */
  violated: Record<string, number>;
  stored: number;
  /** -DDUMP_STATES: every state a step entered. */
  states: Set<string> | null;
}

/** One temp folder for all runs, made once (two runs start at the same time). */
let work: Promise<string> | null = null;

async function runSpin(c: Config, dump: boolean): Promise<SpinOutcome> {
  work ??= mkdtemp(path.join(os.tmpdir(), "irqtriage-spin-"));
  const dir = await mkdtemp(path.join(await work, "run-"));
  const defines = [`-DNDEV=${c.devices}`, `-DNLINES=${c.lines}`, `-DROUNDS=${c.rounds}`, `-DSEM=${SEM_DEFINE[c.semantics]}`, `-DDRIVER=${DRIVER_DEFINE[c.driver]}`];
  await run("spin", [...defines, ...(dump ? ["-DDUMP_STATES"] : []), "-a", MODEL], { cwd: dir });
  // -O0: these runs take well under a second; compiling pan.c with -O2 takes longer.
  await run("gcc", ["-O0", "-w", "-DBFS", "-DNOREDUCE", ...(dump ? ["-DPRINTF"] : []), "-o", "pan", "pan.c"], { cwd: dir });
  const { stdout } = await run("./pan", ["-c0", "-w20"], { cwd: dir, maxBuffer: 1 << 30 });
  await rm(dir, { recursive: true, force: true });
  const stored = /^\s*(\d+) states, stored/m.exec(stdout);
  if (!/errors: \d+/.test(stdout) || !stored) throw new Error(`pan did not finish (${label(c)}):\n${stdout.slice(-2000)}`);
  const violated: Record<string, number> = {};
  for (const m of stdout.matchAll(/assertion violated\s+(.*?) \(at depth (\d+)\)/g)) {
    const name = /^!\((\w+)\)$/.exec(m[1] as string)?.[1];
    // Any other assertion is the model's own sanity check (e.g. out of virq numbers).
    if (!name || !Object.values(SPIN_NAME).includes(name)) throw new Error(`unexpected assertion in the model: ${m[1]} (${label(c)})`);
    // The depth is that of the state the violating step starts from: the trace has one more step.
    const steps = Number(m[2]) + 1;
    violated[name] = Math.min(violated[name] ?? Infinity, steps);
  }
  const states = dump ? new Set(stdout.split("\n").filter((l) => l.startsWith("S dev"))) : null;
  return { violated, stored: Number(stored[1]), states };
}

/** Two spin runs at a time (the machine has two cores), started ahead of the tests that wait for them. */
function queue(limit: number): <T>(job: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <T>(job: () => Promise<T>): Promise<T> => {
    if (active >= limit) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await job();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

afterAll(async () => {
  if (work) await rm(await work, { recursive: true, force: true });
});

if (missing.length && CI) {
  describe("spin cross-check", () => {
    it("has spin and gcc", () => {
      throw new Error(`${missing.join(" and ")} not installed: the spin cross-check needs Debian's package${missing.length > 1 ? "s" : ""} ${missing.join(" ")} (apt-get install ${missing.join(" ")})`);
    });
  });
} else if (missing.length) {
  console.warn(`skipped: spin cross-check (${missing.join(", ")} not installed; Debian package${missing.length > 1 ? "s" : ""} ${missing.join(" ")}); under CI=true this fails`);
}

const slot = queue(2);
const spinRuns = new Map<Config, Promise<SpinOutcome>>();
const spinFor = (c: Config, dump: boolean): Promise<SpinOutcome> => {
  let p = spinRuns.get(c);
  if (!p) {
    p = slot(() => runSpin(c, dump));
    // Awaited by the test of this configuration; a failure is reported there.
    p.catch(() => undefined);
    spinRuns.set(c, p);
  }
  return p;
};
if (!missing.length) {
  for (const c of CONFIGS) void spinFor(c, false);
  for (const c of DUMPED) void spinFor(c, true);
}

describe.skipIf(missing.length > 0)("spin cross-check: explorer and Promela model report the same violations", () => {
  for (const c of CONFIGS) {
    it(label(c), async () => {
      const rs = await rules();
      const scenario = buildSharedLsi({ devices: c.devices, lines: c.lines, rounds: c.rounds, driver: c.driver }, rs.topology);
      const r = simulate({ rules: rs, semantics: c.semantics, scenario });
      expect(r.truncated).toBe(false);
      // A leak trace ends with the "after every device is gone" line, which is not a step.
      const ours = Object.fromEntries(r.violations.map((v) => [SPIN_NAME[v.property] ?? v.property, v.property === "leak" ? v.trace.length - 1 : v.trace.length]));
      const spin = await spinFor(c, false);
      expect({ config: label(c), violated: ours }).toEqual({ config: label(c), violated: spin.violated });
    });
  }
});

describe.skipIf(missing.length > 0)("spin cross-check: the same reachable states", () => {
  for (const c of DUMPED) {
    it(label(c), async () => {
      const rs = await rules();
      const scenario = buildSharedLsi({ devices: c.devices, lines: c.lines, rounds: c.rounds, driver: c.driver }, rs.topology);
      const x = explore(compileScenario(scenario, findSemantics(rs, c.semantics), rs.topology, rs.classes), { symmetry: false });
      const { machine, store } = x;
      const packed = new Int32Array(store.width);
      const s = machine.initial();
      const ours = new Set<string>();
      // State 0 is the initial one, which no step of the model enters (plugs only grow).
      for (let i = 1; i < x.states; i++) {
        store.load(i, packed);
        unpack(packed, 0, s, machine.d, machine.width);
        ours.add(machine.describe(s));
      }
      const spin = await spinFor(c, true);
      const theirs = spin.states ?? new Set<string>();
      const onlyOurs = [...ours].filter((t) => !theirs.has(t)).slice(0, 5);
      const onlyTheirs = [...theirs].filter((t) => !ours.has(t)).slice(0, 5);
      expect({ config: label(c), onlyOurs, onlyTheirs }).toEqual({ config: label(c), onlyOurs: [], onlyTheirs: [] });
      expect(ours.size).toBeGreaterThan(10);
    });
  }
});
