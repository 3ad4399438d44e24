/**
 * The `imap`, `smtp` and `daemon` config sections. They live here (not in src/config/) so the
 * daemon part owns its keys; src/config/{schema,config}.ts include them. Secrets are never in
 * the file: IRQTRIAGE_IMAP_PASSWORD and IRQTRIAGE_SMTP_PASSWORD come from the environment.
 */
export interface ImapConfig {
  /** IMAP server; null = do not follow IMAP. */
  host: string | null;
  port: number;
  /** TLS from the start (imaps); false = plain (loopback tests) or STARTTLS when offered. */
  secure: boolean;
  user: string | null;
  /** Mailboxes followed, each with its own UID checkpoint. */
  mailboxes: string[];
  /** Polling fallback when IDLE notifications do not come (and a safety net when they do). */
  pollIntervalMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** Accept self-signed certificates (a private list server). */
  allowSelfSigned: boolean;
}

export interface SmtpConfig {
  /** SMTP server replies go to; null = leave replies in the outbox (status shows them). */
  host: string | null;
  port: number;
  secure: boolean;
  user: string | null;
  allowSelfSigned: boolean;
}

export interface DaemonConfig {
  /** Local mbox files / maildirs / folders the daemon reads (besides IMAP); re-read every pollIntervalMs. */
  files: string[];
  /** A thread's triage waits until it has been quiet this long (a series arrives as several mails). */
  settleMs: number;
  /** ...but never longer than this after the first mail of the burst. */
  maxDelayMs: number;
  /** An incomplete revision (patches missing) is answered only after this long without news. */
  incompleteGraceMs: number;
  /** How far back same-author patch threads are loaded for lineage tracking across revisions. */
  lineageWindowDays: number;
  /** Jobs running at once per kind; apply and qemu are the heavy ones. */
  concurrency: { triage: number; apply: number; qemu: number };
  /**
   * Stages run in a worker thread that exits after `idleMs` without work, so their memory goes
   * back to the OS between bursts (the simulation by default; "balance" too trades its
   * whole-tree scan cache, kept while the worker lives, for tree-sitter's memory).
   */
  stageWorker: { stages: ("balance" | "sim" | "qemu")[]; idleMs: number };
  maxAttempts: number;
  /** First retry delay; doubled per attempt (with jitter), capped at an hour. */
  backoffMs: number;
  /** A job's lease; renewed while it runs, so a dead worker's job is taken over after it. */
  leaseMs: number;
  /** How long SIGTERM waits for running jobs before parking them. */
  shutdownGraceMs: number;
  /** A maintainer's `#irqtriage retest` may produce a second reply for a revision. */
  allowRetest: boolean;
  /** Addresses whose mail is stored but never triaged (other bots). The bot's own From: always is. */
  ignoreFrom: string[];
  /** "Header: regex" (regex case-insensitive on the value; "Header" alone = present) marking bot mail. */
  ignoreHeaders: string[];
  outbox: {
    sendIntervalMs: number;
    maxAttempts: number;
    retryMs: number;
    /**
     * A reply found in "sending" after a crash may or may not have left. We wait this long for
     * its copy to come back from the list (which proves delivery), then apply `inDoubt`.
     */
    inDoubtGraceMs: number;
    /** "at-most-once": never resend an in-doubt reply (default); "at-least-once": resend it. */
    inDoubt: "at-most-once" | "at-least-once";
  };
  /** Health (/healthz) and Prometheus metrics (/metrics), on loopback only; port 0 = random, null = off. */
  http: { host: string; port: number | null };
}

const reconnect = { type: "integer", minimum: 10 } as const;

export const imapConfigSchema = {
  type: "object",
  additionalProperties: false,
  default: {},
  properties: {
    host: { type: ["string", "null"], default: null },
    port: { type: "integer", minimum: 1, maximum: 65535, default: 993 },
    secure: { type: "boolean", default: true },
    user: { type: ["string", "null"], default: null },
    mailboxes: { type: "array", items: { type: "string", minLength: 1 }, minItems: 1, default: ["INBOX"] },
    pollIntervalMs: { type: "integer", minimum: 100, default: 30_000 },
    reconnectMinMs: { ...reconnect, default: 1_000 },
    reconnectMaxMs: { ...reconnect, default: 60_000 },
    allowSelfSigned: { type: "boolean", default: false },
  },
} as const;

export const smtpConfigSchema = {
  type: "object",
  additionalProperties: false,
  default: {},
  properties: {
    host: { type: ["string", "null"], default: null },
    port: { type: "integer", minimum: 1, maximum: 65535, default: 25 },
    secure: { type: "boolean", default: false },
    user: { type: ["string", "null"], default: null },
    allowSelfSigned: { type: "boolean", default: false },
  },
} as const;

const ms = (d: number) => ({ type: "integer", minimum: 0, default: d }) as const;

export const daemonConfigSchema = {
  type: "object",
  additionalProperties: false,
  default: {},
  properties: {
    files: { type: "array", items: { type: "string", minLength: 1 }, default: [] },
    settleMs: ms(500),
    maxDelayMs: ms(60_000),
    incompleteGraceMs: ms(600_000),
    lineageWindowDays: { type: "integer", minimum: 0, default: 180 },
    concurrency: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        triage: { type: "integer", minimum: 1, default: 2 },
        apply: { type: "integer", minimum: 1, default: 1 },
        qemu: { type: "integer", minimum: 1, default: 1 },
      },
    },
    stageWorker: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        stages: { type: "array", items: { enum: ["balance", "sim", "qemu"] }, uniqueItems: true, default: ["sim"] },
        idleMs: ms(5_000),
      },
    },
    maxAttempts: { type: "integer", minimum: 1, default: 5 },
    backoffMs: { type: "integer", minimum: 10, default: 5_000 },
    leaseMs: { type: "integer", minimum: 1_000, default: 60_000 },
    shutdownGraceMs: ms(10_000),
    allowRetest: { type: "boolean", default: true },
    ignoreFrom: { type: "array", items: { type: "string", minLength: 3 }, default: [] },
    ignoreHeaders: {
      type: "array",
      items: { type: "string", minLength: 1 },
      default: ["Auto-Submitted: ^auto-", "X-Patchwork-Bot", "X-Irqtriage-Key", "X-Mailer: ^(?:patchwork|kernel test robot)"],
    },
    outbox: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        sendIntervalMs: { type: "integer", minimum: 10, default: 1_000 },
        maxAttempts: { type: "integer", minimum: 1, default: 10 },
        retryMs: { type: "integer", minimum: 10, default: 30_000 },
        inDoubtGraceMs: ms(600_000),
        inDoubt: { enum: ["at-most-once", "at-least-once"], default: "at-most-once" },
      },
    },
    http: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        host: { enum: ["127.0.0.1", "::1", "localhost"], default: "127.0.0.1" },
        port: { type: ["integer", "null"], minimum: 0, maximum: 65535, default: 9464 },
      },
    },
  },
} as const;
