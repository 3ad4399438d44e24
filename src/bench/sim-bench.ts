/**
 * `npm run bench -- sim`: explorer throughput (issue 4 targets: >= 1 M states/s on plain
 * exploration; 10 devices on 2 shared lines x 2 plug rounds with symmetry reduction, exhaustive,
 * in < 1 s). Prints wall and CPU seconds: on a shared machine the CPU figure is the fairer one.
 * SIM_BENCH_PLAIN_MAX (default 7) sets how many devices the unreduced runs go up to.
 */
import { buildSharedLsi } from "../sim/build-shared-lsi.js";
import { simulate } from "../sim/simulate.js";
import { loadSimRules } from "../sim/io/load-sim-rules.js";
import { startBatchWorker } from "../sim/io/start-batch-worker.js";

export async function bench(log: (line: string) => void): Promise<void> {
  const rules = await loadSimRules();
  const run = (devices: number, semantics: string, symmetry: boolean, exact = false, threads = 1): void => {
    const scenario = buildSharedLsi({ devices, lines: 2, rounds: 2, driver: "shared-dispose" }, rules.topology);
    const c0 = process.cpuUsage();
    const r = simulate({ rules, semantics, scenario }, { symmetry, exact, maxStates: 40_000_000, ...(threads === 2 ? { worker: startBatchWorker } : {}) });
    const cu = process.cpuUsage(c0);
    const cpu = (cu.user + cu.system) / 1e6;
    log(
      `  ${String(devices).padStart(2)} devices ${semantics.padEnd(11)} ${symmetry ? "sym  " : "plain"} ${threads}T${exact ? " exact" : ""} ` +
        `${String(r.states).padStart(9)} states ${String(r.transitions).padStart(10)} transitions ` +
        `${r.seconds.toFixed(3)} s wall ${cpu.toFixed(3)} s cpu  ` +
        `${Math.round(r.states / r.seconds).toLocaleString("en")} states/s (${Math.round(r.states / cpu).toLocaleString("en")}/cpu-s)` +
        `${r.truncated ? "  TRUNCATED" : ""}  violations: ${r.violations.map((v) => v.property).join(",") || "none"}`,
    );
  };
  // Warm-up so the JIT has compiled the hot loop before anything is timed.
  run(4, "ppc-kref", false);
  log("shared-lsi, 2 shared lines, 2 plug rounds per device, driver shared-dispose");
  log("visited set: 64-bit fingerprints (the default); exact = also compare the stored states");
  log("1T = one thread; 2T = successors generated in a second thread (the default, config sim.threads)");
  log("symmetry reduction (counting abstraction) — target: 10 devices exhaustive in < 1 s");
  for (const n of [8, 10]) run(n, "ppc-kref", true, false, 2);
  run(10, "ppc-kref", true, true, 2);
  run(10, "mainline", true, false, 2);
  const max = Number(process.env["SIM_BENCH_PLAIN_MAX"] ?? 7);
  log(`plain exploration (devices by name) — target: >= 1,000,000 states/s; up to ${max} devices`);
  for (let n = 5; n <= max; n++) {
    for (const sem of ["ppc-kref", "mainline"]) {
      run(n, sem, false, false, 1);
      run(n, sem, false, false, 2);
    }
  }
  run(7, "ppc-kref", false, true, 2);
  log("for scale (issue 4): spin on a Promela model of this scenario, 8 devices 3.7 s (2 M states), 10 devices 324 s (72 M states)");
}
