import type { Evidence, SemanticsDetection } from "./detect-semantics.js";
import type { DetectRule, SemanticsSpec } from "./sim-types.js";

export interface SemanticsChange {
  /** Core semantics whose every require rule is met by ADDED lines of the diff; null = no change. */
  core: string | null;
  /** Overlays the diff introduces. */
  overlays: string[];
  evidence: Evidence[];
}

interface AddedLine {
  file: string;
  line: number;
  fn: string | null;
  text: string;
}

const DEF = /^[A-Za-z_][^;]*?\b([A-Za-z_][A-Za-z0-9_]*)\s*\(/;

function defName(text: string): string | null {
  if (text.startsWith("EXPORT_SYMBOL") || text.trimEnd().endsWith(";")) return null;
  const m = DEF.exec(text);
  return m ? (m[1] as string) : null;
}

/** Added lines of a unified diff with their new line number and enclosing function. */
export function addedLines(diff: string): AddedLine[] {
  const out: AddedLine[] = [];
  let file: string | null = null;
  let ln = 0;
  let fn: string | null = null;
  let inHunk = false;
  for (const raw of diff.split("\n")) {
    if (raw.startsWith("diff --git ")) {
      inHunk = false;
      file = null;
      continue;
    }
    if (!inHunk && raw.startsWith("+++ ")) {
      const p = raw.slice(4).trim();
      file = p === "/dev/null" ? null : p.replace(/^b\//, "");
      continue;
    }
    const h = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@ ?(.*)$/.exec(raw);
    if (h) {
      inHunk = true;
      ln = Number(h[1]);
      fn = defName(h[2] ?? "");
      continue;
    }
    if (!inHunk || file === null) continue;
    const tag = raw[0];
    const text = raw.slice(1);
    if (tag === "-") continue;
    if (tag !== "+" && tag !== " ") {
      if (raw === "" || raw.startsWith("\\")) continue;
      inHunk = false;
      continue;
    }
    const d = defName(text);
    if (d) fn = d;
    if (tag === "+") out.push({ file, line: ln, fn, text });
    if (/^}/.test(text)) fn = null;
    ln++;
  }
  return out;
}

function ruleHits(rule: DetectRule, semantics: string, added: AddedLine[]): Evidence[] {
  const re = new RegExp(rule.pattern);
  return added
    .filter((a) => a.file === rule.file && (!rule.functions?.length || (a.fn !== null && rule.functions.includes(a.fn))) && re.test(a.text))
    .map((a) => ({ semantics, role: "require" as const, file: a.file, line: a.line, function: a.fn, text: "+" + a.text.trim(), means: rule.means }));
}

/**
 * What a patch does to the semantics, from its diff alone (works when the series does not apply,
 * like the 2020 v3 patch on a 6.1 tree): a semantics is introduced when every one of its require
 * rules is met by an added line in the right file and function.
 */
export function detectSemanticsChange(diff: string, semantics: SemanticsSpec[]): SemanticsChange {
  const added = addedLines(diff);
  let core: string | null = null;
  const overlays: string[] = [];
  const evidence: Evidence[] = [];
  for (const s of semantics) {
    const hits = s.detect.require.map((r) => ruleHits(r, s.name, added));
    if (hits.every((h) => h.length > 0)) {
      if (s.kind === "core" && core === null) core = s.name;
      else if (s.kind === "overlay") overlays.push(s.name);
      else continue;
      evidence.push(...hits.flat());
    }
  }
  return { core, overlays, evidence };
}

/** The patched tree's semantics: the base detection with the diff's change applied. */
export function applySemanticsChange(base: Pick<SemanticsDetection, "core" | "overlays">, change: SemanticsChange): { core: string | null; overlays: string[] } {
  return { core: change.core ?? base.core, overlays: [...new Set([...base.overlays, ...change.overlays])] };
}
