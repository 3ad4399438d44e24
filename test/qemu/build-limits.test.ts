import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log/logger.js";
import { buildKernel, KernelBuildError } from "../../src/qemu/io/build-kernel.js";
import { checkWorktree } from "../../src/qemu/io/check-worktree.js";
import { loadScenarios } from "../../src/qemu/io/load-scenarios.js";
import { renderQemuSection } from "../../src/qemu/render-qemu-section.js";
import { sandboxOrSkip } from "../support/sandbox-or-skip.js";

// buildKernel's limits, end to end through the real sandbox, on a stand-in "kernel tree" whose
// Makefile misbehaves in its first step (seconds, not a real build).
const { sandbox, probe } = await sandboxOrSkip("the build limit tests");
const fragment = path.join(import.meta.dirname, "..", "..", "rules", "qemu", "kernel-x86_64.config");

describe.runIf(probe.ok)("a build that fails or hits a sandbox limit", () => {
  let tmp = "";
  let mirror = "";
  const git = (args: string[], cwd = mirror): string =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@localhost", ...args], { cwd, encoding: "utf8" }).trim();

  /** A worktree of the mirror whose Makefile's tinyconfig target runs `recipe`. */
  function tree(name: string, recipe: string): { worktree: string; base: string; stateDir: string } {
    const worktree = path.join(tmp, name);
    git(["worktree", "add", "--quiet", "--detach", worktree, "HEAD"]);
    writeFileSync(path.join(worktree, "Makefile"), `tinyconfig:\n\t@echo "  CC      kernel/irq/manage.o"\n\t${recipe}\n`);
    const stateDir = path.join(tmp, `state-${name}`);
    return { worktree, base: git(["rev-parse", "HEAD"]), stateDir };
  }

  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), "irqtriage-build-limits-"));
    // The sandbox user (65534 when root) must reach the state folders inside.
    chmodSync(tmp, 0o711);
    mirror = path.join(tmp, "mirror");
    mkdirSync(mirror);
    git(["init", "-q", "-b", "master"]);
    writeFileSync(path.join(mirror, "Makefile"), "tinyconfig:\n\ttrue\n");
    git(["add", "Makefile"]);
    git(["commit", "-q", "-m", "base"]);
  });
  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("the time limit: the build is killed, 'build stopped: exceeded 2 s'", async () => {
    const t = tree("slow", "sleep 60");
    const t0 = Date.now();
    const err = await buildKernel({ ...t, mirror, fragment, sandbox, timeoutMs: 2000, log: silentLogger() }).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(err).toBeInstanceOf(KernelBuildError);
    expect((err as KernelBuildError).outcome).toMatchObject({ kind: "timeout", step: "make tinyconfig", reason: "build stopped: exceeded 2 s" });
  });

  it("the memory limit: 'build stopped: over the memory limit (256 MiB per process)'", async () => {
    const t = tree("mem", `perl -e '$$x = "a" x (1024 * 1024 * 1024); print "ALLOCATED\\n"'`);
    const err = await buildKernel({ ...t, mirror, fragment, sandbox, limits: { memoryMb: 256 }, log: silentLogger() }).catch((e: unknown) => e);
    expect((err as KernelBuildError).outcome).toMatchObject({ kind: "memory", reason: "build stopped: over the memory limit (256 MiB per process)" });
    expect(readFileSync(path.join(t.stateDir, "kbuild", t.base, "build.log"), "utf8")).not.toMatch(/^ALLOCATED$/m);
  });

  it("the process limit: a fork bomb stops at it", async () => {
    const t = tree("fork", "for i in $$(seq 200); do sleep 5 & done; wait");
    const err = await buildKernel({ ...t, mirror, fragment, sandbox, limits: { maxProcesses: 24 }, log: silentLogger() }).catch((e: unknown) => e);
    expect((err as KernelBuildError).outcome).toMatchObject({ kind: "processes", reason: "build stopped: over the process limit (24)" });
  });

  it("a compile error: the QEMU check says 'build failed: <first error line>' and boots nothing", async () => {
    const t = tree("fail", `@echo "/kbuild/src/kernel/irq/manage.c:12:3: error: 'desc' undeclared" >&2; exit 1`);
    const scenario = (await loadScenarios()).get("msi-hotplug");
    if (!scenario) throw new Error("msi-hotplug missing");
    const { result, build } = await checkWorktree({ ...t, mirror, fragment, sandbox, scenario, log: silentLogger() });
    expect(build).toBeNull();
    expect(result.verdict).toBe("build-failed");
    expect(result.reasons[0]).toBe("build failed: kernel/irq/manage.c:12:3: error: 'desc' undeclared");
    const text = renderQemuSection(result);
    expect(text).toMatch(/^Verdict: build failed: kernel\/irq\/manage\.c:12:3: error:/);
    expect(text).not.toContain("INCONCLUSIVE");
    expect(text).not.toContain(tmp);
  });
});
