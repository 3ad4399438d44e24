import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { loadScenarios } from "../../src/qemu/io/load-scenarios.js";
import { runQemuCheck, sweepStaleRuns } from "../../src/qemu/io/run-qemu-check.js";
import { captureIO } from "../support/cli-io.js";

const KERNEL = "/boot/vmlinuz-6.1.0-56-cloud-amd64";
const haveAll = existsSync(KERNEL) && existsSync("/bin/busybox") && existsSync("/usr/bin/qemu-system-x86_64");
const root = path.join(import.meta.dirname, "..", "..");
const tmp = mkdtempSync(path.join(os.tmpdir(), "irqtriage-debian-guest-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function cliIO(env: NodeJS.ProcessEnv = process.env) {
  const io = captureIO({ env, cwd: root });
  return { io, text: () => ({ stdout: io.out(), stderr: io.err() }) };
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \([^)]*\) Z/.test(stat);
  } catch {
    return false;
  }
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}

function qemuChildOf(pid: number): number | null {
  try {
    const out = execFileSync("pgrep", ["-P", String(pid), "-f", "qemu-system-x86_64"], { encoding: "utf8" }).trim();
    return out ? Number(out.split("\n")[0]) : null;
  } catch {
    return null;
  }
}

describe.runIf(haveAll)("Debian cloud kernel in QEMU (integration)", () => {
  it("irqtriage qemu --kernel: 2 virtio-net cycles, descriptors back to the boot baseline", async () => {
    const { io, text } = cliIO();
    const code = await main(["qemu", "--kernel", KERNEL, "--scenario", "msi-hotplug", "--cycles", "2", "--accel", "tcg", "--json"], io);
    const { stdout, stderr } = text();
    expect(code, stderr).toBe(0);
    const j = JSON.parse(stdout) as {
      patched: boolean;
      verdict: string;
      baseline: { descriptors: number };
      cycles: Array<{ plugged: { descriptors: number }; unplugged: { descriptors: number } }>;
    };
    expect(j.patched).toBe(false);
    expect(j.verdict).toBe("pass");
    expect(j.cycles).toHaveLength(2);
    for (const c of j.cycles) {
      // Measured, not hard-coded: each plug adds the device's vectors, each unplug removes them.
      expect(c.plugged.descriptors).toBeGreaterThan(j.baseline.descriptors);
      expect(c.unplugged.descriptors).toBe(j.baseline.descriptors);
    }
  });

  it("leaves no process, socket or temp dir behind after a run", async () => {
    const runTmp = mkdtempSync(path.join(tmp, "run-"));
    const scenario = (await loadScenarios()).get("msi-hotplug");
    if (!scenario) throw new Error("msi-hotplug scenario missing");
    const r = await runQemuCheck({ kernel: KERNEL, patched: false, scenario, cycles: 1, accel: "tcg", tmpDir: runTmp });
    expect(r.verdict).toBe("pass");
    expect(readdirSync(runTmp)).toEqual([]);
  });

  it("a run that exceeds its time limit is inconclusive and cleaned up", async () => {
    const runTmp = mkdtempSync(path.join(tmp, "limit-"));
    const scenario = (await loadScenarios()).get("msi-hotplug");
    if (!scenario) throw new Error("msi-hotplug scenario missing");
    const r = await runQemuCheck({ kernel: KERNEL, patched: false, scenario, cycles: 1, accel: "tcg", tmpDir: runTmp, bootTimeoutMs: 1500 });
    expect(r.verdict).toBe("inconclusive");
    expect(r.reasons[0]).toMatch(/timed out after 1500 ms waiting for the guest: baseline/);
    expect(readdirSync(runTmp)).toEqual([]);
  });

  for (const sig of ["SIGKILL", "SIGTERM"] as const) {
    it(`${sig} to irqtriage during a run leaves no qemu behind`, async () => {
      const runTmp = mkdtempSync(path.join(tmp, `kill-${sig}-`));
      const cli = spawn(process.execPath, [path.join(root, "bin", "irqtriage.js"), "qemu", "--kernel", KERNEL, "--scenario", "repeated-cycles", "--cycles", "50", "--accel", "tcg"], {
        env: { ...process.env, TMPDIR: runTmp },
        stdio: "ignore",
      });
      const cliPid = cli.pid as number;
      let qemuPid: number | null = null;
      expect(await until(() => (qemuPid = qemuChildOf(cliPid)) !== null, 30_000)).toBe(true);
      // Let it get into the run (boot or first cycles) before killing.
      expect(await until(() => existsSync(path.join(runTmp, readdirSync(runTmp)[0] ?? "x", "qemu.pid")), 20_000)).toBe(true);
      process.kill(cliPid, sig);
      expect(await until(() => !alive(qemuPid as number), 15_000)).toBe(true);
      expect(await until(() => !alive(cliPid), 15_000)).toBe(true);
      if (sig === "SIGTERM") {
        // Graceful: the CLI removed its own run dir.
        expect(await until(() => readdirSync(runTmp).length === 0, 10_000)).toBe(true);
      } else {
        // kill -9 gives no chance to clean up: the next run sweeps the stale dir.
        expect(readdirSync(runTmp)).toHaveLength(1);
        expect(await sweepStaleRuns(runTmp)).toHaveLength(1);
        expect(readdirSync(runTmp)).toEqual([]);
      }
    });
  }
});

it("reports why the Debian guest tests did not run when something is missing", () => {
  if (!haveAll) console.warn("skipped: needs qemu-system-x86, busybox-static and linux-image-cloud-amd64");
  expect(typeof haveAll).toBe("boolean");
});
