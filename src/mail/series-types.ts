import type { TrailerRef } from "../types/triage-result.js";
import type { ExtractedPatch, PullRequest } from "../patch/extract-patch.js";
import type { Address, MailMessage } from "./mail-message.js";
import type { ReplyNotice } from "./parse-notice.js";
import type { ParsedSubject } from "./parse-subject.js";
import type { DuplicateMessage, ThreadSet } from "./build-threads.js";

/**
 * The series model built by `buildSeries()`: lineages (one piece of work across its
 * revisions) → revisions (one posting: v1, v2, a RESEND, ...) → cover, patches, reviews,
 * trailers. Message-IDs are without angle brackets everywhere.
 */
export interface SeriesSet {
  lineages: Lineage[];
  threads: ThreadSet;
  duplicates: DuplicateMessage[];
  /** Messages that belong to no revision (discussion outside patch threads), by Message-ID. */
  unclaimed: string[];
}

export interface Lineage {
  /** Message-ID of the first revision's first message: its cover letter, else its lowest-numbered
   * patch present (patch 1 normally), else its pull request mail. Stable across runs. */
  id: string;
  /** Revisions in time order. */
  revisions: Revision[];
  /** Why each revision after the first joined the lineage (same order as revisions[1..]). */
  links: LineageLink[];
}

export interface LineageLink {
  /** Revision key of the later revision. */
  revision: string;
  /** Revision key of the earlier revision it was linked to. */
  previous: string;
  /**
   * "in-reply-to" (threaded to the earlier one), "link" (cites it), "change-id" (b4's change-id),
   * "fixes" (cites a commit an applied notice of the earlier one named), "title" (similar title),
   * "patch-titles".
   */
  rule: "in-reply-to" | "link" | "change-id" | "fixes" | "title" | "patch-titles";
  /** Title similarity (0..1) for "title"/"patch-titles", 1 for the others. */
  score: number;
}

export interface SeriesMessage {
  msgid: string;
  subject: ParsedSubject;
  message: MailMessage;
}

export interface SeriesPatch extends SeriesMessage {
  /** n of n/N; 1 for a single patch. */
  index: number;
  /** N of n/N; 1 for a single patch. */
  total: number;
  /** The extracted patch; null when a numbered patch mail carries no diff (then it cannot apply). */
  patch: ExtractedPatch | null;
  /** The patch's own trailers, then reply trailers for it, then cover-reply trailers (b4 order). */
  trailers: TrailerRef[];
}

export interface Review {
  msgid: string;
  from: Address | null;
  date: Date | null;
  /** The submission it answers, directly or through other replies (patch, cover or a missing patch). */
  target: string;
  /** Index of the patch it answers, 0 for the cover letter, null when unknown. */
  patchIndex: number | null;
  /** It quotes a diff ("> diff --git", "> @@"): a code review, never a new patch. */
  quotesDiff: boolean;
  /** Trailers the sender gave (they attach to the patch, or to every patch for a cover reply). */
  trailers: TrailerRef[];
  /** Trailers in the reply naming someone else than the sender (relayed tags): not attached. */
  ignoredTrailers: TrailerRef[];
  /** What the reply says about the revision's fate (withdrawn by its author, applied). */
  notice: ReplyNotice;
  /** "thread": found through In-Reply-To/References; "subject": the reply declared no parent and
   * its subject is "Re: " + exactly one submission's subject (the latest one before it). */
  matchedBy: "thread" | "subject";
}

export interface Revision {
  /** "<lineage>#v<version>", plus "-resend<n>" for resends: unique and stable per posting. */
  key: string;
  lineage: string;
  version: number;
  rfc: boolean;
  resend: boolean;
  /** Extra subject tags ("kernel", "net-next", "5.10"). */
  extra: string[];
  /** Cover letter title, else patch 1's (or the first present patch's) title. */
  title: string;
  author: Address | null;
  /** Earliest date of its cover/patches. */
  date: Date | null;
  cover: SeriesMessage | null;
  /** Sorted by index; at most one per index. */
  patches: SeriesPatch[];
  /** N of n/N (1 for a single patch). */
  total: number;
  /** Indexes of 1..N that are not in the mailbox. */
  missing: number[];
  /** Replies to the cover or the patches, by date. */
  reviews: Review[];
  /** Every trailer of the revision, each once: patches' own first (by index), then replies'. */
  trailers: TrailerRef[];
  baseCommit: string | null;
  prerequisitePatchIds: string[];
  /** Set for a `git request-pull` posting (then `patches` is empty: nothing to git am). */
  pull: PullRequest | null;
  /** The pull request mail, with the files of its diffstat (or diff) as `patch.files`. */
  pullMessage: SeriesPatch | null;
  /** Message-IDs of extra copies of an index (a patch sent twice); the first by date is used. */
  superseded: string[];
  /**
   * A placeholder: replies (reviews, trailers, an "applied" notice) answer this revision but
   * none of its own mails is in the mailbox. Version, title and total come from the replies'
   * subjects; it is never applied or answered. A later patch mail fills it in.
   */
  placeholder: boolean;
  /** For a placeholder: the Message-ID its replies answer (its thread's missing start). */
  placeholderOf?: string;
  /** b4's `change-id:` of the cover letter (or patch), which links revisions of one lineage. */
  changeId: string | null;
}
