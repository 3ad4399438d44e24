import parseDiff from "parse-diff";
import type { BalanceRules } from "./balance-rules.js";

export interface SemanticsEvidence {
  file: string;
  function: string;
  line: number;
  text: string;
  effect: "create-takes-reference" | "dispose-drops-reference";
}

/** What a patch to kernel/irq/ does to the meaning of the mapping API. */
export interface CoreSemanticsChange {
  /** A create on an existing mapping now takes a reference ("get") instead of no side effect. */
  createTakesReference: boolean;
  /** Dispose now drops a reference ("put") instead of destroying the mapping. */
  disposeDropsReference: boolean;
  evidence: SemanticsEvidence[];
  summary: string;
}

const getRe = /\b(?:kobject_get|kref_get|refcount_inc|refcount_inc_not_zero|atomic_inc|kref_get_unless_zero|irq_desc_get)\s*\(/;
const putRe = /\b(?:kobject_put|kref_put|kref_put_mutex|refcount_dec_and_test|refcount_dec|atomic_dec_and_test|irq_desc_put)\s*\(/;
/** A function definition's first line: starts in column 0, has a call-like name, no semicolon. */
const defRe = /^[A-Za-z_][\w\s*]*?\b([A-Za-z_]\w*)\s*\([^;]*$/;

function functionFromHeader(header: string): string | null {
  const ctx = header.replace(/^@@[^@]*@@\s?/, "");
  const m = defRe.exec(ctx);
  return m?.[1] ?? null;
}

/**
 * Decide from a patch's added lines in kernel/irq/ whether it turns create into "get" and dispose
 * into "put" (the 2020 refcount proposal). Pure; works on diffs that do not apply to the tree.
 * Returns null when the patch does not touch kernel/irq/ or changes nothing of the kind.
 */
export function detectCoreSemantics(diffText: string, rules: BalanceRules): CoreSemanticsChange | null {
  const creates = new Set([...rules.families.flatMap((f) => f.create), "irq_create_mapping_affinity", "__irq_domain_alloc_irqs", "irq_domain_alloc_irqs"]);
  const releases = new Set([...rules.families.flatMap((f) => f.release), "irq_dispose_mapping"]);
  const evidence: SemanticsEvidence[] = [];
  let touched = false;
  for (const file of parseDiff(diffText)) {
    const name = (file.to && file.to !== "/dev/null" ? file.to : file.from) ?? "";
    if (!name.startsWith("kernel/irq/")) continue;
    touched = true;
    for (const chunk of file.chunks) {
      let fn = functionFromHeader(chunk.content);
      for (const ch of chunk.changes) {
        const text = ch.content.slice(1);
        if (ch.type !== "del") {
          const m = defRe.exec(text);
          if (m?.[1] && !/^\s/.test(text) && !text.startsWith("EXPORT_SYMBOL")) fn = m[1];
        }
        if (ch.type !== "add" || !fn) continue;
        if (creates.has(fn) && getRe.test(text)) {
          evidence.push({ file: name, function: fn, line: ch.ln, text: text.trim(), effect: "create-takes-reference" });
        } else if (releases.has(fn) && putRe.test(text)) {
          evidence.push({ file: name, function: fn, line: ch.ln, text: text.trim(), effect: "dispose-drops-reference" });
        }
      }
    }
  }
  if (!touched || !evidence.length) return null;
  const createTakesReference = evidence.some((e) => e.effect === "create-takes-reference");
  const disposeDropsReference = evidence.some((e) => e.effect === "dispose-drops-reference");
  const summary =
    createTakesReference && disposeDropsReference
      ? "core semantics change: create takes a reference, dispose drops one"
      : createTakesReference
        ? "core semantics change: create takes a reference (dispose unchanged)"
        : "core semantics change: dispose drops a reference (create unchanged)";
  return { createTakesReference, disposeDropsReference, evidence, summary };
}
