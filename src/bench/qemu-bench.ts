import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BubblewrapSandbox } from "../kernel/io/bubblewrap-sandbox.js";
import { silentLogger } from "../log/logger.js";
import { buildKernel } from "../qemu/io/build-kernel.js";
import { loadScenarios } from "../qemu/io/load-scenarios.js";
import { runQemuCheck } from "../qemu/io/run-qemu-check.js";

/**
 * `npm run bench -- qemu`: boot to the guest's first report, each plug/unplug cycle, and the
 * incremental kernel rebuild after a one-file change. Measures; never asserts.
 * IRQTRIAGE_BENCH_KERNEL overrides the kernel booted (default: the Debian cloud kernel);
 * the rebuild part needs the Linux mirror (IRQTRIAGE_LINUX_MIRROR or ~/.cache/irqtriage/linux-6.1).
 */
export async function bench(log: (line: string) => void): Promise<void> {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
  const kernel = process.env["IRQTRIAGE_BENCH_KERNEL"] ?? "/boot/vmlinuz-6.1.0-56-cloud-amd64";
  // The bench builds and boots like the pipeline does: inside the sandbox.
  const sandbox = new BubblewrapSandbox();
  const scenarios = await loadScenarios();
  const scenario = scenarios.get("msi-hotplug");
  if (!scenario) throw new Error("msi-hotplug scenario missing");
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  const measure = async (image: string, patched: boolean): Promise<void> => {
    const boots: number[] = [];
    const cycles: number[] = [];
    let accel = "";
    for (let i = 0; i < 3; i++) {
      const r = await runQemuCheck({ kernel: image, patched, scenario, cycles: 5, accel: "tcg", sandbox, log: silentLogger() });
      if (r.timings.bootToFirstReportMs !== null) boots.push(r.timings.bootToFirstReportMs);
      cycles.push(...r.timings.cycleMs);
      accel = r.accel;
      if (r.verdict !== "pass") log(`  run ${i + 1}: verdict ${r.verdict} (${r.reasons[0] ?? ""})`);
    }
    log(`kernel ${image}, scenario msi-hotplug, accel ${accel}, 3 boots x 5 cycles, load ${os.loadavg()[0]?.toFixed(1)}`);
    log(`boot to first report: median ${med(boots)} ms, max ${Math.max(...boots)} ms   (target <= 5000 ms TCG)`);
    log(`plug/unplug cycle:    median ${med(cycles)} ms, max ${Math.max(...cycles)} ms   (target <= 3000 ms)`);
  };
  if (existsSync(kernel)) await measure(kernel, false);
  else log(`no kernel at ${kernel}: boot/cycle figures skipped`);

  const mirror = process.env["IRQTRIAGE_LINUX_MIRROR"] ?? path.join(os.homedir(), ".cache", "irqtriage", "linux-6.1");
  if (!existsSync(path.join(mirror, ".git"))) {
    log(`no Linux mirror at ${mirror}: rebuild figure skipped`);
    return;
  }
  const stateDir = path.join(root, ".irqtriage");
  const fragment = path.join(root, "rules", "qemu", "kernel-x86_64.config");
  const tmp = mkdtempSync(path.join(os.tmpdir(), "irqtriage-qemu-bench-"));
  const wt = path.join(tmp, "wt");
  try {
    const base = execFileSync("git", ["rev-parse", "master"], { cwd: mirror, encoding: "utf8" }).trim();
    execFileSync("git", ["worktree", "add", "--detach", wt, base], { cwd: mirror, stdio: "ignore" });
    const first = await buildKernel({ worktree: wt, mirror, base, stateDir, fragment, sandbox });
    log(`kernel build at base (${first.incremental ? "O= dir reused" : "from scratch"}): ${(first.ms / 1000).toFixed(1)} s`);
    const file = path.join(wt, "drivers", "virtio", "virtio_pci_common.c");
    // A real code change, unique per run, so that ccache cannot answer from an earlier run.
    writeFileSync(file, readFileSync(file, "utf8") + `\nint irqtriage_bench_${Date.now()} __attribute__((unused));\n`);
    const inc = await buildKernel({ worktree: wt, mirror, base, stateDir, fragment, sandbox });
    log(`incremental rebuild after a one-file patch: ${(inc.ms / 1000).toFixed(1)} s (synced ${inc.synced.join(", ")})   (target <= 60 s)`);
    execFileSync("git", ["checkout", "--", "."], { cwd: wt });
    const back = await buildKernel({ worktree: wt, mirror, base, stateDir, fragment, sandbox });
    log(`rebuild back to base: ${(back.ms / 1000).toFixed(1)} s`);
    await measure(back.image, true);
  } finally {
    try {
      execFileSync("git", ["worktree", "remove", "--force", wt], { cwd: mirror, stdio: "ignore" });
    } catch {
      // worktree was never created
    }
    rmSync(tmp, { recursive: true, force: true });
  }
}
