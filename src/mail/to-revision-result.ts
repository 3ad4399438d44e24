import type { RevisionResult } from "../types/triage-result.js";
import { formatAddress } from "./format-address.js";
import type { Revision } from "./series-types.js";

/** The parts of a RevisionResult the series stage decides; apply and reply come later. */
export type SeriesRevisionResult = Omit<RevisionResult, "apply" | "reply" | "status" | "applied" | "quiet" | "findings">;

/**
 * Map a revision (and its relevance verdict) to the `irqtriage run --json` contract fields.
 * Pure. Reviews are all replies to the revision (a reply that quotes a diff is a review of
 * the patch it answers); trailers are the revision's flat list (each trailer once).
 */
export function toRevisionResult(rev: Revision, verdict: { relevant: boolean; reasons: string[] }): SeriesRevisionResult {
  return {
    version: rev.version,
    rfc: rev.rfc,
    title: rev.title,
    author: formatAddress(rev.author),
    cover: rev.cover?.msgid ?? null,
    patches: rev.patches.map((p) => ({ msgid: p.msgid, index: p.index, total: p.total, subject: p.subject.raw })),
    missing: [...rev.missing],
    reviews: rev.reviews.map((r) => r.msgid),
    trailers: rev.trailers.map((t) => ({ ...t })),
    relevant: verdict.relevant,
    reasons: [...verdict.reasons],
  };
}
