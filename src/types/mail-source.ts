/** How far a source has delivered: a mailbox's UID checkpoint (lore epochs use their own key). */
export interface SourceCheckpoint {
  mailbox: string;
  uidValidity: number;
  lastUid: number;
}

/** One message as a source hands it over, with the checkpoint that moves once it is stored. */
export interface IncomingMail {
  raw: Buffer;
  /** Where it came from (a checkpoint name such as "imap://user@host:993/INBOX", or "files"). */
  mailbox: string;
  uid: number | null;
  /** Human-readable origin for records and logs ("INBOX;UID=42", "list.mbox#3"). */
  source: string;
  checkpoint: SourceCheckpoint | null;
  /** What was odd about how the source cut it out (an mbox separator inside a body...): recorded with it. */
  notes?: string[];
  /** Cut out where the mail before it cannot have ended: its trailers do not count (MailMessage.cutFromAnother). */
  cutFromAnother?: boolean;
}

/** Stores one message; resolves once it is durably stored WITH its checkpoint. */
export type MailSink = (mail: IncomingMail) => Promise<void>;

export interface MailSourceHealth {
  key: string;
  kind: string;
  ok: boolean;
  /** ISO time of the last message or successful read, or null. */
  lastActivity: string | null;
  /** The last problem, when not ok. */
  error?: string;
}

/**
 * Where the daemon's mail comes from (IMAP mailboxes, local mail files, the lore archives): one
 * interface, so the daemon follows any of them the same way and `/healthz` sees them all.
 */
export interface MailSource {
  readonly key: string;
  readonly kind: string;
  /** Deliver new mail into `sink`, oldest first, until stop(). */
  start(sink: MailSink): void;
  stop(): Promise<void>;
  health(): MailSourceHealth;
}
