import type { Config } from "../config/config.js";
import type { RevisionStage } from "./revision-stage.js";

/**
 * The later stages the pipeline runs for a relevant revision, in order. Loaded lazily so that a
 * plain `irqtriage run --no-stages` does not load tree-sitter.
 */
export async function defaultStages(_config: Config): Promise<RevisionStage[]> {
  const { balanceStage } = await import("../analysis/io/balance-stage.js");
  const { simStage } = await import("../sim-io/sim-stage.js");
  const { qemuStage } = await import("../qemu/qemu-stage.js");
  return [balanceStage(), simStage(), qemuStage()];
}
