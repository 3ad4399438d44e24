/**
 * The kernel's MAINTAINERS file as data. Pure. A section is a title line followed directly by
 * "X:\tvalue" lines, up to a blank line; the prose at the top (whose field descriptions are
 * indented) is not a section.
 */
export interface MaintainersEntry {
  title: string;
  /** 1-based line of the title. */
  line: number;
  /** Every field by its letter, in order ("M" -> ["Thomas Gleixner <tglx@linutronix.de>"]). */
  fields: Record<string, string[]>;
  maintainers: string[];
  reviewers: string[];
  lists: string[];
  status: string | null;
  files: string[];
  excluded: string[];
}

const FIELD = /^([A-Z]):\s*(.*?)\s*$/;

export function parseMaintainers(text: string): MaintainersEntry[] {
  const lines = text.split("\n").map((l) => l.replace(/\r$/, ""));
  const entries: MaintainersEntry[] = [];
  let cur: MaintainersEntry | null = null;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const f = FIELD.exec(l);
    if (cur && f) {
      (cur.fields[f[1]!] ??= []).push(f[2]!);
      continue;
    }
    cur = null;
    if (l.trim() === "" || f || /^\s/.test(l)) continue;
    if (FIELD.test(lines[i + 1] ?? "")) {
      cur = { title: l.trim(), line: i + 1, fields: {}, maintainers: [], reviewers: [], lists: [], status: null, files: [], excluded: [] };
      entries.push(cur);
    }
  }
  for (const e of entries) {
    e.maintainers = e.fields["M"] ?? [];
    e.reviewers = e.fields["R"] ?? [];
    e.lists = (e.fields["L"] ?? []).map((v) => v.split(/\s/)[0]!);
    e.status = e.fields["S"]?.[0] ?? null;
    e.files = e.fields["F"] ?? [];
    e.excluded = e.fields["X"] ?? [];
  }
  return entries;
}

/** The sections whose M:/R: people may steer the bot (issue #7), as titled in Linux 6.1. */
export const IRQ_SECTIONS: readonly string[] = [
  "IRQ SUBSYSTEM",
  "IRQ DOMAINS (IRQ NUMBER MAPPING LIBRARY)",
  "IRQCHIP DRIVERS",
];

/** "Thomas Gleixner <tglx@linutronix.de>" / "tglx@linutronix.de (tglx)" → "tglx@linutronix.de". */
export function addressOf(value: string): string | null {
  const angle = /<([^<>\s]+@[^<>\s]+)>/.exec(value);
  if (angle) return angle[1]!.toLowerCase();
  const bare = /(?:^|\s)([^\s<>()"]+@[^\s<>()"]+)/.exec(value);
  return bare ? bare[1]!.toLowerCase() : null;
}

/**
 * Lower-cased, de-duplicated M: and R: addresses of the named sections (default: the IRQ ones).
 * Section titles are compared case-insensitively.
 */
export function sectionMaintainerAddresses(
  entries: readonly MaintainersEntry[],
  titles: readonly string[] = IRQ_SECTIONS,
): string[] {
  const want = new Set(titles.map((t) => t.toUpperCase()));
  const out = new Set<string>();
  for (const e of entries) {
    if (!want.has(e.title.toUpperCase())) continue;
    for (const v of [...e.maintainers, ...e.reviewers]) {
      const a = addressOf(v);
      if (a) out.add(a);
    }
  }
  return [...out];
}
