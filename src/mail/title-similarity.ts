import { titlePrefix } from "./parse-subject.js";

const STOP = new Set(["a", "an", "the", "to", "for", "of", "in", "on", "and", "or", "with", "from", "by", "at", "as", "is", "be"]);

/**
 * The words of a title that say what the change does: subsystem prefix dropped (it is what
 * reviewers ask authors to rename: corpus v2 "irq:" became v3 "genirq/irqdomain:"), lower case,
 * stop words dropped, a plural "s" dropped ("IRQs" ~ "IRQ", "mappings" ~ "mapping").
 */
export function titleTokens(title: string): string[] {
  const prefix = titlePrefix(title);
  const rest = prefix ? title.slice(title.indexOf(":") + 1) : title;
  const out: string[] = [];
  for (const w of rest.toLowerCase().match(/[a-z0-9_]+/g) ?? []) {
    if (STOP.has(w)) continue;
    out.push(w.length > 3 && w.endsWith("s") && !w.endsWith("ss") ? w.slice(0, -1) : w);
  }
  return out;
}

/**
 * Jaccard similarity of the title token sets, 0..1. Titles of fewer than 3 tokens only match
 * when equal: "fix leak" says too little to claim two postings are the same work.
 */
export function titleSimilarity(a: string, b: string): number {
  return tokenSetSimilarity(new Set(titleTokens(a)), new Set(titleTokens(b)));
}

/** titleSimilarity on token sets made once (callers comparing one title to many). */
export function tokenSetSimilarity(ta: ReadonlySet<string>, tb: ReadonlySet<string>): number {
  if (ta.size === 0 || tb.size === 0) return 0;
  let inter = 0;
  for (const t of ta) if (tb.has(t)) inter++;
  const score = inter / (ta.size + tb.size - inter);
  if ((ta.size < 3 || tb.size < 3) && score < 1) return 0;
  return score;
}
