import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import type { ReportSection } from "../report/report-section.js";
import type { RevisionResult } from "./triage-result.js";

/** What a stage gets to look at for one series revision. */
export interface StageInput {
  lineage: string;
  revision: RevisionResult;
  /** The diffs of the revision's patches, in order (untrusted text; already safety-checked). */
  diffs: string[];
  /** The mirror (a git repository with a checkout) and the base commit the series was applied on. */
  mirror: string | null;
  base: string | null;
  /** The worktree with the series applied, or null when it did not apply (or nothing to apply). */
  applied: string | null;
  /** Details of the stages that ran before this one for the same revision, by stage name. */
  previous?: Readonly<Record<string, unknown>>;
  /** Public ids of findings maintainers ignored on this lineage: leave them out of the section. */
  ignored?: ReadonlySet<string>;
  config: Config;
  log: Logger;
  signal?: AbortSignal;
}

/**
 * A later stage of the pipeline (mapping balance, simulation, QEMU). Stages are registered in a
 * plain list; each contributes at most one reply section and its machine-readable result.
 */
export interface RevisionStage {
  name: string;
  /** Whether the stage needs an applied tree (QEMU) or can run on diffs alone (simulation). */
  needsAppliedTree: boolean;
  run(input: StageInput): Promise<StageOutput | null>;
}

export interface StageOutput {
  section: ReportSection | null;
  /** JSON-serializable details, kept in the run's JSON output and the store. */
  details: unknown;
}
