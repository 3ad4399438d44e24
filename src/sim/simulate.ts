import { UsageError } from "../errors.js";
import { compileScenario } from "./compile-scenario.js";
import { explore, traceOf } from "./explore.js";
import { PROPERTIES, type ScenarioSpec, type SemanticsSpec, type SimOptions, type SimResult, type SimRules, type SimViolation } from "./sim-types.js";

export interface SimulateInput {
  rules: Pick<SimRules, "semantics" | "topology" | "classes">;
  /** A semantics name from rules/sim/semantics or a spec. */
  semantics: string | SemanticsSpec;
  scenario: ScenarioSpec;
}

/** The outcome: the `--json` contract plus whether the state bound was hit. */
export interface SimOutcome extends SimResult {
  truncated: boolean;
  transitions: number;
  /** States whose shortest path passes a violation (explored too, not pruned). */
  afterViolation: number;
}

export function findSemantics(rules: Pick<SimRules, "semantics">, name: string): SemanticsSpec {
  const s = rules.semantics.find((x) => x.name === name);
  if (!s) throw new UsageError(`unknown semantics "${name}" (known: ${rules.semantics.map((x) => x.name).join(", ")})`);
  return s;
}

/**
 * Explore every interleaving of the scenario under one semantics and report each violated
 * property with a shortest trace in kernel terms. Pure and deterministic (apart from `seconds`).
 */
export function simulate(input: SimulateInput, opts: SimOptions = {}): SimOutcome {
  const now = opts.now ?? (() => performance.now());
  const sem = typeof input.semantics === "string" ? findSemantics(input.rules, input.semantics) : input.semantics;
  const model = compileScenario(input.scenario, sem, input.rules.topology, input.rules.classes);
  const t0 = now();
  const x = explore(model, {
    symmetry: opts.symmetry ?? true,
    exact: opts.exact ?? false,
    ...(opts.maxStates !== undefined ? { maxStates: opts.maxStates } : {}),
    ...(opts.worker ? { worker: opts.worker } : {}),
  });
  const seconds = (now() - t0) / 1000;
  const violations: SimViolation[] = [];
  for (const p of PROPERTIES) {
    const trace = traceOf(x, p);
    if (trace) violations.push({ property: p, trace });
  }
  return {
    semantics: sem.name,
    scenario: input.scenario.name,
    states: x.states,
    seconds: Math.round(seconds * 1e6) / 1e6,
    violations,
    truncated: x.truncated,
    transitions: x.transitions,
    afterViolation: x.afterViolation,
  };
}
