import { hasControl } from "../mail/header-safety.js";
import { titlePrefix } from "../mail/parse-subject.js";
import type { PatchFile } from "./extract-patch.js";
import type { RelevanceRules } from "./relevance-rules.js";

export interface RelevanceVerdict {
  relevant: boolean;
  /** Human-readable, deduplicated, in a stable order: subject, paths, content. */
  reasons: string[];
}

/** What judging needs of a patch: its title and its files (null when the mail had no diff). */
export interface JudgeablePatch {
  index: number;
  subject: { title: string };
  patch: { files: PatchFile[] } | null;
}

/** What judging needs of a revision (a `Revision` of build-series fits). */
export interface JudgeableRevision {
  cover: { subject: { title: string } } | null;
  patches: JudgeablePatch[];
  /** A pull request: judged by its subject and the files of its diffstat. */
  pullMessage?: JudgeablePatch | null;
}

// Strip C block comments by scanning: a lazy regex is quadratic on lines full of comment openers.
function stripBlockComments(line: string): string {
  let out = "";
  let at = 0;
  for (;;) {
    const open = line.indexOf("/*", at);
    if (open < 0) return out + line.slice(at);
    out += line.slice(at, open);
    const close = line.indexOf("*/", open + 2);
    if (close < 0) return out;
    at = close + 2;
  }
}

/** Code of a line with comments removed, or "" for a line inside a block comment. */
function codeOf(line: string): string {
  const t = line.trim();
  if (t.startsWith("*") || t.startsWith("//")) return "";
  const code = stripBlockComments(line);
  const slashes = code.indexOf("//");
  return slashes >= 0 ? code.slice(0, slashes) : code;
}

function countCalls(lines: readonly string[], rules: RelevanceRules): Map<string, number> {
  const counts = new Map<string, number>();
  if (!rules.callPattern) return counts;
  for (const line of lines) {
    const code = codeOf(line);
    if (!code) continue;
    for (const m of code.matchAll(rules.callPattern)) counts.set(m[1] as string, (counts.get(m[1] as string) ?? 0) + 1);
  }
  return counts;
}

function subjectReason(title: string, rules: RelevanceRules): string | null {
  const prefix = titlePrefix(title);
  if (!prefix) return null;
  return rules.matchPrefix(prefix.replace(/\s+/g, "")) ? `subject prefix ${prefix}` : null;
}

/**
 * A path as a reason shows it: as it is, or JSON-quoted when it holds a control character (a
 * hostile name with CR LF would otherwise become lines of its own in the reply's text).
 */
function shown(path: string): string {
  return hasControl(path) ? JSON.stringify(path) : path;
}

/** Reasons from the files of one diff: paths touched, API calls added/removed. */
export function judgeFiles(files: readonly PatchFile[], rules: RelevanceRules): string[] {
  const reasons: string[] = [];
  for (const f of files) {
    const paths = [...new Set([f.oldPath, f.newPath, f.path].filter((p): p is string => !!p))];
    if (paths.some((p) => rules.matchPath(p))) reasons.push(`touches ${shown(f.path)}`);
  }
  for (const f of files) {
    if (!rules.isCodeFile(f.path)) continue;
    const added = countCalls(f.added, rules);
    const removed = countCalls(f.removed, rules);
    const names = [...new Set([...added.keys(), ...removed.keys()])].sort();
    for (const n of names) {
      const a = added.get(n) ?? 0;
      const r = removed.get(n) ?? 0;
      if (a > r) reasons.push(`adds ${n}() in ${shown(f.path)}`);
      else if (r > a) reasons.push(`removes ${n}() in ${shown(f.path)}`);
      else reasons.push(`changes calls of ${n}() in ${shown(f.path)}`);
    }
  }
  return reasons;
}

/** Verdict for one patch: its subject prefix, the paths it touches and the API calls it changes. */
export function judgePatchRelevance(p: JudgeablePatch, rules: RelevanceRules): RelevanceVerdict {
  const reasons: string[] = [];
  const s = subjectReason(p.subject.title, rules);
  if (s) reasons.push(s);
  if (p.patch) reasons.push(...judgeFiles(p.patch.files, rules));
  const unique = [...new Set(reasons)];
  return { relevant: unique.length > 0, reasons: unique };
}

/**
 * Verdict for a series revision: relevant when any of its patches (or its cover letter's
 * subject prefix) is. Pure; the reasons say exactly which rule fired on what.
 */
export function judgeRelevance(rev: JudgeableRevision, rules: RelevanceRules): RelevanceVerdict {
  const reasons: string[] = [];
  if (rev.cover) {
    const s = subjectReason(rev.cover.subject.title, rules);
    if (s) reasons.push(s);
  }
  for (const p of rev.patches) reasons.push(...judgePatchRelevance(p, rules).reasons);
  if (rev.pullMessage) reasons.push(...judgePatchRelevance(rev.pullMessage, rules).reasons);
  const unique = [...new Set(reasons)];
  return { relevant: unique.length > 0, reasons: unique };
}
