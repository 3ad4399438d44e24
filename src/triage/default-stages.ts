import type { Config } from "../config/config.js";
import type { RevisionStage, StageInput, StageOutput } from "./revision-stage.js";

/**
 * When a default stage has nothing to do: the same test each stage makes first (and answers
 * null), known here so that neither its module nor a worker to run it has to be loaded.
 */
const applies: Record<string, (input: StageInput) => boolean> = {
  balance: (input) => Boolean(input.mirror),
  sim: (input) => input.config.sim.enabled,
  qemu: (input) => input.config.qemu.enabled,
};

/** Whether the default stage `name` would do anything for this input (unknown stages: yes). */
export function stageApplies(name: string, input: StageInput): boolean {
  return applies[name]?.(input) ?? true;
}

/**
 * A stage whose module is imported on its first real run, not when the pipeline is built: the
 * daemon keeps running for months, and tree-sitter, the simulator and the QEMU driver should
 * only take memory in a process that actually needs them.
 */
function lazyStage(name: string, needsAppliedTree: boolean, load: () => Promise<RevisionStage>): RevisionStage {
  let stage: Promise<RevisionStage> | null = null;
  return {
    name,
    needsAppliedTree,
    async run(input: StageInput): Promise<StageOutput | null> {
      if (!stageApplies(name, input)) return null;
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
