import path from "node:path";
import { packageRoot } from "../package-root.js";
import type { RevisionStage, StageInput, StageOutput } from "../triage/revision-stage.js";
import { checkWorktree } from "./check-worktree.js";
import { toQemuJson, type QemuCheckResult } from "./qemu-check-result.js";
import { loadScenarios } from "./load-scenarios.js";
import { qemuReportSection } from "./render-qemu-section.js";
import { runQemuCheck } from "./run-qemu-check.js";

/**
 * The QEMU stage of the pipeline (off unless `qemu.enabled`): build the applied tree's kernel
 * (incrementally, per base) and hot-plug the configured scenario, or boot the configured
 * prebuilt kernel, in which case the report says the guest did not run the patched kernel.
 */
export function qemuStage(): RevisionStage {
  return {
    name: "qemu",
    needsAppliedTree: false,
    async run(input: StageInput): Promise<StageOutput | null> {
      const q = input.config.qemu;
      if (!q.enabled) return null;
      const scenario = (await loadScenarios()).get(q.scenario);
      if (!scenario) throw new Error(`qemu.scenario "${q.scenario}" is not in rules/qemu/scenarios`);
      const common = {
        scenario,
        ...(q.cycles ? { cycles: q.cycles } : {}),
        accel: q.accel,
        bootTimeoutMs: q.bootTimeoutMs,
        stepTimeoutMs: q.stepTimeoutMs,
        log: input.log,
        ...(input.signal ? { signal: input.signal } : {}),
      };
      let result: QemuCheckResult;
      if (q.kernel) {
        result = await runQemuCheck({ ...common, kernel: q.kernel, patched: false, qemuBinary: q.binary, busybox: q.busybox, memoryMb: q.memoryMb });
      } else if (input.applied && input.mirror && input.base) {
        const fragment = path.isAbsolute(q.fragment) ? q.fragment : path.join(packageRoot, q.fragment);
        ({ result } = await checkWorktree({
          ...common,
          worktree: input.applied,
          mirror: input.mirror,
          base: input.base,
          stateDir: input.config.stateDir,
          fragment,
          buildJobs: q.buildJobs,
          buildTimeoutMs: q.buildTimeoutMs,
        }));
      } else {
        // Nothing applied and no prebuilt kernel: there is no kernel to boot.
        return null;
      }
      return { section: qemuReportSection(result), details: { ...toQemuJson(result), reasons: result.reasons } };
    },
  };
}
