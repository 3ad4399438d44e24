import { InputError } from "../errors.js";
import { buildSharedLsi } from "./build-shared-lsi.js";
import { compareSemantics, type SimComparison } from "./compare-semantics.js";
import { applySemanticsChange, detectSemanticsChange } from "./detect-semantics-change.js";
import { detectSemantics, effectiveSemantics, formatEvidence, type Evidence } from "./detect-semantics.js";
import { renderSimSection } from "./render-sim-section.js";
import { scenarioFromFindings } from "./scenario-from-findings.js";
import type { SimConfig } from "../config/sections/sim.js";
import type { ScenarioSpec, SimOptions, SimRules } from "./sim-types.js";

export interface SimulatePatchInput {
  rules: SimRules;
  config: SimConfig;
  /** Detection sources of the base tree (readSemanticsSources(baseTree)); null = not available. */
  baseFiles: Record<string, string> | null;
  /** Detection sources of the patched tree; null when the series did not apply. */
  patchedFiles: Record<string, string> | null;
  /** The series' diff text (all patches), used when there is no patched tree. */
  diff: string | null;
  /** Balance classes the analysis found in the patched code (adds a "from-analysis" scenario). */
  analysisClasses?: string[];
  /** A second thread for large runs (used when config.threads is 2). */
  worker?: SimOptions["worker"];
}

export interface SimulatePatchOutput {
  comparison: SimComparison;
  /** renderSimSection(comparison). */
  section: string;
  /** Why these semantics were chosen. */
  basis: { base: string; patched: string; how: string };
  /** true when the patch changes the semantics or any verdict differs before/after. */
  changed: boolean;
}

function usesPlatformIntx(rules: SimRules, scenarios: ScenarioSpec[]): boolean {
  return scenarios.some((sc) => sc.devices.some((d) => rules.topology.domains.find((x) => x.name === d.line.split("/")[0])?.intx));
}

/**
 * The pipeline's simulation stage, pure: choose the semantics before the patch (forced in the
 * config or detected from the base tree) and after it (forced, detected from the patched tree,
 * or from the diff when the series did not apply), run the configured scenarios under both and
 * render the reply section.
 */
export function simulatePatch(input: SimulatePatchInput): SimulatePatchOutput {
  const { rules, config } = input;
  const scenarios = [
    ...(config.scenarios.length ? rules.scenarios.filter((s) => config.scenarios.includes(s.name)) : rules.scenarios),
    buildSharedLsi(config.sharedLsi, rules.topology),
  ];
  const fromAnalysis = scenarioFromFindings(input.analysisClasses ?? [], { known: Object.keys(rules.classes) }).scenario;
  if (fromAnalysis) scenarios.push(fromAnalysis);
  const intx = usesPlatformIntx(rules, scenarios);
  const evidence: Evidence[] = [];
  const how: string[] = [];

  let baseDet = { core: "mainline" as string | null, overlays: [] as string[] };
  if (input.baseFiles) {
    const d = detectSemantics(input.baseFiles, rules.semantics);
    baseDet = { core: d.core, overlays: d.overlays };
  }
  let base: string | null;
  if (config.semantics !== "auto") {
    base = config.semantics;
    how.push(`base forced by config (${base})`);
  } else {
    base = input.baseFiles ? effectiveSemantics(baseDet, intx) : "mainline";
    how.push(input.baseFiles ? `base detected from the base tree` : `base assumed mainline (no base tree)`);
  }

  let patched: string | null;
  if (config.patchedSemantics !== "auto") {
    patched = config.patchedSemantics;
    how.push(`patched forced by config (${patched})`);
  } else if (input.patchedFiles) {
    const d = detectSemantics(input.patchedFiles, rules.semantics);
    patched = effectiveSemantics(d, intx);
    evidence.push(...d.evidence.filter((e) => e.role === "require" && e.semantics === d.core && d.core !== baseDet.core));
    how.push("patched detected from the patched tree");
  } else if (input.diff !== null) {
    const ch = detectSemanticsChange(input.diff, rules.semantics);
    patched = effectiveSemantics(applySemanticsChange(baseDet, ch), intx);
    evidence.push(...ch.evidence);
    how.push("patched detected from the diff (series not applied)");
  } else {
    patched = base;
    how.push("no patched tree or diff: patched = base");
  }
  if (!base || !patched) throw new InputError(`cannot tell the mapping semantics (${how.join("; ")}); force them in the config (sim.semantics)`, "sim");
  for (const n of [base, patched]) {
    if (!rules.semantics.some((s) => s.name === n)) throw new InputError(`unknown semantics "${n}" in the config`, "sim");
  }
  const comparison = compareSemantics(rules, base, patched, scenarios, {
    symmetry: config.symmetry,
    maxStates: config.maxStates,
    ...(config.threads > 1 && input.worker ? { worker: input.worker } : {}),
    evidence: formatEvidence(evidence),
  });
  const verdictsDiffer = comparison.rows.some((r) => r.before.violations.map((v) => v.property).join() !== r.after.violations.map((v) => v.property).join());
  return {
    comparison,
    section: renderSimSection(comparison),
    basis: { base, patched, how: how.join("; ") },
    changed: base !== patched || verdictsDiffer,
  };
}
