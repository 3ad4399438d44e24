import type { DeltaChange } from "./compare-findings.js";
import type { CoreFanout } from "./core-fanout.js";
import type { Finding, SiteRef } from "./scan-result.js";

export interface FindingsSectionInput {
  changedFiles?: string[];
  changes: DeltaChange[];
  fanout: CoreFanout | null;
}

export interface FindingsSectionOptions {
  /** Where the full list lives (a URL, or the command that prints it). */
  pointer?: string;
  /** Units shown per group (default 3). */
  maxItems?: number;
  width?: number;
}

/** Word-wrap `text` to `width` with a hanging indent; words longer than a line are cut. */
function wrap(text: string, indent: string, hang: string, width: number): string[] {
  const out: string[] = [];
  let line = indent;
  const hasText = (): boolean => line.trim().length > 0;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    let w = word;
    for (;;) {
      const sep = hasText() ? 1 : 0;
      if (line.length + sep + w.length <= width) {
        line += (sep ? " " : "") + w;
        break;
      }
      if (hasText() && hang.length + w.length <= width) {
        out.push(line.trimEnd());
        line = hang;
        continue;
      }
      // Longer than any line: fill this one and carry the rest.
      const room = width - line.length - sep;
      if (room <= 0) {
        out.push(line.trimEnd());
        line = hang;
        continue;
      }
      out.push(line + (sep ? " " : "") + w.slice(0, room));
      w = w.slice(room);
      line = hang;
    }
  }
  if (hasText()) out.push(line.trimEnd());
  return out;
}

function site(label: string, r: SiteRef, width: number): string[] {
  const where = `${r.file}:${r.line}`;
  const what = `${r.function}()${r.path ? ` [${r.path}]` : ""}`;
  return wrap(`${label} ${where} ${what}`, "    ", "        ", width);
}

const sig = (r: SiteRef): string => `${r.api ?? ""}:${r.function}:${r.path ?? ""}`;

/** Evidence of one change: the create, the release, and what the patch took away or added. */
function evidence(after: Finding | null, before: Finding | null, width: number): string[] {
  const lines: string[] = [];
  const f = after ?? before!;
  const c = f.create[0];
  if (c) lines.push(...site("create ", c, width));
  if (after && before) {
    const now = new Set(after.release.map(sig));
    const was = new Set(before.release.map(sig));
    const removed = before.release.filter((r) => !now.has(sig(r)));
    const added = after.release.filter((r) => !was.has(sig(r)));
    for (const r of removed.slice(0, 2)) lines.push(...site("removed", r, width));
    for (const r of added.slice(0, 2)) lines.push(...site("added  ", r, width));
    if (!removed.length && !added.length && after.release[0]) lines.push(...site("release", after.release[0], width));
  } else if (f.release[0]) {
    lines.push(...site("release", f.release[0], width));
  }
  return lines;
}

const titles: Record<DeltaChange["kind"], string> = {
  "new-imbalance": "New imbalance",
  "class-changed": "Imbalance changed",
  "fixed-imbalance": "Fixed imbalance",
  moved: "Moved (same class, different path)",
  "new-unit": "New unit",
  "removed-unit": "Removed unit",
};

/**
 * The mapping-balance section of a reply (pure): most important first (new imbalances, core
 * fan-out, fixed, moved), each unit with its create/release evidence, lines <= `width` columns,
 * no trailing spaces, and a pointer to the full list.
 */
export function renderFindingsSection(input: FindingsSectionInput, opts: FindingsSectionOptions = {}): string {
  const width = opts.width ?? 72;
  const max = opts.maxItems ?? 3;
  const out: string[] = [];
  const byKind = new Map<DeltaChange["kind"], DeltaChange[]>();
  for (const c of input.changes) byKind.set(c.kind, [...(byKind.get(c.kind) ?? []), c]);

  const group = (kind: DeltaChange["kind"]): void => {
    const list = byKind.get(kind);
    if (!list?.length) return;
    out.push(`${titles[kind]} (${list.length}):`);
    for (const c of list.slice(0, max)) {
      const from = c.before ? c.before.class : "none";
      const to = c.after ? c.after.class : "gone";
      out.push(...wrap(`- ${c.unit}: ${from} -> ${to}`, "", "  ", width));
      if (c.after) out.push(...wrap(c.after.reason, "    ", "    ", width));
      out.push(...evidence(c.after, c.before, width));
    }
    if (list.length > max) out.push(`  ... and ${list.length - max} more`);
    out.push("");
  };

  group("new-imbalance");
  group("class-changed");

  const fan = input.fanout;
  if (fan) {
    out.push(...wrap(`Core ${fan.change.summary.replace(/^core /, "")}.`, "", "", width));
    // One line of evidence per changed function (create paths, then dispose).
    const firstPerFunction = fan.change.evidence.filter((e, i, all) => all.findIndex((x) => x.function === e.function) === i);
    for (const e of firstPerFunction.slice(0, 4)) {
      out.push(...wrap(`${e.file}:${e.line} ${e.function}(): ${e.text}`, "    ", "        ", width));
    }
    out.push(...wrap(`In-tree callers whose behaviour changes (base tree): ${fan.affected} units.`, "", "", width));
    for (const g of fan.groups) {
      out.push(...wrap(`- ${g.class}: ${g.count} units; ${g.effect}`, "", "  ", width));
      for (const f of g.examples.slice(0, max)) {
        const c = f.create[0];
        out.push(...wrap(c ? `${c.file}:${c.line} ${c.function}()` : f.unit, "    ", "        ", width));
      }
    }
    out.push("");
  }

  group("fixed-imbalance");
  group("moved");

  if (!out.length) {
    const n = input.changedFiles?.length ?? 0;
    out.push(...wrap(`No change in IRQ-mapping balance in the ${n} changed C file${n === 1 ? "" : "s"}.`, "", "", width));
    out.push("");
  }
  if (opts.pointer) out.push(...wrap(`Full list: ${opts.pointer}`, "", "  ", width));
  while (out.length && out[out.length - 1] === "") out.pop();
  return out.map((l) => l.trimEnd()).join("\n") + "\n";
}
