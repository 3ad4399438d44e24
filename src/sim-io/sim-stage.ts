import { GitMirror } from "../kernel/git-mirror.js";
import type { ReportSection } from "../report/report-section.js";
import type { SimComparisonRow } from "../sim/compare-semantics.js";
import { semanticsSourceFiles } from "../sim/detect-semantics.js";
import { simulatePatch } from "../sim/simulate-patch.js";
import type { SimRules } from "../sim/sim-types.js";
import type { RevisionStage, StageInput, StageOutput } from "../triage/revision-stage.js";
import { loadSimRules } from "./load-sim-rules.js";
import { startBatchWorker } from "./start-batch-worker.js";

/**
 * The semantics-detection sources at a commit, read from git: the mirror's checkout may be at
 * another commit, and an applied worktree is sparse (only the files the series touches).
 */
async function filesAt(repo: string, rev: string, rules: SimRules): Promise<Record<string, string>> {
  const mirror = new GitMirror({ path: repo });
  const out: Record<string, string> = {};
  for (const file of semanticsSourceFiles(rules.semantics)) {
    const bytes = await mirror.readFile(rev, file);
    if (bytes) out[file] = bytes.toString("utf8");
  }
  return out;
}

/** Balance classes of the units the patch touches, as the balance stage found them after it. */
function classesFromBalance(previous: Readonly<Record<string, unknown>>): string[] {
  const b = previous["balance"] as { changes?: { after?: { class?: string } | null }[] } | undefined;
  const classes = (b?.changes ?? []).map((c) => c.after?.class).filter((c): c is string => typeof c === "string");
  return [...new Set(classes)];
}

function compactSection(row: SimComparisonRow | null, semantics: string): ReportSection | null {
  if (!row || row.after.violations.length === 0) return null;
  const v = row.after.violations[0] as { property: string; trace: string[] };
  const body = [
    `The semantics do not change (${semantics}). The code this series touches, as the ` +
      "balance analysis classifies it after the patch, simulated over shared and hot-plugged " +
      `devices: ${row.after.violations.map((x) => x.property).join(", ")}. Shortest trace:`,
    ...v.trace.map((t) => `  ${t}`),
  ].join("\n");
  return { stage: "sim", title: "Reference-count simulation", body, severity: "problem" };
}

/**
 * The reference-count simulation stage: semantics before the patch (config or the base tree),
 * after it (config, the applied tree, or the diff when the series did not apply), scenarios from
 * rules/sim plus one built from the balance stage's classes; the reply gets the before/after
 * table and the shortest trace of the worst violation.
 */
export function simStage(opts: { rules?: SimRules } = {}): RevisionStage {
  let rules: SimRules | null = opts.rules ?? null;
  return {
    name: "sim",
    needsAppliedTree: false,
    async run(input: StageInput): Promise<StageOutput | null> {
      const config = input.config.sim;
      if (!config.enabled) return null;
      rules ??= await loadSimRules();
      const base = input.mirror && input.base ? await filesAt(input.mirror, input.base, rules) : null;
      const patched = input.applied ? await filesAt(input.applied, "HEAD", rules) : null;
      const out = simulatePatch({
        rules,
        config,
        baseFiles: base,
        patchedFiles: patched,
        diff: input.diffs.join("\n"),
        analysisClasses: classesFromBalance(input.previous ?? {}),
        worker: startBatchWorker,
      });
      const worse = out.comparison.rows.some((r) => r.after.violations.length > r.before.violations.length);
      let section: ReportSection | null;
      if (out.changed) {
        section = { stage: "sim", title: "Reference-count simulation", body: out.section, severity: worse ? "problem" : "notice" };
      } else {
        // Same semantics before and after and the same verdicts: the generic scenarios say
        // nothing about this series. Only the drivers it touches (the balance classes after
        // the patch) are worth a paragraph.
        section = compactSection(out.comparison.rows.find((r) => r.scenario === "from-analysis") ?? null, out.comparison.patched);
      }
      return { section, details: { basis: out.basis, changed: out.changed, comparison: out.comparison } };
    },
  };
}
