import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log/logger.js";
import { checkWorktree } from "../../src/qemu/io/check-worktree.js";
import { loadScenarios } from "../../src/qemu/io/load-scenarios.js";
import type { QemuScenario } from "../../src/qemu/qemu-scenario.js";
import { sandboxOrSkip } from "../support/sandbox-or-skip.js";

// Builds a tinyconfig kernel from the Linux 6.1 mirror (scripts/make-linux-mirror.sh, instant
// when present) twice: unpatched, then with a patch that skips pci_free_irq_vectors() in
// vp_del_vqs(). The O= dir is kept in the repo's state dir (.irqtriage/, git-ignored) and reused,
// so the second build (and every later run of this test) is incremental.
const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const stateDir = path.join(repoRoot, ".irqtriage");
const fragment = path.join(repoRoot, "rules", "qemu", "kernel-x86_64.config");
const leakPatch = path.join(repoRoot, "fixtures", "qemu", "patches", "leak-virtio-msix.patch");
const log = createLogger({ level: "info", name: "qemu-slow-test" });

let mirror = "";
let base = "";
let tmp = "";
let worktree = "";
let scenario: QemuScenario;
// Builds and guests run in the bubblewrap sandbox, as in the pipeline.
const { sandbox, probe } = await sandboxOrSkip("the kernel build tests");

beforeAll(async () => {
  const out = execFileSync("bash", [path.join(repoRoot, "scripts", "make-linux-mirror.sh")], { encoding: "utf8" });
  mirror = out.trim().split("\n").at(-1) as string;
  base = execFileSync("git", ["rev-parse", "master"], { cwd: mirror, encoding: "utf8" }).trim();
  tmp = mkdtempSync(path.join(os.tmpdir(), "irqtriage-kbuild-test-"));
  worktree = path.join(tmp, "wt");
  // Sparse, as the pipeline applies a series: only the file the leak patch touches is on disk
  // (a full checkout of 78k files blocked this worker for minutes on a loaded machine).
  execFileSync("git", ["worktree", "add", "--no-checkout", "--detach", "--quiet", worktree, base], { cwd: mirror, stdio: "ignore" });
  execFileSync("git", ["sparse-checkout", "set", "--no-cone", "--stdin"], { cwd: worktree, input: "/drivers/virtio/virtio_pci_common.c\n" });
  execFileSync("git", ["read-tree", "-mu", "HEAD"], { cwd: worktree });
  const s = (await loadScenarios()).get("msi-hotplug");
  if (!s) throw new Error("msi-hotplug scenario missing");
  scenario = s;
});

afterAll(() => {
  if (worktree) execFileSync("git", ["worktree", "remove", "--force", worktree], { cwd: mirror, stdio: "ignore" });
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe.runIf(probe.ok)("kernel built from the mirror in the sandbox, booted in QEMU", () => {
  it("unpatched tree: every fragment option set, descriptors back to baseline -> pass", async () => {
    const { result, build } = await checkWorktree({ worktree, mirror, base, stateDir, fragment, scenario, cycles: 2, accel: "tcg", sandbox, log });
    expect(build).not.toBeNull();
    expect(build?.configMissing).toEqual([]);
    expect(build?.changedFiles).toEqual([]);
    log.info({ ms: build?.ms, incremental: build?.incremental, synced: build?.synced }, "unpatched build");
    expect(result.patched).toBe(true);
    expect(result.release).toMatch(/^6\.1\./);
    expect(result.verdict, result.reasons.join("; ")).toBe("pass");
    expect(result.cycles.map((c) => c.unplugged.descriptors)).toEqual([result.baseline?.descriptors, result.baseline?.descriptors]);
    // A clean checkout builds the kernel from scratch here (2-3 min alone, ~10 min on a busy box).
  }, 1_800_000);

  it("patch that skips pci_free_irq_vectors(): incremental rebuild of one file, check reports the leak", async () => {
    execFileSync("git", ["apply", leakPatch], { cwd: worktree });
    const { result, build } = await checkWorktree({ worktree, mirror, base, stateDir, fragment, scenario, cycles: 2, accel: "tcg", sandbox, log });
    expect(build?.changedFiles).toEqual(["drivers/virtio/virtio_pci_common.c"]);
    expect(build?.synced).toEqual(["drivers/virtio/virtio_pci_common.c"]);
    expect(build?.incremental).toBe(true);
    expect(build?.configRegenerated).toBe(false);
    log.info({ ms: build?.ms }, "incremental build after one-file patch");
    expect(result.verdict, result.reasons.join("; ")).toBe("leak");
    const baseline = result.baseline?.descriptors ?? 0;
    expect(result.cycles[0]?.unplugged.descriptors).toBeGreaterThan(baseline);
    expect(result.reasons[0]).toMatch(/^cycle 1: \d+ IRQ descriptors after unplug, baseline \d+ \(\+\d+\)$/);
  });
});
