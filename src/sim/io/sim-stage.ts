import type { SimConfig } from "../../config/sections/sim.js";
import { publicFindingId } from "../../types/finding-id.js";
import type { Finding } from "../../types/finding.js";
import type { GitMirror } from "../../types/git-mirror.js";
import type { ReportSection } from "../../types/report-section.js";
import type { Stage, StageInput, StageOutput } from "../../types/stage.js";
import type { SimComparison, SimComparisonRow } from "../compare-semantics.js";
import { semanticsSourceFiles } from "../detect-semantics.js";
import { simulatePatch, type SimulatePatchOutput } from "../simulate-patch.js";
import type { SimRules } from "../sim-types.js";
import { loadSimRules } from "./load-sim-rules.js";
import { startBatchWorker } from "./start-batch-worker.js";

/** What the simulation stage keeps for a revision. */
export interface SimDetails {
  basis: SimulatePatchOutput["basis"];
  changed: boolean;
  comparison: SimComparison;
}

/**
 * The semantics-detection sources at a commit, read through the mirror port: the mirror's
 * checkout may be at another commit, and an applied worktree is sparse (its commits are in the
 * mirror's object store, so the same port reads them).
 */
async function filesAt(mirror: GitMirror, rev: string, rules: SimRules): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const file of semanticsSourceFiles(rules.semantics)) {
    const bytes = await mirror.readFile(rev, file);
    if (bytes) out[file] = bytes.toString("utf8");
  }
  return out;
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
 * Violations the patch introduces (or, for the scenario built from the touched drivers' own
 * classes, every violation: those are what the series' code does).
 */
export function simFindings(comparison: SimComparison): Finding[] {
  const out: Finding[] = [];
  for (const r of comparison.rows) {
    const before = new Set(r.before.violations.map((v) => v.property));
    for (const v of r.after.violations) {
      if (before.has(v.property) && r.scenario !== "from-analysis") continue;
      out.push({
        id: publicFindingId("sim", `${r.scenario}/${v.property}`, `${r.scenario}-${v.property}`),
        stage: "sim",
        kind: v.property,
        severity: "problem",
        summary: `simulation: ${v.property} in scenario ${r.scenario}`,
        detail: v.trace.join("\n"),
      });
    }
  }
  return out;
}

/**
 * The reference-count simulation stage: semantics before the patch (config or the base tree),
 * after it (config, the applied tree, or the diff when the series did not apply), scenarios from
 * rules/sim plus one built from the balance stage's classes of the touched units; the reply gets
 * the before/after table and the shortest trace of the worst violation.
 */
export function simStage(opts: { rules?: SimRules } = {}): Stage<SimConfig, SimDetails> {
  let rules: SimRules | null = opts.rules ?? null;
  return {
    name: "sim",
    needsAppliedTree: false,
    async run(input: StageInput<SimConfig>): Promise<StageOutput<SimDetails> | null> {
      const config = input.config;
      if (!config.enabled) return null;
      rules ??= await loadSimRules();
      const mirror = input.mirror;
      const base = mirror && input.base ? await filesAt(mirror, input.base, rules) : null;
      const patched = mirror && input.applied ? await filesAt(mirror, input.applied.head, rules) : null;
      const out = simulatePatch({
        rules,
        config,
        baseFiles: base,
        patchedFiles: patched,
        diff: input.diffs.join("\n"),
        analysisClasses: [...(input.facts.touchedClasses ?? [])],
        worker: startBatchWorker,
      });
      const worse = out.comparison.rows.some((r) => r.after.violations.length > r.before.violations.length);
      let section: ReportSection | null;
      if (out.changed) {
        section = { stage: "sim", title: "Reference-count simulation", body: out.section, severity: worse ? "problem" : "notice" };
      } else {
        // Same semantics before and after and the same verdicts: the generic scenarios say
        // nothing about this series. Only the drivers it touches are worth a paragraph.
        section = compactSection(out.comparison.rows.find((r) => r.scenario === "from-analysis") ?? null, out.comparison.patched);
      }
      return {
        section,
        findings: simFindings(out.comparison),
        facts: {},
        details: { basis: out.basis, changed: out.changed, comparison: out.comparison },
      };
    },
  };
}
