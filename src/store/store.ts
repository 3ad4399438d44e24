import type { MailMessage } from "../mail/mail-message.js";
import type { OutgoingReply } from "../report/outgoing-reply.js";
import type { RevisionResult } from "../triage/triage-result.js";

/**
 * The daemon's durable state behind one interface. The embedded default is SQLite
 * (`SqliteStore`); a shared database can replace it later by implementing this interface.
 *
 * Every method that changes more than one thing is ONE transaction in the implementation:
 * callers never compose transactions themselves, which is what lets another backend keep the
 * same guarantees. Methods are async so that a networked backend fits the same shape.
 */
export interface Store {
  // --- mail -------------------------------------------------------------------------------
  /**
   * Record a message (deduplicated by Message-ID) and, in the same transaction, advance the
   * mailbox checkpoint and (for a new, not ignored message) enqueue the triage job of its
   * thread. A checkpoint only moves together with the message it covers, so a crash never
   * loses a message.
   */
  ingestMessage(input: IngestInput): Promise<IngestOutcome>;
  /** Advance a checkpoint without a message (e.g. a UID that vanished before it was fetched). */
  setCheckpoint(cp: Checkpoint): Promise<void>;
  getCheckpoint(mailbox: string): Promise<Checkpoint | null>;
  checkpoints(): Promise<Checkpoint[]>;
  /** Messages kept but not triaged (own mail, bots, unparseable), newest first. */
  ignoredMessages(limit: number): Promise<{ msgid: string; subject: string; from: string | null; ignored: string; receivedAt: number }[]>;
  hasMessage(msgid: string): Promise<boolean>;
  getMessage(msgid: string): Promise<StoredMessage | null>;
  /** Messages of one thread (by thread root), oldest first, with `raw` restored. */
  threadMessages(root: string): Promise<MailMessage[]>;
  /**
   * The thread of `root` plus the threads holding patch mails of the same authors within
   * `windowDays` before its newest message: what lineage tracking across revisions needs.
   */
  lineageContext(root: string, windowDays: number): Promise<MailMessage[]>;
  threadRootOf(msgid: string): Promise<string | null>;
  messageCount(): Promise<number>;

  // --- triage results + outbox ------------------------------------------------------------
  /**
   * In ONE transaction: store the revision results and add the replies to the outbox. A reply
   * whose key is already in the outbox is skipped unless `retest` names an open retest request
   * for its thread, in which case it goes in under a derived key and Message-ID.
   */
  recordTriage(input: RecordTriageInput): Promise<RecordTriageOutcome>;
  /** Keys already in the outbox, with the thread root whose job queued them. */
  answeredKeys(): Promise<Map<string, string>>;
  revisionResults(opts?: { limit?: number; lineage?: string }): Promise<StoredRevision[]>;

  // --- outbox -----------------------------------------------------------------------------
  /** Pending entries due now, oldest first. */
  duePending(now: number, limit: number): Promise<OutboxEntry[]>;
  /** Durably (fsync) mark an entry as handed to SMTP. Returns false if it was not pending. */
  markSending(key: string, now: number): Promise<boolean>;
  markSent(key: string, now: number, how: "smtp" | "list-copy" | "manual"): Promise<void>;
  /** SMTP refused it before accepting the data: nothing was sent, retry later. */
  markSendFailed(key: string, error: string, retryAt: number, maxAttempts: number): Promise<void>;
  /** Entries found in `sending` (a crash between hand-over and mark). */
  inDoubt(): Promise<OutboxEntry[]>;
  /** Resolve an in-doubt entry after the grace period: never resend (at-most-once) or resend. */
  resolveInDoubt(key: string, to: "abandoned" | "pending", now: number): Promise<void>;
  outboxByMessageId(messageId: string): Promise<OutboxEntry | null>;
  outbox(opts?: { limit?: number; state?: OutboxState }): Promise<OutboxEntry[]>;
  /** How many outbox entries are in `state` (gauges: without loading the entries). */
  outboxCount(state: OutboxState): Promise<number>;

  // --- jobs -------------------------------------------------------------------------------
  /**
   * Enqueue a job. At most one QUEUED job exists per (kind, key): enqueueing again merges the
   * payload flags and moves `runAt` later by `debounceMs` (never past `maxDelayMs` from the
   * first request), so a burst of mails in one thread triggers one run.
   */
  enqueueJob(job: NewJob): Promise<number>;
  /**
   * Claim the next due job of one of `kinds`, honouring per-kind concurrency limits. Also takes
   * over jobs whose lease expired (their worker died).
   */
  claimJob(owner: string, kinds: string[], limits: Record<string, number>, leaseMs: number, now: number): Promise<Job | null>;
  renewLease(id: number, owner: string, leaseMs: number, now: number): Promise<boolean>;
  completeJob(id: number, owner: string, now: number): Promise<void>;
  /** Retry with exponential backoff, or dead-letter after `maxAttempts`. */
  failJob(id: number, owner: string, error: string, now: number, opts: { retryable: boolean; backoffMs: number; maxAttempts: number }): Promise<Job["state"]>;
  /** Put a running job back without counting the attempt (graceful shutdown: park it). */
  parkJob(id: number, owner: string, now: number): Promise<void>;
  /** Give back running jobs of owners that are gone (same host, dead pid); returns how many. */
  releaseLeases(isOwnerAlive: (owner: string) => boolean, now: number): Promise<number>;
  /** Re-queue a dead job (operator action). */
  requeueDead(id: number, now: number): Promise<boolean>;
  jobs(opts?: { states?: JobState[]; limit?: number }): Promise<Job[]>;
  queueCounts(): Promise<Record<JobState, number>>;

  // --- maintainer requests and command history --------------------------------------------
  /**
   * A maintainer asked for a new run with a new reply (`#irqtriage retest`). Enqueues the
   * triage job of the thread of `msgid` with a retest token; the next reply of that thread's
   * revisions is sent even though the revision was answered before.
   */
  requestRetest(req: { msgid: string; requestedBy: string; now: number }): Promise<{ jobId: number; root: string } | null>;
  recordCommand(cmd: NewCommand): Promise<{ id: number; inserted: boolean }>;
  updateCommand(id: number, patch: { state: CommandState; result?: unknown; replyKey?: string | null }, now: number): Promise<void>;
  commands(opts?: { limit?: number; sender?: string; since?: number }): Promise<CommandRecord[]>;

  // --- stage results ----------------------------------------------------------------------
  recordStage(s: { lineage: string; version: number; stage: string; status: string; durationMs: number; detail?: unknown }, now: number): Promise<void>;
  stageResults(lineage: string, version?: number): Promise<StageRecord[]>;

  close(): Promise<void>;
}

export interface Checkpoint {
  mailbox: string;
  uidValidity: number;
  lastUid: number;
}

export interface IngestInput {
  message: MailMessage;
  /** Where it came from, e.g. "imap://host/INBOX". */
  mailbox: string;
  uid: number | null;
  /** Why the message is kept but not triaged (own mail, another bot, ...); null = triage it. */
  ignored: string | null;
  checkpoint: Checkpoint | null;
  /** Debounce for the thread's triage job (a series arrives as several mails). */
  settleMs: number;
  maxDelayMs: number;
  /** Further jobs for a NEW message (e.g. "command"), enqueued in the same transaction. */
  jobs?: { kind: string; key: string }[];
  now: number;
}

export interface IngestOutcome {
  inserted: boolean;
  root: string;
  jobId: number | null;
  /** The message is one of our own replies coming back from the list: its entry is now sent. */
  confirmedOutbox: string | null;
}

export interface StoredMessage {
  msgid: string;
  mailbox: string;
  uid: number | null;
  root: string;
  subject: string;
  from: string | null;
  date: number | null;
  ignored: string | null;
  receivedAt: number;
  message: MailMessage;
}

export interface RecordTriageInput {
  root: string;
  results: { lineage: string; revision: RevisionResult }[];
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

export type OutboxState = "pending" | "sending" | "sent" | "abandoned" | "failed";

export interface OutboxEntry {
  key: string;
  messageId: string;
  inReplyTo: string;
  to: string[];
  cc: string[];
  subject: string;
  eml: string;
  state: OutboxState;
  attempts: number;
  lastError: string | null;
  createdAt: number;
  sendingAt: number | null;
  sentAt: number | null;
  sentHow: string | null;
}

export type JobState = "queued" | "running" | "done" | "failed" | "dead";

export interface NewJob {
  kind: string;
  key: string;
  payload?: Record<string, unknown>;
  runAt: number;
  debounceMs?: number;
  maxDelayMs?: number;
  now: number;
}

export interface Job {
  id: number;
  kind: string;
  key: string;
  payload: Record<string, unknown>;
  state: JobState;
  attempts: number;
  runAt: number;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

export type CommandState = "received" | "refused" | "done" | "failed";

export interface NewCommand {
  /** The command mail's Message-ID. Together with `index`, unique: a mail seen twice is one command. */
  msgid: string;
  index: number;
  sender: string;
  verb: string;
  args: string[];
  thread: string | null;
  now: number;
}

export interface CommandRecord extends Omit<NewCommand, "now"> {
  id: number;
  state: CommandState;
  result: unknown;
  replyKey: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface StageRecord {
  lineage: string;
  version: number;
  stage: string;
  status: string;
  durationMs: number;
  detail: unknown;
  at: number;
}
