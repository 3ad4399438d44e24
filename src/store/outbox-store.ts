/** Replies waiting to be sent, sent, or in doubt: exactly-once delivery to SMTP. */
export interface OutboxStore {
  /** Keys already in the outbox, with the thread root whose job queued them. */
  answeredKeys(): Promise<Map<string, string>>;
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
