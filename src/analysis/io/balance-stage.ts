import { GitMirror } from "../../kernel/git-mirror.js";
import type { ReportSection } from "../../report/report-section.js";
import { balanceFindingId } from "../../triage/collect-findings.js";
import type { RevisionStage, StageInput, StageOutput } from "../../triage/revision-stage.js";
import type { BalanceRules } from "../balance-rules.js";
import { detectCoreSemantics } from "../detect-core-semantics.js";
import { renderFindingsSection } from "../render-findings-section.js";
import type { ScanResult } from "../scan-result.js";
import { analyzeDelta, type DeltaResult } from "./analyze-delta.js";
import { loadBalanceRules } from "./load-balance-rules.js";
import { scanTree } from "./scan-tree.js";


/** Severity of the balance section: a new imbalance or a core change is worth a reviewer's time. */
export function balanceSeverity(delta: DeltaResult): ReportSection["severity"] {
  if (delta.fanout || delta.changes.some((c) => c.kind === "new-imbalance" || c.kind === "class-changed")) return "problem";
  return delta.changes.length ? "notice" : "info";
}

/** The JSON kept for a revision: the delta without the unchanged units' full lists. */
function details(delta: DeltaResult): unknown {
  return {
    changedFiles: delta.changedFiles,
    changes: delta.changes,
    core: delta.core,
    fanout: delta.fanout && {
      affected: delta.fanout.affected,
      groups: delta.fanout.groups.map((g) => ({ class: g.class, effect: g.effect, count: g.count, units: g.units })),
    },
    ms: delta.ms,
  };
}

/**
 * The mapping-balance stage of the triage pipeline: delta of the changed C files (base commit vs
 * applied worktree) and, when the series changes kernel/irq/ semantics, the fan-out over a
 * whole-tree scan of the mirror (cached per mirror HEAD for the life of the process).
 */
export function balanceStage(opts: { rules?: BalanceRules; pointer?: string } = {}): RevisionStage {
  let cache: { key: string; scan: ScanResult } | null = null;
  return {
    name: "balance",
    needsAppliedTree: false,
    async run(input: StageInput): Promise<StageOutput | null> {
      if (!input.mirror) return null;
      const rules = opts.rules ?? (await loadBalanceRules());
      const diffText = input.diffs.join("\n");
      let baseScan: ScanResult | undefined;
      if (detectCoreSemantics(diffText, rules)) {
        // Through the hardened git runner (hooks off, no network, sanitized environment).
        const head = await new GitMirror({ path: input.mirror }).head();
        const key = `${input.mirror}@${head ?? "unknown"}`;
        if (cache?.key !== key) cache = { key, scan: await scanTree(input.mirror, { rules, log: input.log, ...(input.signal ? { signal: input.signal } : {}) }) };
        baseScan = cache.scan;
      }
      const delta = await analyzeDelta({
        baseTree: input.mirror,
        baseRev: input.base,
        appliedTree: input.applied,
        diffText,
        rules,
        log: input.log,
        ...(baseScan ? { baseScan } : {}),
      });
      // Changes a maintainer ignored (`#irqtriage ignore <id>`) stay in the details (so the
      // pipeline can say they were suppressed) but leave the section.
      const ignored = input.ignored;
      const shown = ignored?.size ? { ...delta, changes: delta.changes.filter((c) => !ignored.has(balanceFindingId(c))) } : delta;
      const pointer = opts.pointer ?? `irqtriage scan <tree> --json${input.base ? ` (base ${input.base.slice(0, 12)})` : ""}`;
      const section: ReportSection = {
        stage: "balance",
        title: "IRQ mapping balance",
        body: renderFindingsSection(shown, { pointer }),
        severity: balanceSeverity(shown),
      };
      return { section, details: details(delta) };
    },
  };
}
