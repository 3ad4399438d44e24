import { ExternalError } from "../../errors.js";
import { SandboxUnavailableError, type BuildSandbox } from "../../kernel/build-sandbox.js";
import { runGit } from "../../kernel/io/run-git.js";
import type { Logger } from "../../log/logger.js";
import type { BuildOutcome } from "../build-outcome.js";
import { buildKernel, KernelBuildError, type BuildLimits, type KernelBuild } from "./build-kernel.js";
import type { QemuCheckResult } from "../qemu-check-result.js";
import type { QemuScenario } from "../qemu-scenario.js";
import { runQemuCheck, type QemuCheckOptions } from "./run-qemu-check.js";

export interface CheckWorktreeOptions extends Omit<QemuCheckOptions, "kernel" | "patched" | "sandbox"> {
  worktree: string;
  mirror: string;
  /** Base revision; default: merge-base of the worktree's HEAD and `branch`. */
  base?: string;
  branch?: string;
  stateDir: string;
  fragment: string;
  buildJobs?: number;
  buildTimeoutMs?: number;
  buildLimits?: Partial<BuildLimits>;
  /** The build and the guest both run inside it: a patched kernel never runs outside one. */
  sandbox: BuildSandbox;
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

/** The series' kernel did not build, or its build was stopped at a limit: say which, in the reply's words. */
export function buildResult(kernel: string, scenario: QemuScenario, cycles: number, outcome: BuildOutcome): QemuCheckResult {
  return {
    ...inconclusiveResult(kernel, true, scenario, cycles, outcome.reason, outcome.excerpt),
    verdict: outcome.kind === "failed" ? "build-failed" : "build-stopped",
    reasons: [outcome.reason, `during ${outcome.step}`],
  };
}

/**
 * The pipeline's entry point: build the applied worktree's kernel (incrementally, per base,
 * inside the sandbox) and run the scenario on it (in the sandbox too). A build that fails or hits
 * a limit is a "build-failed" / "build-stopped" result with the first error line, not an
 * exception, so the reply can say what happened; a missing sandbox is an exception (nothing is
 * built, nothing is said on the list).
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
  const cycles = opts.cycles ?? opts.scenario.cycles;
  let build: KernelBuild;
  try {
    build = await buildKernel({
      worktree: opts.worktree,
      mirror: opts.mirror,
      base,
      stateDir: opts.stateDir,
      fragment: opts.fragment,
      sandbox: opts.sandbox,
      ...(opts.buildLimits ? { limits: opts.buildLimits } : {}),
      ...(opts.buildJobs ? { jobs: opts.buildJobs } : {}),
      ...(opts.buildTimeoutMs ? { timeoutMs: opts.buildTimeoutMs } : {}),
      log: opts.log,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (err) {
    if (err instanceof SandboxUnavailableError || opts.signal?.aborted) throw err;
    if (err instanceof KernelBuildError) return { result: buildResult(opts.worktree, opts.scenario, cycles, err.outcome), build: null };
    if (!(err instanceof ExternalError)) throw err;
    // Not make's doing (git archive, the lock, a missing bzImage): the check did not complete.
    const tail = err.detail.split("\n").filter((l) => /error|Error|\*\*\*/.test(l)).slice(-12).join("\n");
    const result = inconclusiveResult(opts.worktree, true, opts.scenario, cycles, `kernel build failed: ${err.message}`, tail);
    return { result, build: null };
  }
  const { worktree: _w, mirror: _m, base: _b, branch: _br, stateDir: _s, fragment: _f, buildJobs: _j, buildTimeoutMs: _t, buildLimits: _l, ...rest } = opts;
  const result = await runQemuCheck({ ...rest, kernel: build.image, patched: true, modulesDir: null });
  if (build.configMissing.length) {
    result.reasons.push(`config options not set as asked: ${build.configMissing.map((m) => m.name).join(", ")}`);
  }
  return { result, build };
}
