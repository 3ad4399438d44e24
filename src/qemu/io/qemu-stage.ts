import path from "node:path";
import type { QemuConfig } from "../../config/sections/qemu.js";
import type { BuildSandbox } from "../../kernel/build-sandbox.js";
import { packageRoot } from "../../package-root.js";
import { publicFindingId } from "../../types/finding-id.js";
import type { Finding } from "../../types/finding.js";
import type { Stage, StageInput, StageOutput } from "../../types/stage.js";
import { toQemuJson, type QemuCheckResult, type QemuJson } from "../qemu-check-result.js";
import { qemuReportSection, qemuSeverity } from "../render-qemu-section.js";
import { buildLimitsOf } from "./build-kernel.js";
import { checkWorktree } from "./check-worktree.js";
import { loadScenarios } from "./load-scenarios.js";
import { runQemuCheck } from "./run-qemu-check.js";

/** What the QEMU stage keeps: the `irqtriage qemu --json` shape plus the verdict's reasons. */
export type QemuDetails = QemuJson & { reasons: string[] };

/** A verdict other than pass is a finding (inconclusive and build-stopped only notices: nothing was shown wrong). */
export function qemuFindings(r: Pick<QemuCheckResult, "scenario" | "verdict" | "reasons">): Finding[] {
  if (r.verdict === "pass") return [];
  return [
    {
      id: publicFindingId("qemu", `${r.scenario}/${r.verdict}`, `${r.scenario}-${r.verdict}`),
      stage: "qemu",
      kind: r.verdict,
      severity: qemuSeverity(r.verdict) === "notice" ? "notice" : "problem",
      summary: `QEMU ${r.scenario}: ${r.verdict}`,
      ...(r.reasons.length ? { detail: r.reasons.join("\n") } : {}),
    },
  ];
}

export interface QemuStageDeps {
  /** The sandbox builds and guests run in, for this config (the composition root picks bubblewrap). */
  sandbox(config: QemuConfig): BuildSandbox;
}

/**
 * The QEMU stage of the pipeline (off unless `qemu.enabled`): build the applied tree's kernel
 * (incrementally, per base) and hot-plug the configured scenario, or boot the configured
 * prebuilt kernel, in which case the report says the guest did not run the patched kernel.
 * Building and booting a patched kernel happen only inside the sandbox; without one the stage
 * fails (recorded, no reply text) instead of building outside it.
 */
export function qemuStage(deps: QemuStageDeps): Stage<QemuConfig, QemuDetails> {
  return {
    name: "qemu",
    needsAppliedTree: false,
    async run(input: StageInput<QemuConfig>): Promise<StageOutput<QemuDetails> | null> {
      const q = input.config;
      if (!q.enabled) return null;
      const scenario = (await loadScenarios()).get(q.scenario);
      if (!scenario) throw new Error(`qemu.scenario "${q.scenario}" is not in rules/qemu/scenarios`);
      const common = {
        scenario,
        ...(q.cycles ? { cycles: q.cycles } : {}),
        accel: q.accel,
        bootTimeoutMs: q.bootTimeoutMs,
        stepTimeoutMs: q.stepTimeoutMs,
        qemuBinary: q.binary,
        busybox: q.busybox,
        memoryMb: q.memoryMb,
        sandbox: deps.sandbox(q),
        log: input.log,
        ...(input.signal ? { signal: input.signal } : {}),
      };
      let result: QemuCheckResult;
      if (q.kernel) {
        result = await runQemuCheck({ ...common, kernel: q.kernel, patched: false });
      } else if (input.applied && input.mirror && input.base) {
        const fragment = path.isAbsolute(q.fragment) ? q.fragment : path.join(packageRoot, q.fragment);
        ({ result } = await checkWorktree({
          ...common,
          worktree: input.applied.path,
          mirror: input.mirror.path,
          base: input.base,
          stateDir: input.stateDir,
          fragment,
          buildJobs: q.buildJobs,
          buildTimeoutMs: q.buildTimeoutMs,
          buildLimits: buildLimitsOf(q),
        }));
      } else {
        // Nothing applied and no prebuilt kernel: there is no kernel to boot.
        return null;
      }
      return { section: qemuReportSection(result), findings: qemuFindings(result), facts: {}, details: { ...toQemuJson(result), reasons: result.reasons } };
    },
  };
}
