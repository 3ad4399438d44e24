import type { ReplyNotice } from "./parse-notice.js";

/** A mail address as it appeared in a header. */
export interface Address {
  name: string;
  address: string;
}

/** A non-inline MIME part. Text parts (text/x-patch, text/x-diff, text/plain) carry `text`. */
export interface MailAttachment {
  filename: string | null;
  contentType: string;
  size: number;
  /** Decoded text for text/* parts (exact bytes after transfer decoding, as UTF-8); null otherwise. */
  text: string | null;
}

/**
 * One parsed message. This is the unit every later stage sees; it is plain data (no Buffers
 * except `raw`) so it can be stored and compared.
 */
export interface MailMessage {
  /** Message-ID without angle brackets; synthesized ("irqtriage-<hash>@invalid") only when absent. */
  msgid: string;
  /** true when the Message-ID header was missing and msgid was synthesized. */
  msgidSynthetic: boolean;
  inReplyTo: string | null;
  /** References, oldest first, without angle brackets. */
  references: string[];
  subject: string;
  from: Address | null;
  to: Address[];
  cc: Address[];
  date: Date | null;
  /**
   * Header name (lower case) -> values, unfolded, in order of appearance; trace headers
   * (Received, DKIM-Signature, ...) are left out. Messages from ingest also leave out the fields
   * carried above in parsed form (Message-ID, In-Reply-To, References, Subject, From, To, Cc,
   * Date) and, for light messages, list boilerplate; parseMessage keeps those.
   */
  headers: Record<string, string[]>;
  /** The text/plain body after transfer decoding and (only where declared) format=flowed undoing. */
  text: string;
  attachments: MailAttachment[];
  /** Where it came from: "path/to/file.mbox#17", "maildir/cur/xyz", "imap://host/INBOX;UID=5". */
  source: string;
  /** The raw RFC 822 bytes, kept only for messages that may carry a patch (git am needs them). */
  raw: Buffer | null;
  /**
   * false for a "light" message: ingest read only its headers because nothing in them or in the
   * first body bytes hints at a patch, review or trailer (then `text` is "" and `attachments` []).
   * Absent or true: the body was parsed. (Added by mail-ingest; optional so literals elsewhere
   * stay valid.)
   */
  bodyParsed?: boolean;
  /**
   * Set when the mbox splitter cut this mail out where the mail before it cannot have ended (an
   * unclosed multipart, a diff hunk short of its lines): it may be text of that mail, cut at a
   * body line "From " its writer did not quote. Its trailers do not count.
   */
  cutFromAnother?: boolean;
  /**
   * bodyFingerprint() of the raw body: whether two copies of one Message-ID say the same thing.
   * Set by parseMessage and ingest; absent on hand-made messages (then only senders are compared).
   */
  bodyHash?: string;
  /**
   * Readable problems found while parsing this message (missing Message-ID, unknown charset,
   * truncated MIME, ...). ingest also yields each as an `{ error }` record; kept here so a caller
   * holding only the message can still see them.
   */
  problems?: MailProblem[];
  /**
   * Set by ingest (not by parseMessage) on a fully parsed message that cannot post work: a
   * reply, a forward, or a subject without a patch or pull tag. What the series builder reads
   * from such a body is computed at parse time and the body is dropped (`text` is "", attachments
   * keep their metadata but no `text`; `raw` stays as parseMessage decided, null unless the mail
   * carries an unquoted diff or a diff attachment): 100k list messages then fit in memory.
   * Absent: `text` is the body as parsed (or "" for a light message, see `bodyParsed`).
   */
  digest?: MailDigest;
}

/** What the series builder needs from the body of a message that cannot post work. */
export interface MailDigest {
  /** Length of the dropped text (duplicate copies of one Message-ID: the longer text wins). */
  textLength: number;
  /** parseReplyTrailers(text): trailers a reviewer gave in it. */
  trailers: readonly { name: string; value: string }[];
  /** quotesDiff(text): it quotes a diff (a code review). */
  quotesDiff: boolean;
  /** parseNotice(text), when it says anything (withdrawn, applied, a quoted author). */
  notice?: ReplyNotice;
}

/** One recorded problem with an otherwise usable message. */
export interface MailProblem {
  severity: "error" | "warning";
  message: string;
}
