import type { CoreSemanticsChange } from "./detect-core-semantics.js";
import type { BalanceClass, Finding } from "./scan-result.js";

export interface FanoutGroup {
  class: BalanceClass;
  effect: string;
  count: number;
  /** Every unit of the class (files), worst first. */
  units: string[];
  /** Worst first (high confidence first), at most `examples` of them. */
  examples: Finding[];
}

/** Which in-tree callers change behaviour because of a core semantics change. */
export interface CoreFanout {
  change: CoreSemanticsChange;
  groups: FanoutGroup[];
  /** Units whose behaviour changes (sum of the group counts). */
  affected: number;
}

function effectOf(cls: BalanceClass, c: CoreSemanticsChange): string | null {
  const refcounting = c.createTakesReference && c.disposeDropsReference;
  switch (cls) {
    case "never-disposes":
      return c.createTakesReference
        ? "leak under refcounting: holds a reference nobody drops, so the mapping is never torn down (even by another user's dispose)"
        : null;
    case "create-twice-dispose-once":
      return c.createTakesReference ? "leaks one reference per extra create: the mapping is never torn down" : null;
    case "error-path-only":
      return c.createTakesReference ? "success path never drops its reference: pins the mapping like never-disposes" : null;
    case "shared-dispose":
      return refcounting ? "per-device dispose becomes a put: correct only if every device's create took a reference" : null;
    case "dispose-unowned":
      return c.disposeDropsReference ? "drops a reference it never took: can tear down another user's mapping early" : null;
    default:
      return null;
  }
}

const order: BalanceClass[] = ["never-disposes", "create-twice-dispose-once", "dispose-unowned", "error-path-only", "shared-dispose"];

/**
 * Fan-out of a core semantics change over the base tree's findings (pure): callers by class,
 * counts, worst examples.
 */
export function coreFanout(change: CoreSemanticsChange, baseFindings: Finding[], examples = 5): CoreFanout {
  const rank = { high: 0, medium: 1, low: 2 } as const;
  const groups: FanoutGroup[] = [];
  for (const cls of order) {
    const effect = effectOf(cls, change);
    if (!effect) continue;
    const hits = baseFindings
      .filter((f) => f.class === cls && f.family === "irq-mapping")
      .sort((a, b) => rank[a.confidence] - rank[b.confidence] || b.create.length - a.create.length || a.unit.localeCompare(b.unit));
    if (!hits.length) continue;
    groups.push({ class: cls, effect, count: hits.length, units: hits.map((h) => h.unit), examples: hits.slice(0, examples) });
  }
  return { change, groups, affected: groups.reduce((n, g) => n + g.count, 0) };
}
