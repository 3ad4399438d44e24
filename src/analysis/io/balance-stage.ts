import { balanceFindingId } from "../../types/finding-id.js";
import type { Finding } from "../../types/finding.js";
import type { ReportSection } from "../../types/report-section.js";
import type { Stage, StageInput, StageOutput } from "../../types/stage.js";
import type { BalanceRules } from "../balance-rules.js";
import type { DeltaChange } from "../compare-findings.js";
import type { FanoutGroup } from "../core-fanout.js";
import { detectCoreSemantics } from "../detect-core-semantics.js";
import { renderFindingsSection } from "../render-findings-section.js";
import type { ScanResult } from "../scan-result.js";
import { analyzeDelta, type DeltaResult } from "./analyze-delta.js";
import { loadBalanceRules } from "./load-balance-rules.js";
import { scanTree } from "./scan-tree.js";

/** The balance stage has no config section of its own (its rules are rules/balance.yaml). */
export type BalanceStageConfig = Record<string, never>;

/** What the balance stage keeps for a revision: the delta without the unchanged units' lists. */
export interface BalanceDetails {
  changedFiles: string[];
  changes: DeltaChange[];
  core: DeltaResult["core"];
  fanout: { affected: number; groups: Omit<FanoutGroup, "examples">[] } | null;
  ms: number;
}

/** Severity of the balance section: a new imbalance or a core change is worth a reviewer's time. */
export function balanceSeverity(delta: Pick<DeltaResult, "fanout" | "changes">): ReportSection["severity"] {
  if (delta.fanout || delta.changes.some((c) => c.kind === "new-imbalance" || c.kind === "class-changed")) return "problem";
  return delta.changes.length ? "notice" : "info";
}

function details(delta: DeltaResult): BalanceDetails {
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

/** New or changed imbalances, each with the call's own file:line (release side first). */
export function balanceFindings(changes: readonly DeltaChange[]): Finding[] {
  const out: Finding[] = [];
  for (const c of changes) {
    if (c.kind !== "new-imbalance" && c.kind !== "class-changed") continue;
    const site = c.after?.release[0] ?? c.after?.create[0];
    out.push({
      id: balanceFindingId(c),
      stage: "balance",
      kind: c.kind,
      severity: "problem",
      summary: `${c.unit}: ${c.before?.class ?? "new"} -> ${c.after?.class ?? "gone"}`,
      ...(c.after?.reason ? { detail: c.after.reason } : {}),
      ...(site ? { file: site.file, line: site.line } : {}),
    });
  }
  return out;
}

/**
 * The mapping-balance stage: delta of the changed C files (base commit vs applied worktree)
 * and, when the series changes kernel/irq/ semantics, the fan-out over a whole-tree scan of the
 * mirror (cached per mirror HEAD for the life of the process). Publishes the balance classes
 * of the touched units (`facts.touchedClasses`) for the simulation.
 */
export function balanceStage(opts: { rules?: BalanceRules; pointer?: string } = {}): Stage<BalanceStageConfig, BalanceDetails> {
  let cache: { key: string; scan: ScanResult } | null = null;
  return {
    name: "balance",
    needsAppliedTree: false,
    async run(input: StageInput<BalanceStageConfig>): Promise<StageOutput<BalanceDetails> | null> {
      const mirror = input.mirror;
      if (!mirror) return null;
      const rules = opts.rules ?? (await loadBalanceRules());
      const diffText = input.diffs.join("\n");
      let baseScan: ScanResult | undefined;
      if (detectCoreSemantics(diffText, rules)) {
        const key = `${mirror.path}@${(await mirror.head()) ?? "unknown"}`;
        if (cache?.key !== key) cache = { key, scan: await scanTree(mirror.path, { rules, log: input.log, ...(input.signal ? { signal: input.signal } : {}) }) };
        baseScan = cache.scan;
      }
      const base = input.base;
      const delta = await analyzeDelta({
        baseTree: mirror.path,
        baseRev: base,
        ...(base ? { readBaseFile: async (f: string) => (await mirror.readFile(base, f))?.toString("utf8") ?? null } : {}),
        appliedTree: input.applied?.path ?? null,
        diffText,
        rules,
        log: input.log,
        ...(baseScan ? { baseScan } : {}),
      });
      // Changes a maintainer ignored (`#irqtriage ignore <id>`) stay in the details (so the
      // pipeline can say they were suppressed) but leave the section.
      const ignored = input.ignored;
      const shown = ignored.size ? { ...delta, changes: delta.changes.filter((c) => !ignored.has(balanceFindingId(c))) } : delta;
      const pointer = opts.pointer ?? `irqtriage scan <tree> --json${base ? ` (base ${base.slice(0, 12)})` : ""}`;
      const section: ReportSection = {
        stage: "balance",
        title: "IRQ mapping balance",
        body: renderFindingsSection(shown, { pointer }),
        severity: balanceSeverity(shown),
      };
      const touchedClasses = [...new Set(delta.changes.map((c) => c.after?.class).filter((c): c is NonNullable<typeof c> => typeof c === "string"))];
      return { section, findings: balanceFindings(delta.changes), facts: { touchedClasses }, details: details(delta) };
    },
  };
}
