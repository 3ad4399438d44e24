/** The `sim` section of the config file (reference-count simulation, issue 4). Pure. */
export interface SimConfig {
  /** Run the simulation in the triage pipeline. */
  enabled: boolean;
  /**
   * Semantics before the patch: "auto" = detected from the base tree's kernel/irq/ (and
   * arch/powerpc) sources; a name (mainline, refcount-v3, ppc-kref) forces it.
   */
  semantics: string;
  /** Semantics after the patch: "auto" = detected from the patched tree or the diff. */
  patchedSemantics: string;
  /** Scenarios of rules/sim/scenarios to run in the pipeline; empty = all. */
  scenarios: string[];
  /** The built-in shared-lsi scenario in the pipeline (devices on lines, plug rounds). */
  sharedLsi: { devices: number; lines: number; rounds: number; driver: string };
  /** Symmetry reduction (counting abstraction). */
  symmetry: boolean;
  /** State bound per exploration. */
  maxStates: number;
  /**
   * 2 = runs beyond 16,384 states generate successors in a second thread while this one looks
   * them up (same result, faster on two cores); 1 = one thread.
   */
  threads: number;
}

export const simConfigSchema = {
  type: "object",
  additionalProperties: false,
  default: {},
  properties: {
    enabled: { type: "boolean", default: true },
    semantics: { type: "string", pattern: "^(auto|[a-z0-9][a-z0-9.-]*)$", default: "auto" },
    patchedSemantics: { type: "string", pattern: "^(auto|[a-z0-9][a-z0-9.-]*)$", default: "auto" },
    scenarios: { type: "array", items: { type: "string" }, default: [] },
    sharedLsi: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        devices: { type: "integer", minimum: 1, maximum: 16, default: 4 },
        lines: { type: "integer", minimum: 1, maximum: 4, default: 2 },
        rounds: { type: "integer", minimum: 1, maximum: 7, default: 2 },
        driver: { type: "string", default: "shared-dispose" },
      },
    },
    symmetry: { type: "boolean", default: true },
    maxStates: { type: "integer", minimum: 1000, default: 20_000_000 },
    threads: { type: "integer", minimum: 1, maximum: 2, default: 2 },
  },
} as const;
