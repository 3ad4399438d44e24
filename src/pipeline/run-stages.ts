import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import type { IgnoreRecord } from "../mail-commands/command-context.js";
import { applyIgnores } from "../mail-commands/apply-ignores.js";
import type { Finding } from "../types/finding.js";
import type { GitMirror } from "../types/git-mirror.js";
import type { ReportSection } from "../types/report-section.js";
import type { AppliedTree, StageFacts, StageRecord } from "../types/stage.js";
import type { RevisionResult } from "../types/triage-result.js";
import type { PipelineStage } from "./stage-registry.js";

export interface RunStagesInput {
  stages: readonly PipelineStage[];
  lineage: string;
  revision: RevisionResult;
  diffs: readonly string[];
  mirror: GitMirror | null;
  applied: AppliedTree | null;
  ignores: readonly IgnoreRecord[];
  config: Config;
  log: Logger;
  signal?: AbortSignal;
  now?: () => number;
}

export interface RunStagesOutcome {
  sections: ReportSection[];
  /** One per stage that ran (done or failed), in order: what the store keeps. */
  records: StageRecord[];
  /** Every stage's findings minus those maintainers ignored. */
  findings: Finding[];
  /** "suppressed: <id> (...)" lines for the ignored ones (the findings section lists them). */
  suppressed: string[];
  errors: string[];
}

/**
 * Run the later stages of one revision in order. Each gets its own config section and the
 * facts the earlier ones published; a stage that throws is recorded as failed and the others
 * still run. Findings are the stages' own; maintainers' ignores are applied once, here.
 */
export async function runStages(input: RunStagesInput): Promise<RunStagesOutcome> {
  const now = input.now ?? Date.now;
  const ignoredIds = new Set(input.ignores.map((i) => i.findingId));
  const sections: ReportSection[] = [];
  const records: StageRecord[] = [];
  const errors: string[] = [];
  const all: Finding[] = [];
  let facts: StageFacts = {};
  for (const stage of input.stages) {
    if (stage.needsAppliedTree && !input.applied) continue;
    const log = input.log.child({ stage: stage.name });
    const t0 = now();
    try {
      const out = await stage.run({
        lineage: input.lineage,
        revision: input.revision,
        diffs: input.diffs,
        mirror: input.mirror,
        base: input.revision.apply.base,
        applied: input.applied,
        facts,
        ignored: ignoredIds,
        config: stage.section(input.config),
        stateDir: input.config.stateDir,
        log,
        ...(input.signal ? { signal: input.signal } : {}),
      });
      if (!out) continue;
      facts = { ...facts, ...out.facts };
      all.push(...out.findings);
      if (out.section) sections.push(out.section);
      records.push({ stage: stage.name, status: "done", durationMs: now() - t0, findings: out.findings, details: out.details });
    } catch (err) {
      if (input.signal?.aborted) throw err;
      const message = (err as Error).message;
      log.error({ err }, "stage failed");
      errors.push(`${stage.name}: ${message}`);
      records.push({ stage: stage.name, status: "failed", durationMs: now() - t0, findings: [], details: null, error: message });
    }
  }
  const { kept, lines } = applyIgnores(all, input.ignores);
  return { sections, records, findings: kept, suppressed: lines, errors };
}
