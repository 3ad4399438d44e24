/**
 * Is `ref` safe to hand to git as a branch name or commit? A pure, conservative subset of
 * `git check-ref-format --branch` (git-check-ref-format(1) rules 1-10) plus our own limits: only
 * [A-Za-z0-9._/-] (so no shell metacharacter, quote, space or control character can pass), no
 * leading "-" (never read as an option), at most 200 characters. A hex string of 7-40 digits is
 * a commit. The git runner uses argument arrays anyway; this keeps hostile text out of logs and
 * replies and gives the maintainer a clear refusal.
 */
export function checkRefName(ref: string): { ok: true; kind: "commit" | "branch" } | { ok: false; reason: string } {
  if (ref.length === 0) return { ok: false, reason: "empty" };
  if (ref.length > 200) return { ok: false, reason: "longer than 200 characters" };
  if (/^[0-9a-f]{7,40}$/.test(ref)) return { ok: true, kind: "commit" };
  if (!/^[A-Za-z0-9._/-]+$/.test(ref)) return { ok: false, reason: "only letters, digits, '.', '_', '/' and '-' are allowed" };
  if (ref.startsWith("-")) return { ok: false, reason: "must not start with '-'" };
  if (ref === "@" || ref.includes("@{")) return { ok: false, reason: "'@' forms are not allowed" };
  if (ref.includes("..")) return { ok: false, reason: "must not contain '..'" };
  if (ref.startsWith("/") || ref.endsWith("/") || ref.includes("//")) return { ok: false, reason: "bad '/' placement" };
  if (ref.endsWith(".")) return { ok: false, reason: "must not end with '.'" };
  for (const part of ref.split("/")) {
    if (part.startsWith(".")) return { ok: false, reason: "a component must not start with '.'" };
    if (part.endsWith(".lock")) return { ok: false, reason: "a component must not end with '.lock'" };
  }
  if (ref === "HEAD") return { ok: false, reason: "'HEAD' is not a branch" };
  return { ok: true, kind: "branch" };
}
