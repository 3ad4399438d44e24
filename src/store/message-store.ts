import type { SourceCheckpoint } from "../types/mail-source.js";
import type { MailMessage } from "../mail/mail-message.js";
/** The messages the daemon received, their threads, and the mailbox checkpoints. */
export interface MessageStore {
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
  /** Later copies of a stored Message-ID that said something else (the first copy is kept), newest first. */
  conflicts(limit: number): Promise<MessageConflict[]>;
  hasMessage(msgid: string): Promise<boolean>;
  /**
   * Whether this very copy was handled: the message stored from `source`, or a conflict
   * recorded from it. A copy of a stored Message-ID from elsewhere is not: it must reach
   * ingestMessage once, to be compared (and recorded when it differs).
   */
  hasCopy(msgid: string, source: string): Promise<boolean>;
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
}

export type Checkpoint = SourceCheckpoint;

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
  /** A copy of a stored Message-ID from another sender or with another body: recorded, not stored. */
  conflict?: string;
}

export interface MessageConflict {
  msgid: string;
  source: string;
  from: string | null;
  reason: string;
  receivedAt: number;
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
