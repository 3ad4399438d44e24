import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SandboxUnavailableError, type BuildSandbox } from "../../src/kernel/build-sandbox.js";
import { BubblewrapSandbox } from "../../src/kernel/io/bubblewrap-sandbox.js";
import { silentLogger } from "../../src/log/logger.js";
import { classifyBuildFailure, firstBuildError, formatDuration } from "../../src/qemu/build-outcome.js";
import { buildKernel } from "../../src/qemu/io/build-kernel.js";
import { buildResult } from "../../src/qemu/io/check-worktree.js";
import { loadScenarios } from "../../src/qemu/io/load-scenarios.js";
import { qemuStage } from "../../src/qemu/io/qemu-stage.js";
import { runQemuCheck } from "../../src/qemu/io/run-qemu-check.js";
import { qemuReportSection, renderQemuSection } from "../../src/qemu/render-qemu-section.js";
import { validateConfig } from "../../src/config/validate-config.js";

const limits = { timeoutMs: 20 * 60_000, memoryBytes: 2048 * 1024 * 1024, maxProcesses: 512 };
const gccError = [
  "  CC      kernel/irq/manage.o",
  "/kbuild/src/kernel/irq/manage.c: In function 'free_irq':",
  "/kbuild/src/kernel/irq/manage.c:1953:9: error: expected ';' before 'return'",
  " 1953 |         pr_err(\"out of memory\")",
  "      |         ^",
  "make[3]: *** [/kbuild/src/scripts/Makefile.build:250: kernel/irq/manage.o] Error 1",
  "make[2]: *** [/kbuild/src/scripts/Makefile.build:500: kernel/irq] Error 2",
  "make: *** [Makefile:250: __sub-make] Error 2",
].join("\n");

describe("classifyBuildFailure: what the reply says about a build that gave no kernel", () => {
  it("a compile error: 'build failed: <first error line>', paths relative, quoted source lines ignored", () => {
    const o = classifyBuildFailure({ step: "make bzImage", code: 2, signal: null, timedOut: false, tail: gccError, limits });
    expect(o.kind).toBe("failed");
    expect(o.reason).toBe("build failed: kernel/irq/manage.c:1953:9: error: expected ';' before 'return'");
    expect(o.excerpt).not.toContain("/kbuild/");
    expect(o.excerpt.split("\n")[0]).toBe("  CC      kernel/irq/manage.o");
  });

  it("the time limit: 'build stopped: exceeded 20 min', whatever the output says", () => {
    const o = classifyBuildFailure({ step: "make bzImage", code: null, signal: "SIGKILL", timedOut: true, tail: gccError, limits });
    expect(o).toMatchObject({ kind: "timeout", reason: "build stopped: exceeded 20 min" });
    expect(formatDuration(90_000)).toBe("90 s");
    expect(formatDuration(1_800_000)).toBe("30 min");
    expect(formatDuration(5_400_000)).toBe("1 h 30 min");
  });

  it("the memory and process limits, as gcc, the shells and make report them", () => {
    const mem = classifyBuildFailure({ step: "make bzImage", code: 2, signal: null, timedOut: false, tail: "cc1: out of memory allocating 4064 bytes after a total of 1073741824 bytes\nmake[2]: *** [x] Error 1", limits });
    expect(mem).toMatchObject({ kind: "memory", reason: "build stopped: over the memory limit (2048 MiB per process)" });
    const procs = classifyBuildFailure({ step: "make olddefconfig", code: 2, signal: null, timedOut: false, tail: "sh: 1: Cannot fork\nmake: *** Error 2", limits });
    expect(procs).toMatchObject({ kind: "processes", reason: "build stopped: over the process limit (512)" });
  });

  it("a Kconfig error, a link error, and no error line at all", () => {
    expect(firstBuildError("kernel/irq/Kconfig:151: syntax error\nmake[2]: *** [x] Error 1")).toBe("kernel/irq/Kconfig:151: syntax error");
    expect(firstBuildError("ld: vmlinux.o: in function `f':\nirq.c:(.text+0x1): undefined reference to `g'")).toBe("irq.c:(.text+0x1): undefined reference to `g'");
    const o = classifyBuildFailure({ step: "merge_config.sh", code: 1, signal: null, timedOut: false, tail: "nothing useful\n", limits });
    expect(o.reason).toBe("build failed: merge_config.sh failed (exit 1)");
  });

  it("strips control characters a hostile build could print into the reply", () => {
    expect(firstBuildError("x.c:1: error: a\rBcc: evil@example.org\u001b[2J")).toBe("x.c:1: error: aBcc: evil@example.org[2J");
  });
});

describe("the reply for build-failed / build-stopped: a clear verdict, never a bare INCONCLUSIVE", () => {
  it("renders the reason as the verdict, with the excerpt, in mail shape", async () => {
    const scenario = (await loadScenarios()).get("msi-hotplug");
    if (!scenario) throw new Error("msi-hotplug missing");
    const stopped = buildResult("/wt", scenario, 2, classifyBuildFailure({ step: "make bzImage", code: null, signal: "SIGKILL", timedOut: true, tail: gccError, limits }));
    const text = renderQemuSection(stopped);
    expect(stopped.verdict).toBe("build-stopped");
    expect(text).toMatch(/^Verdict: build stopped: exceeded 20 min \(this is not a pass\)$/m);
    expect(text).toContain("during make bzImage");
    expect(text).not.toContain("INCONCLUSIVE");
    expect(text).not.toContain("/wt");
    for (const l of text.split("\n")) expect(l.length).toBeLessThanOrEqual(72);
    expect(qemuReportSection(stopped).severity).toBe("notice");
    const failed = buildResult("/wt", scenario, 2, classifyBuildFailure({ step: "make bzImage", code: 2, signal: null, timedOut: false, tail: gccError, limits }));
    const ftext = renderQemuSection(failed);
    expect(ftext).toMatch(/^Verdict: build failed: kernel\/irq\/manage\.c:1953:9: error:/m);
    expect(ftext).toContain("Build output excerpt:");
    expect(qemuReportSection(failed).severity).toBe("problem");
  });
});

describe("no sandbox, no patched kernel", () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "irqtriage-nosandbox-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const missing: BuildSandbox = {
    name: "missing",
    probe: async () => ({ ok: false, reason: "bubblewrap is not installed (apt-get install bubblewrap)" }),
    run: async () => {
      throw new Error("must not run");
    },
    plan: async () => {
      throw new Error("must not run");
    },
    deviceUsable: () => false,
  };

  it("a missing bwrap is reported with the Debian package", async () => {
    const p = await new BubblewrapSandbox({ bwrap: path.join(tmp, "no-bwrap") }).probe();
    expect(p).toEqual({ ok: false, reason: "bubblewrap is not installed (apt-get install bubblewrap)" });
  });

  it("buildKernel refuses before it touches anything (no fallback to an unsandboxed make)", async () => {
    const err = await buildKernel({ worktree: tmp, mirror: tmp, base: "HEAD", stateDir: path.join(tmp, "state"), fragment: "/nonexistent", sandbox: missing }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxUnavailableError);
    expect((err as Error).message).toMatch(/apt-get install bubblewrap.*patched kernels are only built and booted inside it/);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it("runQemuCheck never boots a patched kernel outside the sandbox", async () => {
    const scenario = (await loadScenarios()).get("msi-hotplug");
    if (!scenario) throw new Error("msi-hotplug missing");
    await expect(runQemuCheck({ kernel: "/proc/self/exe", patched: true, scenario, tmpDir: tmp })).rejects.toBeInstanceOf(SandboxUnavailableError);
    await expect(runQemuCheck({ kernel: "/proc/self/exe", patched: true, scenario, sandbox: missing, tmpDir: tmp })).rejects.toThrow(/apt-get install bubblewrap/);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it("the pipeline's QEMU stage with qemu.enabled fails the stage instead of building", async () => {
    const v = validateConfig({ qemu: { enabled: true } });
    if (!v.ok) throw new Error(v.problems.join("; "));
    const stage = qemuStage({ sandbox: () => missing });
    const run = stage.run({
      lineage: "l",
      revision: {} as never,
      diffs: [],
      mirror: { path: tmp } as never,
      base: "0".repeat(40),
      applied: { path: tmp, head: "0".repeat(40) },
      facts: {},
      ignored: new Set(),
      config: v.config.qemu,
      stateDir: path.join(tmp, "state"),
      log: silentLogger(),
    });
    await expect(run).rejects.toBeInstanceOf(SandboxUnavailableError);
    expect(readdirSync(tmp)).toEqual([]);
  });
});
