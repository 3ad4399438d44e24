import type { Config } from "../config/config.js";
import type { RevisionStage, StageInput, StageOutput } from "./revision-stage.js";

/**
 * A stage whose module is imported on its first run, not when the pipeline is built: the
 * daemon keeps running for months, and tree-sitter, the simulator and the QEMU driver should
 * only take memory in a process that actually needs them.
 */
function lazyStage(name: string, needsAppliedTree: boolean, load: () => Promise<RevisionStage>): RevisionStage {
  let stage: Promise<RevisionStage> | null = null;
  return {
    name,
    needsAppliedTree,
    async run(input: StageInput): Promise<StageOutput | null> {
      stage ??= load().then((s) => {
        if (s.name !== name || s.needsAppliedTree !== needsAppliedTree) throw new Error(`stage ${s.name} does not match its lazy entry ${name}`);
        return s;
      });
      stage.catch(() => (stage = null)); // a failed import is retried on the next run
      return (await stage).run(input);
    },
  };
}

/**
 * The later stages the pipeline runs for a relevant revision, in order. Each is loaded on its
 * first use, so a plain `irqtriage run --no-stages` or an idle daemon does not load tree-sitter.
 */
export async function defaultStages(_config: Config): Promise<RevisionStage[]> {
  return [
    lazyStage("balance", false, async () => (await import("../analysis/io/balance-stage.js")).balanceStage()),
    lazyStage("sim", false, async () => (await import("../sim-io/sim-stage.js")).simStage()),
    lazyStage("qemu", false, async () => (await import("../qemu/qemu-stage.js")).qemuStage()),
  ];
}
