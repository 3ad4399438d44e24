import { addressKey } from "./format-address.js";
import type { Lineage, Revision } from "./series-types.js";

export type RevisionStatus = "live" | "superseded" | "withdrawn" | "applied" | "incomplete" | "placeholder";

export interface AppliedInfo {
  /** The commit it landed as, when known (the notice's first commit, or the mirror's). */
  commit: string | null;
  tree: string | null;
  /** The notice that said so, or null when the patch was found in the mirror itself. */
  msgid: string | null;
}

export interface StatusVerdict {
  status: RevisionStatus;
  applied: AppliedInfo | null;
  /** Why the revision gets no reply (null: it gets one). */
  quiet: string | null;
}

/** A revision's patches found in the kernel mirror (same patch-id, or same subject and author). */
export type InMirror = ReadonlyMap<string, { commit: string; how: "patch-id" | "subject" }>;

function versionName(r: Revision): string {
  return `${r.rfc ? "RFC " : ""}v${r.version}${r.resend ? " RESEND" : ""}`;
}

/** An applied notice among the revision's replies, from someone other than its author. */
function appliedNotice(r: Revision): AppliedInfo | null {
  const author = addressKey(r.author);
  for (const rv of r.reviews) {
    const a = rv.notice.applied;
    if (!a || (author && addressKey(rv.from) === author)) continue;
    return { commit: a.commits[0] ?? null, tree: a.tree, msgid: rv.msgid };
  }
  return null;
}

/** The revision's author asked to ignore it ("please ignore", "self-NAK", ...). */
function withdrawnByAuthor(r: Revision): boolean {
  const author = addressKey(r.author);
  return author !== "" && r.reviews.some((rv) => rv.notice.withdrawn && addressKey(rv.from) === author);
}

/**
 * The reply policy, decided with what is known when the reply is written: a revision gets no
 * reply when a later revision of its lineage is complete (or known to be applied), when its
 * author withdrew it, when it is known to be applied (an applied notice, or its patches already
 * in the mirror), when it is a placeholder, or while it is incomplete. In live daemon use the
 * later revision does not exist yet when a revision arrives, so each one is still answered as
 * it comes; in a batch run or a catch-up after downtime the later one is known and wins. Pure.
 */
export function revisionStatuses(lineage: Lineage, inMirror: InMirror = new Map()): Map<string, StatusVerdict> {
  const out = new Map<string, StatusVerdict>();
  const revs = lineage.revisions;
  // A follow-up that joined by citing an applied commit ("fixes") is new work on top, not a
  // newer revision of the same patches: it supersedes nothing.
  const followUps = new Set(lineage.links.filter((l) => l.rule === "fixes").map((l) => l.revision));
  const applied = revs.map((r) => {
    const notice = appliedNotice(r);
    if (notice) return notice;
    const m = inMirror.get(r.key);
    return m ? { commit: m.commit, tree: null, msgid: null } : null;
  });
  revs.forEach((r, i) => {
    const reasons: string[] = [];
    let status: RevisionStatus = "live";
    // A later revision supersedes when it is complete or known to be applied (a placeholder counts
    // only then): an incomplete v4 neither replies nor supersedes v3.
    const later = revs.slice(i + 1).find((l, j) => !followUps.has(l.key) && ((!l.placeholder && l.missing.length === 0) || applied[i + 1 + j] !== null));
    const withdrawn = withdrawnByAuthor(r);
    const a = applied[i] ?? null;
    if (r.placeholder) {
      status = "placeholder";
      reasons.push("a placeholder: the patch mail never arrived");
    }
    if (a) {
      if (status === "live") status = "applied";
      reasons.push(`already applied${a.tree ? ` to ${a.tree}` : ""}${a.commit ? ` as ${a.commit.slice(0, 12)}` : a.msgid ? "" : " (in the mirror)"}`);
    }
    if (later) {
      if (status === "live") status = "superseded";
      reasons.push(`superseded by ${versionName(later)}`);
    }
    if (withdrawn) {
      if (status === "live") status = "withdrawn";
      reasons.push("withdrawn by its author");
    }
    if (r.missing.length && !r.placeholder && !r.pull) {
      if (status === "live") status = "incomplete";
      reasons.push(`incomplete: patch${r.missing.length > 1 ? "es" : ""} ${r.missing.join(", ")} of ${r.total} not received`);
    }
    out.set(r.key, { status, applied: a, quiet: reasons.length ? reasons.join("; ") : null });
  });
  return out;
}
