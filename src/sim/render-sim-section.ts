import { wrapText } from "../report/wrap-text.js";
import { PROPERTY_SEVERITY, type SimComparison } from "./compare-semantics.js";
import type { SimResult, SimViolation } from "./sim-types.js";

const WIDTH = 72;

function verdict(r: SimResult): string {
  return r.violations.length ? "FAIL" : "clean";
}

function worst(results: SimResult[]): { scenario: string; semantics: string; v: SimViolation } | null {
  let best: { scenario: string; semantics: string; v: SimViolation; rank: number } | null = null;
  for (const r of results) {
    for (const v of r.violations) {
      const rank = PROPERTY_SEVERITY.indexOf(v.property);
      if (!best || rank < best.rank || (rank === best.rank && v.trace.length < best.v.trace.length)) {
        best = { scenario: r.scenario, semantics: r.semantics, v, rank };
      }
    }
  }
  return best && { scenario: best.scenario, semantics: best.semantics, v: best.v };
}

/** Cuts a line to the width (only for table cells that cannot wrap). */
function fit(s: string): string {
  return s.length <= WIDTH ? s : s.slice(0, WIDTH - 3) + "...";
}

/**
 * The simulation part of the reply: which scenarios fail under the semantics before the patch
 * and after it, and the shortest trace of the worst violation (after the patch if any, else
 * before). Plain text, lines of at most 72 columns, no trailing spaces.
 */
export function renderSimSection(c: SimComparison): string {
  const out: string[] = [];
  out.push(
    `Reference-count simulation: every interleaving of plug, probe (and each probe failure point), unplug and re-plug, explored exhaustively. Semantics before the patch: ${c.base}; after: ${c.patched}.`,
  );
  for (const e of c.evidence) out.push(`  ${e}`);
  out.push("");
  const nameW = Math.min(40, Math.max(8, ...c.rows.map((r) => r.scenario.length)));
  out.push(fit(`${"scenario".padEnd(nameW)}  ${"before".padEnd(6)}  after`));
  for (const r of c.rows) out.push(fit(`${r.scenario.padEnd(nameW)}  ${verdict(r.before).padEnd(6)}  ${verdict(r.after)}`));
  out.push("");
  for (const r of c.rows) {
    const b = r.before.violations.map((v) => v.property);
    const a = r.after.violations.map((v) => v.property);
    if (!b.length && !a.length) continue;
    out.push(`- ${r.scenario}: before ${b.length ? b.join(", ") : "clean"}; after ${a.length ? a.join(", ") : "clean"}`);
  }
  const w = worst(c.rows.map((r) => r.after)) ?? worst(c.rows.map((r) => r.before));
  const truncated = c.rows.some((r) => r.before.truncated || r.after.truncated);
  if (truncated) out.push("- note: some explorations hit the state bound and are not exhaustive");
  if (w) {
    out.push("");
    out.push(`Shortest trace of the worst violation (${w.v.property}, ${w.scenario}, ${w.semantics}):`);
    for (const step of w.v.trace) out.push(`  ${step}`);
  } else {
    out.push("No violation under either semantics.");
  }
  return wrapText(out.join("\n"), WIDTH)
    .split("\n")
    .map((l) => (l.length > WIDTH ? l.slice(0, WIDTH) : l).replace(/\s+$/, ""))
    .join("\n");
}
