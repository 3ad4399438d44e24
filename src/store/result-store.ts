import type { OutgoingReply } from "../types/outgoing-reply.js";
import type { StageRecord } from "../types/stage.js";
import type { RevisionResult } from "../types/triage-result.js";

/** Triage results: each revision's result and its stages' outputs, as `status` and `explain` read them. */
export interface ResultStore {
  /**
   * In ONE transaction: store the revision results with their stages' records (replacing the
   * records of an earlier run of the same revision) and add the replies to the outbox. A reply
   * whose key is already in the outbox is skipped unless `retest` names an open retest request
   * for its thread, in which case it goes in under a derived key and Message-ID.
   */
  recordTriage(input: RecordTriageInput): Promise<RecordTriageOutcome>;
  revisionResults(opts?: { limit?: number; lineage?: string }): Promise<StoredRevision[]>;
  /** The stage records of a lineage (one revision with `version`), oldest revision first. */
  stageResults(lineage: string, version?: number): Promise<StoredStage[]>;
}

export interface RecordTriageInput {
  root: string;
  results: { lineage: string; revision: RevisionResult; stages?: readonly StageRecord[] }[];
  replies: OutgoingReply[];
  /** Retest token (the command mail's Message-ID) this run was asked for, if any. */
  retest: string | null;
  now: number;
}

export interface RecordTriageOutcome {
  queued: string[];
  skipped: { key: string; why: string }[];
}

export interface StoredRevision {
  lineage: string;
  version: number;
  root: string;
  result: RevisionResult;
  updatedAt: number;
}

/** A stage record as stored: which revision it belongs to and when it was recorded. */
export interface StoredStage extends StageRecord {
  lineage: string;
  version: number;
  at: number;
}
