/**
 * The JSON contract of `irqtriage run --json` (issue #2). Scripts rely on it: keep field names
 * stable. Message-IDs are without angle brackets.
 */
export interface TriageResult {
  series: SeriesResult[];
  errors: TriageError[];
}

export interface TriageError {
  source: string;
  message: string;
}

export interface SeriesResult {
  /** Stable id of the lineage (the Message-ID of its first revision's first message). */
  lineage: string;
  revisions: RevisionResult[];
}

export interface PatchRef {
  msgid: string;
  index: number;
  total: number;
  subject: string;
}

export interface TrailerRef {
  name: string;
  value: string;
  /** Who gave it: the From: of the message carrying it. */
  from: string;
  /** The message carrying it (the patch itself, or a reply to it). */
  msgid: string;
}

export interface ApplyFailure {
  patch: string;
  file: string;
  hunk: string;
}

export interface ApplyResult {
  status: "applied" | "failed" | "skipped";
  base: string | null;
  /** Why this base was chosen (or why nothing was applied). */
  baseReason?: string;
  failed: ApplyFailure | null;
}

/** A finding as `run --json` lists it, with what changed since the previous answered revision. */
export interface FindingRef {
  id: string;
  kind: string;
  severity: "problem" | "notice" | "info";
  summary: string;
  file: string | null;
  line: number | null;
  /** "new" or "unchanged" against the previous answered revision; "fixed": there, gone now. */
  since: "new" | "unchanged" | "fixed";
}

export type RevisionStatusName = "live" | "superseded" | "withdrawn" | "applied" | "incomplete" | "placeholder";

export interface RevisionResult {
  version: number;
  rfc: boolean;
  title: string;
  author: string;
  cover: string | null;
  patches: PatchRef[];
  missing: number[];
  reviews: string[];
  trailers: TrailerRef[];
  relevant: boolean;
  reasons: string[];
  apply: ApplyResult;
  reply: string | null;
  /** The reply policy's verdict (issue 13): why this revision gets a reply or not. */
  status: RevisionStatusName;
  /** Known to be applied: the commit, the tree, and the notice that said so (null: found in the mirror). */
  applied: { commit: string | null; tree: string | null; msgid: string | null } | null;
  /** Why it gets no reply ("superseded by v3", "withdrawn by its author"), null when it gets one. */
  quiet: string | null;
  findings: FindingRef[];
}
