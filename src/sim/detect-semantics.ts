import type { DetectRule, SemanticsSpec } from "./sim-types.js";

export interface Evidence {
  semantics: string;
  /** "require": a line that shows the semantics; "forbid": a line that rules it out. */
  role: "require" | "forbid";
  file: string;
  line: number;
  function: string | null;
  text: string;
  means: string;
}

export interface SemanticsCandidate {
  semantics: string;
  kind: "core" | "overlay";
  matched: boolean;
  /** `means` of require rules with no matching line. */
  missing: string[];
  evidence: Evidence[];
}

export interface SemanticsDetection {
  /** The core semantics kernel/irq/ implements; null when no rule set matches. */
  core: string | null;
  /** Arch overlays present (e.g. "ppc-kref" in arch/powerpc). */
  overlays: string[];
  /** Evidence lines of `core` and `overlays`. */
  evidence: Evidence[];
  candidates: SemanticsCandidate[];
}

/** Files the detection rules read (paths inside a kernel tree). */
export function semanticsSourceFiles(semantics: SemanticsSpec[]): string[] {
  const files = new Set<string>();
  for (const s of semantics) for (const r of [...s.detect.require, ...(s.detect.forbid ?? [])]) files.add(r.file);
  return [...files].sort();
}

interface Body {
  name: string;
  /** 1-based line numbers and text of the body, header included. */
  lines: Array<{ n: number; text: string }>;
}

/**
 * Function bodies by name, kernel coding style: the header starts at column 0, the body ends at
 * the first "}" at column 0. Prototypes (header ending in ";") are skipped.
 */
export function functionBodies(text: string, names: string[]): Map<string, Body> {
  const out = new Map<string, Body>();
  const lines = text.split("\n");
  const wanted = new Set(names);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as string;
    if (!/^[A-Za-z_]/.test(l) || l.startsWith("EXPORT_SYMBOL")) continue;
    const m = /\b([A-Za-z_][A-Za-z0-9_]*)\s*\(/.exec(l);
    if (!m || !wanted.has(m[1] as string) || out.has(m[1] as string)) continue;
    // Find the opening brace before any ";" (a prototype or a call at file scope).
    let j = i;
    let open = -1;
    for (; j < Math.min(lines.length, i + 12); j++) {
      const t = lines[j] as string;
      if (t.includes("{")) {
        open = j;
        break;
      }
      if (t.trimEnd().endsWith(";")) break;
    }
    if (open < 0) continue;
    const body: Body = { name: m[1] as string, lines: [] };
    for (let k = i; k < lines.length; k++) {
      body.lines.push({ n: k + 1, text: lines[k] as string });
      if (k > open && /^}/.test(lines[k] as string)) break;
      if (k === open && /^}/.test(lines[k] as string)) break;
    }
    out.set(body.name, body);
  }
  return out;
}

function matchRule(rule: DetectRule, semantics: string, role: Evidence["role"], files: Record<string, string>): Evidence[] {
  const text = files[rule.file];
  if (text === undefined) return [];
  const re = new RegExp(rule.pattern);
  const found: Evidence[] = [];
  const push = (n: number, t: string, fn: string | null): void => {
    found.push({ semantics, role, file: rule.file, line: n, function: fn, text: t.trim(), means: rule.means });
  };
  if (rule.functions?.length) {
    const bodies = functionBodies(text, rule.functions);
    for (const fn of rule.functions) {
      const b = bodies.get(fn);
      if (!b) continue;
      for (const l of b.lines) if (re.test(l.text)) push(l.n, l.text, fn);
    }
  } else {
    text.split("\n").forEach((t, i) => {
      if (re.test(t)) push(i + 1, t, null);
    });
  }
  return found;
}

/**
 * Which semantics a kernel tree implements, from the contents of its kernel/irq/ (and arch)
 * sources: `files` maps tree-relative paths (see semanticsSourceFiles) to their text. Pure: the
 * caller reads the files. A semantics matches when every require rule has a line and no forbid
 * rule does; the first matching "core" wins, every matching "overlay" is listed.
 */
export function detectSemantics(files: Record<string, string>, semantics: SemanticsSpec[]): SemanticsDetection {
  const candidates: SemanticsCandidate[] = semantics.map((s) => {
    const evidence: Evidence[] = [];
    const missing: string[] = [];
    for (const r of s.detect.require) {
      const ev = matchRule(r, s.name, "require", files);
      if (ev.length === 0) missing.push(r.means);
      evidence.push(...ev);
    }
    const forbidden: Evidence[] = [];
    for (const r of s.detect.forbid ?? []) forbidden.push(...matchRule(r, s.name, "forbid", files));
    return { semantics: s.name, kind: s.kind, matched: missing.length === 0 && forbidden.length === 0, missing, evidence: [...evidence, ...forbidden] };
  });
  const core = candidates.find((c) => c.kind === "core" && c.matched)?.semantics ?? null;
  const overlays = candidates.filter((c) => c.kind === "overlay" && c.matched).map((c) => c.semantics);
  const evidence = candidates.filter((c) => c.semantics === core || overlays.includes(c.semantics)).flatMap((c) => c.evidence);
  return { core, overlays, evidence, candidates };
}

/**
 * The semantics to simulate a scenario under: an overlay (ppc-kref) applies on top of the
 * mainline core when the scenario has pcibios-mapped INTx lines; otherwise the core.
 */
export function effectiveSemantics(d: Pick<SemanticsDetection, "core" | "overlays">, usesPlatformIntx: boolean): string | null {
  if (d.core === "mainline" && usesPlatformIntx && d.overlays.length > 0) return d.overlays[0] ?? null;
  return d.core;
}

/** Evidence as printable lines: "kernel/irq/irqdomain.c:921 (irq_dispose_mapping): text  <- means". */
export function formatEvidence(ev: Evidence[]): string[] {
  return ev.map((e) => `${e.role === "forbid" ? "against " : ""}${e.semantics}: ${e.file}:${e.line}${e.function ? ` (${e.function})` : ""}: ${e.text}  <- ${e.means}`);
}
