import { ExternalError } from "../../errors.js";
import { runGit } from "../../kernel/io/run-git.js";
import type { Logger } from "../../log/logger.js";
import { buildKernel, type KernelBuild } from "./build-kernel.js";
import type { QemuCheckResult } from "../qemu-check-result.js";
import type { QemuScenario } from "../qemu-scenario.js";
import { runQemuCheck, type QemuCheckOptions } from "./run-qemu-check.js";

export interface CheckWorktreeOptions extends Omit<QemuCheckOptions, "kernel" | "patched"> {
  worktree: string;
  mirror: string;
  /** Base revision; default: merge-base of the worktree's HEAD and `branch`. */
  base?: string;
  branch?: string;
  stateDir: string;
  fragment: string;
  buildJobs?: number;
  buildTimeoutMs?: number;
  scenario: QemuScenario;
  log: Logger;
}

/** A result for a run that never booted (build failed): "inconclusive", never a pass. */
export function inconclusiveResult(kernel: string, patched: boolean, scenario: QemuScenario, cycles: number, why: string, excerpt: string): QemuCheckResult {
  return {
    kernel,
    patched,
    scenario: scenario.name,
    verdict: "inconclusive",
    reasons: [why],
    accel: "unknown",
    release: null,
    baseline: null,
    cycles: [],
    cyclesPlanned: cycles,
    complaints: [],
    logExcerpt: excerpt,
    timings: { bootToFirstReportMs: null, cycleMs: [], totalMs: 0 },
    logFile: null,
  };
}

/**
 * The pipeline's entry point: build the applied worktree's kernel (incrementally, per base) and
 * run the scenario on it. A failed build is an "inconclusive" result carrying the compiler's
 * last lines, not an exception, so the reply can say what happened.
 */
export async function checkWorktree(opts: CheckWorktreeOptions): Promise<{ result: QemuCheckResult; build: KernelBuild | null }> {
  let base = opts.base;
  if (!base) {
    try {
      const { stdout } = await runGit(["merge-base", "HEAD", opts.branch ?? "master"], { cwd: opts.worktree });
      base = stdout.trim();
    } catch (err) {
      throw new ExternalError(`cannot find the base of ${opts.worktree} (pass a base revision)`, "git", (err as Error).message);
    }
  }
  let build: KernelBuild;
  try {
    build = await buildKernel({
      worktree: opts.worktree,
      mirror: opts.mirror,
      base,
      stateDir: opts.stateDir,
      fragment: opts.fragment,
      ...(opts.buildJobs ? { jobs: opts.buildJobs } : {}),
      ...(opts.buildTimeoutMs ? { timeoutMs: opts.buildTimeoutMs } : {}),
      log: opts.log,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (err) {
    if (!(err instanceof ExternalError)) throw err;
    const tail = err.detail.split("\n").filter((l) => /error|Error|\*\*\*/.test(l)).slice(-12).join("\n");
    const result = inconclusiveResult(opts.worktree, true, opts.scenario, opts.cycles ?? opts.scenario.cycles, `kernel build failed: ${err.message}`, tail);
    return { result, build: null };
  }
  const { worktree: _w, mirror: _m, base: _b, branch: _br, stateDir: _s, fragment: _f, buildJobs: _j, buildTimeoutMs: _t, ...rest } = opts;
  const result = await runQemuCheck({ ...rest, kernel: build.image, patched: true, modulesDir: null });
  if (build.configMissing.length) {
    result.reasons.push(`config options not set as asked: ${build.configMissing.map((m) => m.name).join(", ")}`);
  }
  return { result, build };
}
