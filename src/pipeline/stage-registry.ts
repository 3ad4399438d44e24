import type { Config } from "../config/config.js";
import type { QemuConfig } from "../config/sections/qemu.js";
import type { SimConfig } from "../config/sections/sim.js";
import type { Stage, StageInput, StageName, StageOutput } from "../types/stage.js";

/** A stage as the pipeline runs it: bound to its own config section, loaded on first use. */
export interface PipelineStage {
  name: StageName;
  needsAppliedTree: boolean;
  /** The stage's own config section (what its StageInput.config is). */
  section(config: Config): unknown;
  /**
   * Whether the stage would do anything for this input: the same test it makes first (and
   * answers null), known here so that neither its module nor a helper process is loaded.
   */
  applies(input: Pick<StageInput<unknown>, "config" | "mirror">): boolean;
  run(input: StageInput<unknown>): Promise<StageOutput | null>;
}

/**
 * A stage whose module is imported on its first real run, not when the pipeline is built: the
 * daemon keeps running for months, and tree-sitter, the simulator and the QEMU driver should
 * only take memory in a process that actually needs them.
 */
function lazyStage<S>(
  name: StageName,
  needsAppliedTree: boolean,
  section: (config: Config) => S,
  applies: (section: S, input: Pick<StageInput<unknown>, "mirror">) => boolean,
  load: () => Promise<Stage<S>>,
): PipelineStage {
  let stage: Promise<Stage<S>> | null = null;
  return {
    name,
    needsAppliedTree,
    section,
    applies: (input) => applies(input.config as S, input),
    async run(input: StageInput<unknown>): Promise<StageOutput | null> {
      if (!applies(input.config as S, input)) return null;
      stage ??= load().then((s) => {
        if (s.name !== name || s.needsAppliedTree !== needsAppliedTree) throw new Error(`stage ${s.name} does not match its lazy entry ${name}`);
        return s;
      });
      stage.catch(() => (stage = null)); // a failed import is retried on the next run
      return (await stage).run(input as StageInput<S>);
    },
  };
}

/** The later stages the pipeline runs for a relevant revision, in order. */
export function defaultStages(): PipelineStage[] {
  return [
    lazyStage(
      "balance",
      false,
      () => ({}),
      (_s, input) => input.mirror !== null,
      async () => (await import("../analysis/io/balance-stage.js")).balanceStage(),
    ),
    lazyStage(
      "sim",
      false,
      (c): SimConfig => c.sim,
      (s) => s.enabled,
      async () => (await import("../sim/io/sim-stage.js")).simStage(),
    ),
    lazyStage(
      "qemu",
      false,
      (c): QemuConfig => c.qemu,
      (s) => s.enabled,
      async () => {
        const [{ qemuStage }, { BubblewrapSandbox }] = await Promise.all([import("../qemu/io/qemu-stage.js"), import("../kernel/io/bubblewrap-sandbox.js")]);
        // One sandbox (and one probe) per configured user.
        const sandboxes = new Map<string, InstanceType<typeof BubblewrapSandbox>>();
        return qemuStage({
          sandbox: (c) => {
            const key = `${c.sandbox.uid}:${c.sandbox.gid}`;
            let s = sandboxes.get(key);
            if (!s) sandboxes.set(key, (s = new BubblewrapSandbox({ uid: c.sandbox.uid, gid: c.sandbox.gid })));
            return s;
          },
        });
      },
    ),
  ];
}

/** A stage of the defaults by name (the stage worker's helper process runs them by name). */
export function defaultStage(name: string): PipelineStage | null {
  return defaultStages().find((s) => s.name === name) ?? null;
}
