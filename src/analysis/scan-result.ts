import type { FileFacts } from "./file-facts.js";

/** Balance classes; the first six are the contract of issue 3, `library` is ours (see README). */
export const balanceClasses = [
  "balanced",
  "error-path-only",
  "never-disposes",
  "shared-dispose",
  "create-twice-dispose-once",
  "dispose-unowned",
  "library",
] as const;
export type BalanceClass = (typeof balanceClasses)[number];

/** Classes that are not an imbalance (scan exits 0 when only these are reported). */
export const neutralClasses: ReadonlySet<BalanceClass> = new Set(["balanced", "library"]);

export type Confidence = "high" | "medium" | "low";

export interface SiteRef {
  file: string;
  line: number;
  function: string;
  /** Extra (not in the contract's minimum): API name and lifecycle path, e.g. "probe", "error". */
  api?: string;
  path?: string;
}

export interface Finding {
  id: string;
  class: BalanceClass;
  unit: string;
  family: string;
  create: SiteRef[];
  release: SiteRef[];
  confidence: Confidence;
  /** One sentence: why this class. */
  reason: string;
  /** Driver structs of the unit ("platform_driver foo_driver"), when the file has any. */
  drivers?: string[];
}

/** `irqtriage scan --json` contract. */
export interface ScanJson {
  tree: string;
  files: number;
  sites: number;
  counts: Partial<Record<BalanceClass, number>>;
  findings: Finding[];
}

/** Scan result with the per-file facts kept for delta mode and fan-out. */
export interface ScanResult extends ScanJson {
  facts: FileFacts[];
  timings: { listMs: number; parseMs: number; classifyMs: number; totalMs: number };
}
