import type { Finding } from "../types/finding.js";

/** A triaged revision, ready to mirror. */
export interface RevisionToPublish {
  lineage: string;
  version: number;
  title: string;
  /** "Name <addr>" of the series author. */
  author: string;
  /** A git repository (the apply worktree or the mirror) that has `head`. */
  gitDir: string;
  /** Tip of the applied series. */
  head: string;
  /** The base the series was applied to (for the PR text). */
  base: string | null;
  findings: Finding[];
  /** "suppressed: <id> (ignored by X on v2: reason)" lines from applyIgnores. */
  suppressed?: string[];
  /** Where the series can be read (lore link), if known. */
  link?: string;
}

export interface PublishResult {
  branch: string;
  pullNumber: number;
  pullUrl: string;
  /** false when the lineage's pull request already existed (updated instead). */
  pullCreated: boolean;
  /** Check run id or commit status id, null when this revision had been reported before. */
  reportId: number | null;
  /** Comment id, null when this revision's comment existed already (re-run of the job). */
  commentId: number | null;
}

/**
 * The GitHub mirror as the pipeline sees it. `publishRevision` is idempotent per (lineage,
 * version): a re-run after a crash pushes the same branch again and adds no second comment or
 * check run.
 */
export interface Publisher {
  publishRevision(rev: RevisionToPublish): Promise<PublishResult>;
}
