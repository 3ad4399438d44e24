import type { FromSchema } from "json-schema-to-ts";

/** `sim`: the reference-count simulation. */
export const simSection = {
  type: "object",
  additionalProperties: false,
  default: {},
  properties: {
    enabled: { type: "boolean", default: true, description: "Run the simulation in the triage pipeline." },
    semantics: {
      type: "string",
      pattern: "^(auto|[a-z0-9][a-z0-9.-]*)$",
      default: "auto",
      description: "Semantics before the patch: auto = detected from the base tree; a name (mainline, refcount-v3, ppc-kref) forces it.",
    },
    patchedSemantics: { type: "string", pattern: "^(auto|[a-z0-9][a-z0-9.-]*)$", default: "auto", description: "Semantics after the patch: auto = from the patched tree or the diff." },
    scenarios: { type: "array", items: { type: "string" }, default: [], description: "Scenarios of rules/sim/scenarios run in the pipeline; empty = all." },
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
    symmetry: { type: "boolean", default: true, description: "Symmetry reduction (counting abstraction)." },
    maxStates: { type: "integer", minimum: 1000, default: 20_000_000, description: "State bound per exploration." },
    // 2: runs beyond 16,384 states generate successors in a second thread (same result).
    threads: { type: "integer", minimum: 1, maximum: 2, default: 2 },
  },
} as const;

export type SimConfig = FromSchema<typeof simSection>;
