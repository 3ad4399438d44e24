import { simulate, type SimOutcome } from "./simulate.js";
import type { PropertyName, ScenarioSpec, SimOptions, SimRules } from "./sim-types.js";

export interface SimComparisonRow {
  scenario: string;
  description: string;
  before: SimOutcome;
  after: SimOutcome;
}

/** Before/after verdicts of a set of scenarios: the data behind the reply section. */
export interface SimComparison {
  base: string;
  patched: string;
  rows: SimComparisonRow[];
  /** Detection evidence lines to quote (optional). */
  evidence: string[];
}

/** Worst first: a use of a torn-down mapping is worse than a leak. */
export const PROPERTY_SEVERITY: PropertyName[] = ["premature-unmap", "double-dispose", "dead-free", "hierarchy", "leak"];

/** Runs every scenario under the base and the patched semantics. */
export function compareSemantics(
  rules: Pick<SimRules, "semantics" | "topology" | "classes">,
  base: string,
  patched: string,
  scenarios: ScenarioSpec[],
  opts: SimOptions & { evidence?: string[] } = {},
): SimComparison {
  const rows = scenarios.map((scenario) => ({
    scenario: scenario.name,
    description: scenario.description,
    before: simulate({ rules, semantics: base, scenario }, opts),
    after: simulate({ rules, semantics: patched, scenario }, opts),
  }));
  return { base, patched, rows, evidence: opts.evidence ?? [] };
}
