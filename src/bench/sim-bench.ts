/**
 * `npm run bench -- sim`: explorer figures (issue 4 and 14 targets), each with the load average
 * of the machine beside it (1, 5, 15 min; the development machine has 2 cores and is shared):
 *   (a) `irqtriage sim`, 10 devices x 2 shared lines x 2 plug rounds with the counting
 *       abstraction: exploration seconds and the wall time of the whole process (targets
 *       <= 0.5 s and <= 1 s);
 *   (b) plain exploration (devices by name) of 7 balanced devices under refcount-v3: states/s;
 *   (c) spin on the same configuration of rules/sim/promela/shared-lsi.pml: its own stats line.
 * Also: how mainline grows now that exploration goes on past violations.
 * SIM_BENCH_SPIN=0 leaves out (c).
 */
import { execFile, spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { packageRoot, rulesDir } from "../package-root.js";
import { buildSharedLsi } from "../sim/build-shared-lsi.js";
import { simulate } from "../sim/simulate.js";
import { loadSimRules } from "../sim/io/load-sim-rules.js";
import { startBatchWorker } from "../sim/io/start-batch-worker.js";

const run = promisify(execFile);

function load(): string {
  return `load ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`;
}

const rate = (n: number): string => Math.round(n).toLocaleString("en");

const TIME = "/usr/bin/time";
const haveTime = spawnSync(TIME, ["-f", "%U", "true"], { stdio: "ignore" }).status === 0;

/**
 * One `irqtriage sim --json` process: its wall time, its CPU seconds (user + system, through
 * /usr/bin/time when there is one) and the exploration seconds it reports.
 */
function cliRun(semantics: string, threads: number): { wall: number; cpu: number | null; seconds: number; states: number; violations: string[] } {
  const argv = [path.join(packageRoot, "bin", "irqtriage.js"), "sim", "--semantics", semantics, "--devices", "10", "--lines", "2", "--rounds", "2", "--threads", String(threads), "--json"];
  const [cmd, args] = haveTime ? [TIME, ["-f", "cpu %U %S", process.execPath, ...argv]] : [process.execPath, argv];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 26 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0 && r.status !== 1) throw new Error(`irqtriage sim exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
  const t = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  const j = JSON.parse(r.stdout) as { seconds: number; states: number; violations: Array<{ property: string }> };
  return { wall, cpu: t ? Number(t[1]) + Number(t[2]) : null, seconds: j.seconds, states: j.states, violations: j.violations.map((v) => v.property) };
}

export async function bench(log: (line: string) => void): Promise<void> {
  const rules = await loadSimRules();
  const inProcess = (o: { devices: number; lines?: number; semantics: string; driver: string; symmetry: boolean; threads?: number; exact?: boolean }): number => {
    const scenario = buildSharedLsi({ devices: o.devices, lines: o.lines ?? 2, rounds: 2, driver: o.driver }, rules.topology);
    const c0 = process.cpuUsage();
    const r = simulate(
      { rules, semantics: o.semantics, scenario },
      { symmetry: o.symmetry, exact: o.exact ?? false, maxStates: 40_000_000, ...(o.threads === 2 ? { worker: startBatchWorker } : {}) },
    );
    const cu = process.cpuUsage(c0);
    const cpu = (cu.user + cu.system) / 1e6;
    log(
      `  ${String(o.devices).padStart(2)} ${o.driver.padEnd(14)} ${o.semantics.padEnd(11)} ${o.symmetry ? "sym  " : "plain"} ${o.threads ?? 1}T${o.exact ? " exact" : ""} ` +
        `${String(r.states).padStart(9)} states (${String(r.afterViolation).padStart(9)} past a violation) ${r.seconds.toFixed(3)} s, ${cpu.toFixed(3)} cpu-s: ` +
        `${rate(r.states / r.seconds)} states/s (${rate(r.states / cpu)}/cpu-s)${r.truncated ? "  TRUNCATED" : ""}  ` +
        `[${r.violations.map((v) => v.property).join(",") || "clean"}]  ${load()}`,
    );
    return r.states;
  };
  // Warm-up so the JIT has compiled the hot loop before anything is timed.
  inProcess({ devices: 4, semantics: "ppc-kref", driver: "shared-dispose", symmetry: false });

  log("(a) irqtriage sim --devices 10 --lines 2 --rounds 2 (driver shared-dispose, counting abstraction), one process each");
  log("    targets: exploration <= 0.5 s, whole process <= 1 s");
  for (const semantics of ["ppc-kref", "refcount-v3"]) {
    for (const threads of [2, 1]) {
      const r = cliRun(semantics, threads);
      log(
        `  ${semantics.padEnd(11)} --threads ${threads}: ${r.states} states, exploration ${r.seconds.toFixed(3)} s, whole process ${r.wall.toFixed(3)} s wall` +
          `${r.cpu === null ? "" : ` ${r.cpu.toFixed(2)} cpu-s`} ` +
          `[${r.violations.join(",") || "clean"}]  ${load()}`,
      );
    }
  }
  log("  mainline: exploration goes on past the premature unmap (every stale dispose, free_irq and reused");
  log("  virq after it), and those states grow fast with the devices: 10 devices run into the state bound");
  log("  (sim.maxStates, 20 M). The growth (counting abstraction, exhaustive; an odd number of devices");
  log("  splits unevenly over the 2 lines, so no line renaming there):");
  for (const devices of [3, 4, 5, 6]) inProcess({ devices, semantics: "mainline", driver: "shared-dispose", symmetry: true });

  log("(b) plain exploration (devices by name), 7 balanced devices on 2 lines, 2 rounds, refcount-v3");
  inProcess({ devices: 7, semantics: "refcount-v3", driver: "balanced", symmetry: false, threads: 1 });
  inProcess({ devices: 7, semantics: "refcount-v3", driver: "balanced", symmetry: false, threads: 2 });
  inProcess({ devices: 7, semantics: "refcount-v3", driver: "balanced", symmetry: false, threads: 1, exact: true });
  log("  the same with the shared-dispose driver under ppc-kref (the issue 4 figure):");
  inProcess({ devices: 7, semantics: "ppc-kref", driver: "shared-dispose", symmetry: false, threads: 1 });
  inProcess({ devices: 7, semantics: "ppc-kref", driver: "shared-dispose", symmetry: false, threads: 2 });

  if (process.env["SIM_BENCH_SPIN"] === "0") return;
  log("(c) spin on rules/sim/promela/shared-lsi.pml, NDEV=7 NLINES=2 ROUNDS=2 SEM=REFCOUNT_V3 DRIVER=BALANCED");
  if (spawnSync("spin", ["-V"], { stdio: "ignore" }).status !== 0) {
    log("  spin not installed (Debian package spin): not run");
    return;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "irqtriage-spin-bench-"));
  try {
    const model = path.join(rulesDir, "sim", "promela", "shared-lsi.pml");
    await run("spin", ["-DNDEV=7", "-DNLINES=2", "-DROUNDS=2", "-DSEM=REFCOUNT_V3", "-DDRIVER=BALANCED", "-a", model], { cwd: dir });
    for (const [what, flags] of [
      ["default search (depth-first, partial order reduction)", []],
      ["breadth-first, no partial order reduction (the explorer's search)", ["-DBFS", "-DNOREDUCE"]],
    ] as const) {
      await run("gcc", ["-O2", "-w", ...flags, "-o", "pan", "pan.c"], { cwd: dir });
      const t0 = process.hrtime.bigint();
      const { stdout } = await run("./pan", ["-c0", "-w24"], { cwd: dir, maxBuffer: 1 << 26 });
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const stored = /(\d+) states, stored/.exec(stdout)?.[1] ?? "?";
      const rateLine = /pan: rate\s+([\d.]+) states\/second/.exec(stdout)?.[1];
      const elapsed = /pan: elapsed time ([\d.e+-]+) seconds/.exec(stdout)?.[1] ?? "?";
      log(
        `  ${what}: ${stored} states stored, pan: elapsed time ${elapsed} s, rate ${rateLine ? rate(Number(rateLine)) : "? (too fast to say)"} states/second ` +
          `(whole pan process ${wall.toFixed(3)} s)  ${load()}`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
