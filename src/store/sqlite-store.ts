import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { MailMessage } from "../mail/mail-message.js";
import type { OutgoingReply } from "../report/outgoing-reply.js";
import type { RevisionResult } from "../triage/triage-result.js";
import { migrations } from "./migrations.js";
import { retestReply } from "./retest-reply.js";
import type {
  Checkpoint,
  CommandRecord,
  CommandState,
  IngestInput,
  IngestOutcome,
  Job,
  JobState,
  NewCommand,
  NewJob,
  OutboxEntry,
  OutboxState,
  RecordTriageInput,
  RecordTriageOutcome,
  StageRecord,
  Store,
  StoredMessage,
  StoredRevision,
} from "./store.js";

type Row = Record<string, unknown>;

const PATCH_SUBJECT = /\[[^\]]*\bPATCH\b[^\]]*\]/i;

function str(v: unknown): string {
  return typeof v === "string" ? v : v === null || v === undefined ? "" : String(v);
}
function num(v: unknown): number {
  return typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : Number(v ?? 0);
}
function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : num(v);
}
function strOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : str(v);
}

/** MailMessage → JSON without `raw` (kept in its own column) and back, reviving the Date. */
function encodeMessage(m: MailMessage): string {
  return JSON.stringify({ ...m, raw: null });
}
function decodeMessage(json: string, raw: unknown): MailMessage {
  const m = JSON.parse(json) as MailMessage & { date: string | null };
  return { ...m, date: m.date ? new Date(m.date) : null, raw: Buffer.isBuffer(raw) ? raw : null };
}

function mergePayload(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    if (Array.isArray(cur) && Array.isArray(v)) out[k] = [...new Set([...cur, ...v])];
    else if (typeof cur === "boolean" && typeof v === "boolean") out[k] = cur || v;
    else out[k] = v;
  }
  return out;
}

export interface SqliteStoreOptions {
  /**
   * "NORMAL" (default): in WAL mode a commit survives a process crash (kill -9) but may be lost
   * on power failure. That is safe for mail because the IMAP checkpoint commits in the same
   * transaction as the message: a lost commit just re-fetches it. The one state that must
   * survive power loss, "handed to SMTP", is always written with synchronous=FULL (see
   * markSending). "FULL" makes every commit durable at the cost of an fsync each.
   */
  synchronous?: "NORMAL" | "FULL";
  /**
   * SQLite's page cache in KiB (default 2048, SQLite's own default). better-sqlite3 builds
   * SQLite with 16 MB, which a long-running daemon fills with pages of mail it will not read
   * again; the OS page cache keeps the file's hot pages anyway.
   */
  cacheKiB?: number;
}

/** The embedded store: one SQLite file (WAL) in the state folder. */
export class SqliteStore implements Store {
  readonly db: Database.Database;

  /**
   * Prepared statements by SQL text. better-sqlite3 keeps each statement's compiled program
   * (~4 KB of native memory that V8 does not see) until the JS object is garbage collected;
   * preparing per call left tens of thousands of them waiting for a major GC in a burst of
   * mail, and the malloc heap they grew is not given back (10,000 messages ingested: 43 MB of
   * glibc heap before, 7 MB with reuse, and twice as fast). Bounded: a few queries have
   * variable IN lists.
   */
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(db: Database.Database) {
    this.db = db;
  }

  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (st) return st;
    st = this.db.prepare(sql);
    if (this.statements.size >= 256) {
      const oldest = this.statements.keys().next().value;
      if (oldest !== undefined) this.statements.delete(oldest);
    }
    this.statements.set(sql, st);
    return st;
  }

  /** Open (creating if needed) `<stateDir>/irqtriage.sqlite` and run pending migrations. */
  static open(stateDir: string, opts: SqliteStoreOptions = {}): SqliteStore {
    mkdirSync(stateDir, { recursive: true });
    return SqliteStore.openFile(path.join(stateDir, "irqtriage.sqlite"), opts);
  }

  static openFile(file: string, opts: SqliteStoreOptions = {}): SqliteStore {
    const db = new Database(file);
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${opts.synchronous ?? "NORMAL"}`);
    db.pragma("foreign_keys = ON");
    db.pragma(`cache_size = -${Math.max(64, Math.floor(opts.cacheKiB ?? 2048))}`);
    // Another process (status, replay, a second daemon) may hold the write lock briefly.
    db.pragma("busy_timeout = 10000");
    const store = new SqliteStore(db);
    store.migrate();
    return store;
  }

  schemaVersion(): number {
    const row = this.stmt("SELECT MAX(version) AS v FROM schema_version").get() as Row | undefined;
    return num(row?.["v"]);
  }

  private migrate(): void {
    this.db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
    const apply = this.db.transaction(() => {
      const current = this.schemaVersion();
      for (const m of migrations) {
        if (m.version <= current) continue;
        this.db.exec(m.sql);
        this.stmt("INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)").run(m.version, m.name, Date.now());
      }
    });
    // IMMEDIATE: two processes opening a fresh state folder at once must not both migrate.
    apply.immediate();
  }

  // --- mail -----------------------------------------------------------------------------

  private rootFor(m: MailMessage): string {
    const parents = [...m.references];
    if (m.inReplyTo && !parents.includes(m.inReplyTo)) parents.push(m.inReplyTo);
    if (parents.length) {
      const q = this.stmt(`SELECT root FROM messages WHERE msgid IN (${parents.map(() => "?").join(",")}) LIMIT 1`);
      const row = q.get(...parents) as Row | undefined;
      if (row) return str(row["root"]);
      // Parent not seen (yet): the oldest reference is the thread's start in practice.
      return parents[0] ?? m.msgid;
    }
    // A thread start: replies that arrived before it already use its msgid as their root.
    return m.msgid;
  }

  async ingestMessage(input: IngestInput): Promise<IngestOutcome> {
    const m = input.message;
    const tx = this.db.transaction((): IngestOutcome => {
      const existing = this.stmt("SELECT root FROM messages WHERE msgid = ?").get(m.msgid) as Row | undefined;
      let outcome: IngestOutcome;
      if (existing) {
        outcome = { inserted: false, root: str(existing["root"]), jobId: null, confirmedOutbox: null };
      } else {
        const root = this.rootFor(m);
        this
          .stmt(
            `INSERT INTO messages (msgid, mailbox, uid, root, subject, from_addr, in_reply_to, refs, date, is_patch, ignored, parsed, raw, received_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            m.msgid,
            input.mailbox,
            input.uid,
            root,
            m.subject,
            m.from?.address.toLowerCase() ?? null,
            m.inReplyTo,
            JSON.stringify(m.references),
            m.date ? m.date.getTime() : null,
            PATCH_SUBJECT.test(m.subject) ? 1 : 0,
            input.ignored,
            encodeMessage(m),
            m.raw,
            input.now,
          );
        let jobId: number | null = null;
        if (!input.ignored) {
          jobId = this.enqueueSync({
            kind: "triage",
            key: root,
            runAt: input.now + input.settleMs,
            debounceMs: input.settleMs,
            maxDelayMs: input.maxDelayMs,
            now: input.now,
          });
        }
        for (const j of input.jobs ?? []) {
          const id = this.enqueueSync({ kind: j.kind, key: j.key, runAt: input.now, now: input.now });
          jobId ??= id;
        }
        outcome = { inserted: true, root, jobId, confirmedOutbox: null };
      }
      // Our own reply came back through the list: proof it was delivered.
      const own = this.stmt("SELECT key, state FROM outbox WHERE message_id = ?").get(m.msgid) as Row | undefined;
      if (own && str(own["state"]) !== "sent") {
        this
          .stmt("UPDATE outbox SET state = 'sent', sent_at = ?, sent_how = 'list-copy' WHERE key = ?")
          .run(input.now, str(own["key"]));
        outcome.confirmedOutbox = str(own["key"]);
      }
      if (input.checkpoint) this.setCheckpointSync(input.checkpoint, input.now);
      return outcome;
    });
    return tx.immediate();
  }

  private setCheckpointSync(cp: Checkpoint, now: number): void {
    this
      .stmt(
        `INSERT INTO checkpoints (mailbox, uid_validity, last_uid, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(mailbox) DO UPDATE SET
           last_uid = CASE WHEN excluded.uid_validity = checkpoints.uid_validity
                           THEN MAX(checkpoints.last_uid, excluded.last_uid) ELSE excluded.last_uid END,
           uid_validity = excluded.uid_validity, updated_at = excluded.updated_at`,
      )
      .run(cp.mailbox, cp.uidValidity, cp.lastUid, now);
  }

  async setCheckpoint(cp: Checkpoint): Promise<void> {
    this.setCheckpointSync(cp, Date.now());
  }

  async getCheckpoint(mailbox: string): Promise<Checkpoint | null> {
    const row = this.stmt("SELECT * FROM checkpoints WHERE mailbox = ?").get(mailbox) as Row | undefined;
    return row ? { mailbox, uidValidity: num(row["uid_validity"]), lastUid: num(row["last_uid"]) } : null;
  }

  async checkpoints(): Promise<Checkpoint[]> {
    return (this.stmt("SELECT * FROM checkpoints ORDER BY mailbox").all() as Row[]).map((r) => ({
      mailbox: str(r["mailbox"]),
      uidValidity: num(r["uid_validity"]),
      lastUid: num(r["last_uid"]),
    }));
  }

  async ignoredMessages(limit: number): Promise<{ msgid: string; subject: string; from: string | null; ignored: string; receivedAt: number }[]> {
    const rows = this
      .stmt("SELECT msgid, subject, from_addr, ignored, received_at FROM messages WHERE ignored IS NOT NULL ORDER BY received_at DESC LIMIT ?")
      .all(limit) as Row[];
    return rows.map((r) => ({ msgid: str(r["msgid"]), subject: str(r["subject"]), from: strOrNull(r["from_addr"]), ignored: str(r["ignored"]), receivedAt: num(r["received_at"]) }));
  }

  async hasMessage(msgid: string): Promise<boolean> {
    return this.stmt("SELECT 1 FROM messages WHERE msgid = ?").get(msgid) !== undefined;
  }

  private toStored(row: Row): StoredMessage {
    return {
      msgid: str(row["msgid"]),
      mailbox: str(row["mailbox"]),
      uid: numOrNull(row["uid"]),
      root: str(row["root"]),
      subject: str(row["subject"]),
      from: strOrNull(row["from_addr"]),
      date: numOrNull(row["date"]),
      ignored: strOrNull(row["ignored"]),
      receivedAt: num(row["received_at"]),
      message: decodeMessage(str(row["parsed"]), row["raw"]),
    };
  }

  async getMessage(msgid: string): Promise<StoredMessage | null> {
    const row = this.stmt("SELECT * FROM messages WHERE msgid = ?").get(msgid) as Row | undefined;
    return row ? this.toStored(row) : null;
  }

  async threadMessages(root: string): Promise<MailMessage[]> {
    const rows = this.stmt("SELECT parsed, raw FROM messages WHERE root = ? ORDER BY COALESCE(date, received_at), received_at").all(root) as Row[];
    return rows.map((r) => decodeMessage(str(r["parsed"]), r["raw"]));
  }

  async lineageContext(root: string, windowDays: number): Promise<MailMessage[]> {
    const authors = this
      .stmt("SELECT DISTINCT from_addr FROM messages WHERE root = ? AND is_patch = 1 AND from_addr IS NOT NULL AND ignored IS NULL")
      .all(root) as Row[];
    const newest = this.stmt("SELECT MAX(COALESCE(date, received_at)) AS t FROM messages WHERE root = ?").get(root) as Row | undefined;
    const since = num(newest?.["t"]) - windowDays * 86_400_000;
    const roots = new Set<string>([root]);
    const q = this.stmt(
      `SELECT DISTINCT root FROM messages WHERE from_addr = ? AND is_patch = 1 AND ignored IS NULL
       AND COALESCE(date, received_at) >= ? ORDER BY COALESCE(date, received_at) DESC LIMIT 50`,
    );
    for (const a of authors) for (const r of q.all(str(a["from_addr"]), since) as Row[]) roots.add(str(r["root"]));
    const out: MailMessage[] = [];
    for (const r of roots) out.push(...(await this.threadMessages(r)));
    return out;
  }

  async threadRootOf(msgid: string): Promise<string | null> {
    const row = this.stmt("SELECT root FROM messages WHERE msgid = ?").get(msgid) as Row | undefined;
    return row ? str(row["root"]) : null;
  }

  async messageCount(): Promise<number> {
    return num((this.stmt("SELECT COUNT(*) AS n FROM messages").get() as Row)["n"]);
  }

  // --- triage results + outbox ----------------------------------------------------------

  async recordTriage(input: RecordTriageInput): Promise<RecordTriageOutcome> {
    const tx = this.db.transaction((): RecordTriageOutcome => {
      const upsertRev = this.stmt(
        `INSERT INTO revisions (lineage, version, root, result, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(lineage, version) DO UPDATE SET root = excluded.root, result = excluded.result, updated_at = excluded.updated_at`,
      );
      for (const { lineage, revision } of input.results) {
        upsertRev.run(lineage, revision.version, input.root, JSON.stringify(revision), input.now);
      }
      const has = this.stmt("SELECT 1 FROM outbox WHERE key = ? OR message_id = ?");
      const openToken = input.retest
        ? (this.stmt("SELECT token FROM retests WHERE token = ? AND state = 'open'").get(input.retest) as Row | undefined)
        : undefined;
      const queued: string[] = [];
      const skipped: { key: string; why: string }[] = [];
      let usedToken = false;
      for (const reply of input.replies) {
        let r: OutgoingReply = reply;
        if (has.get(r.key, r.messageId)) {
          if (!openToken || !input.retest) {
            skipped.push({ key: r.key, why: "already in the outbox" });
            continue;
          }
          r = retestReply(reply, input.retest);
          if (has.get(r.key, r.messageId)) {
            skipped.push({ key: r.key, why: "retest answer already in the outbox" });
            continue;
          }
          usedToken = true;
        }
        this.insertOutbox(r, input.root, input.now);
        queued.push(r.key);
      }
      if (openToken && input.retest) {
        // Also "used" when every reply was new anyway: the maintainer got a fresh answer.
        if (usedToken || queued.length) this.stmt("UPDATE retests SET state = 'used', used_at = ? WHERE token = ?").run(input.now, input.retest);
      }
      return { queued, skipped };
    });
    return tx.immediate();
  }

  private insertOutbox(r: OutgoingReply, root: string, now: number): void {
    this
      .stmt(
        `INSERT INTO outbox (key, message_id, root, in_reply_to, rcpt_to, rcpt_cc, subject, eml, state, attempts, next_attempt_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)`,
      )
      .run(r.key, r.messageId, root, r.inReplyTo, JSON.stringify(r.to), JSON.stringify(r.cc), r.subject, r.eml, now, now);
  }

  async answeredKeys(): Promise<Map<string, string>> {
    const rows = this.stmt("SELECT key, root FROM outbox").all() as Row[];
    return new Map(rows.map((r) => [str(r["key"]), str(r["root"])]));
  }

  async revisionResults(opts: { limit?: number; lineage?: string } = {}): Promise<StoredRevision[]> {
    const rows = (
      opts.lineage
        ? this.stmt("SELECT * FROM revisions WHERE lineage = ? ORDER BY version").all(opts.lineage)
        : this.stmt("SELECT * FROM revisions ORDER BY updated_at DESC, lineage, version LIMIT ?").all(opts.limit ?? 20)
    ) as Row[];
    return rows.map((r) => ({
      lineage: str(r["lineage"]),
      version: num(r["version"]),
      root: str(r["root"]),
      result: JSON.parse(str(r["result"])) as RevisionResult,
      updatedAt: num(r["updated_at"]),
    }));
  }

  // --- outbox ---------------------------------------------------------------------------

  private toOutbox(r: Row): OutboxEntry {
    return {
      key: str(r["key"]),
      messageId: str(r["message_id"]),
      inReplyTo: str(r["in_reply_to"]),
      to: JSON.parse(str(r["rcpt_to"])) as string[],
      cc: JSON.parse(str(r["rcpt_cc"])) as string[],
      subject: str(r["subject"]),
      eml: str(r["eml"]),
      state: str(r["state"]) as OutboxState,
      attempts: num(r["attempts"]),
      lastError: strOrNull(r["last_error"]),
      createdAt: num(r["created_at"]),
      sendingAt: numOrNull(r["sending_at"]),
      sentAt: numOrNull(r["sent_at"]),
      sentHow: strOrNull(r["sent_how"]),
    };
  }

  async duePending(now: number, limit: number): Promise<OutboxEntry[]> {
    const rows = this
      .stmt("SELECT * FROM outbox WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY created_at, key LIMIT ?")
      .all(now, limit) as Row[];
    return rows.map((r) => this.toOutbox(r));
  }

  async markSending(key: string, now: number): Promise<boolean> {
    // The one write that must survive even a power failure: if it were lost after the mail
    // left, a restart would see "pending" and send a second copy to the list.
    this.db.pragma("synchronous = FULL");
    try {
      const res = this
        .stmt("UPDATE outbox SET state = 'sending', sending_at = ?, attempts = attempts + 1 WHERE key = ? AND state = 'pending'")
        .run(now, key);
      return res.changes === 1;
    } finally {
      this.db.pragma("synchronous = NORMAL");
    }
  }

  async markSent(key: string, now: number, how: "smtp" | "list-copy" | "manual"): Promise<void> {
    this.stmt("UPDATE outbox SET state = 'sent', sent_at = COALESCE(sent_at, ?), sent_how = COALESCE(sent_how, ?) WHERE key = ?").run(now, how, key);
  }

  async markSendFailed(key: string, error: string, retryAt: number, maxAttempts: number): Promise<void> {
    this
      .stmt(
        `UPDATE outbox SET state = CASE WHEN attempts >= ? THEN 'failed' ELSE 'pending' END,
           last_error = ?, next_attempt_at = ?, sending_at = NULL
         WHERE key = ? AND state = 'sending'`,
      )
      .run(maxAttempts, error.slice(0, 2000), retryAt, key);
  }

  async inDoubt(): Promise<OutboxEntry[]> {
    return (this.stmt("SELECT * FROM outbox WHERE state = 'sending' ORDER BY sending_at").all() as Row[]).map((r) => this.toOutbox(r));
  }

  async resolveInDoubt(key: string, to: "abandoned" | "pending", now: number): Promise<void> {
    this
      .stmt("UPDATE outbox SET state = ?, last_error = COALESCE(last_error, 'in doubt after a crash during sending'), next_attempt_at = ? WHERE key = ? AND state = 'sending'")
      .run(to, now, key);
  }

  async outboxByMessageId(messageId: string): Promise<OutboxEntry | null> {
    const row = this.stmt("SELECT * FROM outbox WHERE message_id = ?").get(messageId) as Row | undefined;
    return row ? this.toOutbox(row) : null;
  }

  async outbox(opts: { limit?: number; state?: OutboxState } = {}): Promise<OutboxEntry[]> {
    const rows = (
      opts.state
        ? this.stmt("SELECT * FROM outbox WHERE state = ? ORDER BY created_at DESC LIMIT ?").all(opts.state, opts.limit ?? 1000)
        : this.stmt("SELECT * FROM outbox ORDER BY created_at DESC LIMIT ?").all(opts.limit ?? 1000)
    ) as Row[];
    return rows.map((r) => this.toOutbox(r));
  }

  async outboxCount(state: OutboxState): Promise<number> {
    return num((this.stmt("SELECT COUNT(*) AS n FROM outbox WHERE state = ?").get(state) as Row | undefined)?.["n"]);
  }

  // --- jobs -----------------------------------------------------------------------------

  private toJob(r: Row): Job {
    return {
      id: num(r["id"]),
      kind: str(r["kind"]),
      key: str(r["key"]),
      payload: JSON.parse(str(r["payload"])) as Record<string, unknown>,
      state: str(r["state"]) as JobState,
      attempts: num(r["attempts"]),
      runAt: num(r["run_at"]),
      leaseOwner: strOrNull(r["lease_owner"]),
      leaseExpiresAt: numOrNull(r["lease_expires_at"]),
      lastError: strOrNull(r["last_error"]),
      createdAt: num(r["created_at"]),
      updatedAt: num(r["updated_at"]),
    };
  }

  private enqueueSync(job: NewJob): number {
    const payload = job.payload ?? {};
    const queued = this.stmt("SELECT * FROM jobs WHERE kind = ? AND key = ? AND state = 'queued'").get(job.kind, job.key) as Row | undefined;
    if (queued) {
      let first = num(queued["first_request_at"]);
      const current = num(queued["run_at"]);
      let runAt: number;
      if (job.debounceMs !== undefined) {
        const quiet = job.now + job.debounceMs;
        // A job parked far ahead (an incomplete series waiting) is brought forward by new mail,
        // and that starts a new burst.
        if (current > quiet) first = job.now;
        // Debounce: wait until the thread is quiet, but never longer than maxDelayMs in total.
        const cap = job.maxDelayMs !== undefined ? Math.max(first + job.maxDelayMs, job.now) : Number.MAX_SAFE_INTEGER;
        runAt = Math.min(quiet, cap);
      } else {
        runAt = Math.min(current, job.runAt);
      }
      const merged = mergePayload(JSON.parse(str(queued["payload"])) as Record<string, unknown>, payload);
      this
        .stmt("UPDATE jobs SET run_at = ?, first_request_at = ?, payload = ?, updated_at = ? WHERE id = ?")
        .run(runAt, first, JSON.stringify(merged), job.now, num(queued["id"]));
      return num(queued["id"]);
    }
    const res = this
      .stmt(
        `INSERT INTO jobs (kind, key, payload, state, attempts, run_at, first_request_at, created_at, updated_at)
         VALUES (?, ?, ?, 'queued', 0, ?, ?, ?, ?)`,
      )
      .run(job.kind, job.key, JSON.stringify(payload), job.runAt, job.now, job.now, job.now);
    return num(res.lastInsertRowid);
  }

  async enqueueJob(job: NewJob): Promise<number> {
    return this.db.transaction(() => this.enqueueSync(job)).immediate();
  }

  async claimJob(owner: string, kinds: string[], limits: Record<string, number>, leaseMs: number, now: number): Promise<Job | null> {
    if (!kinds.length) return null;
    const tx = this.db.transaction((): Job | null => {
      const marks = kinds.map(() => "?").join(",");
      const candidates = this
        .stmt(
          `SELECT * FROM jobs WHERE kind IN (${marks})
             AND ((state = 'queued' AND run_at <= ?) OR (state = 'running' AND lease_expires_at < ?))
           ORDER BY run_at, id LIMIT 200`,
        )
        .all(...kinds, now, now) as Row[];
      const runningOf = this.stmt("SELECT COUNT(*) AS n FROM jobs WHERE kind = ? AND state = 'running' AND lease_expires_at >= ?");
      const sameKeyRunning = this.stmt("SELECT 1 FROM jobs WHERE kind = ? AND key = ? AND state = 'running' AND lease_expires_at >= ? AND id <> ?");
      for (const c of candidates) {
        const kind = str(c["kind"]);
        const limit = limits[kind] ?? 1;
        if (num((runningOf.get(kind, now) as Row)["n"]) >= limit) continue;
        // Never run the same thread twice at once: the second run waits for the first.
        if (sameKeyRunning.get(kind, str(c["key"]), now, num(c["id"]))) continue;
        this
          .stmt("UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = ?, lease_expires_at = ?, updated_at = ? WHERE id = ?")
          .run(owner, now + leaseMs, now, num(c["id"]));
        return this.toJob(this.stmt("SELECT * FROM jobs WHERE id = ?").get(num(c["id"])) as Row);
      }
      return null;
    });
    return tx.immediate();
  }

  async renewLease(id: number, owner: string, leaseMs: number, now: number): Promise<boolean> {
    const res = this
      .stmt("UPDATE jobs SET lease_expires_at = ?, updated_at = ? WHERE id = ? AND lease_owner = ? AND state = 'running'")
      .run(now + leaseMs, now, id, owner);
    return res.changes === 1;
  }

  async completeJob(id: number, owner: string, now: number): Promise<void> {
    this
      .stmt("UPDATE jobs SET state = 'done', lease_owner = NULL, lease_expires_at = NULL, updated_at = ? WHERE id = ? AND lease_owner = ?")
      .run(now, id, owner);
  }

  /** Back to "queued"; if a queued twin exists (unique per kind+key), fold into it instead. */
  private requeueSync(row: Row, runAt: number, now: number, undoAttempt: boolean, error: string | null): void {
    const twin = this
      .stmt("SELECT * FROM jobs WHERE kind = ? AND key = ? AND state = 'queued' AND id <> ?")
      .get(str(row["kind"]), str(row["key"]), num(row["id"])) as Row | undefined;
    if (twin) {
      const merged = mergePayload(JSON.parse(str(twin["payload"])) as Record<string, unknown>, JSON.parse(str(row["payload"])) as Record<string, unknown>);
      this.stmt("UPDATE jobs SET payload = ?, run_at = MIN(run_at, ?), updated_at = ? WHERE id = ?").run(JSON.stringify(merged), runAt, now, num(twin["id"]));
      this
        .stmt("UPDATE jobs SET state = 'done', lease_owner = NULL, lease_expires_at = NULL, last_error = ?, updated_at = ? WHERE id = ?")
        .run(`merged into job ${num(twin["id"])}${error ? ` after: ${error}` : ""}`, now, num(row["id"]));
      return;
    }
    this
      .stmt(
        `UPDATE jobs SET state = 'queued', run_at = ?, attempts = MAX(0, attempts - ?), lease_owner = NULL, lease_expires_at = NULL,
           last_error = COALESCE(?, last_error), updated_at = ? WHERE id = ?`,
      )
      .run(runAt, undoAttempt ? 1 : 0, error, now, num(row["id"]));
  }

  async failJob(
    id: number,
    owner: string,
    error: string,
    now: number,
    opts: { retryable: boolean; backoffMs: number; maxAttempts: number },
  ): Promise<Job["state"]> {
    const tx = this.db.transaction((): Job["state"] => {
      const row = this.stmt("SELECT * FROM jobs WHERE id = ? AND lease_owner = ? AND state = 'running'").get(id, owner) as Row | undefined;
      if (!row) return "failed";
      const attempts = num(row["attempts"]);
      const msg = error.slice(0, 4000);
      if (!opts.retryable || attempts >= opts.maxAttempts) {
        this.stmt("UPDATE jobs SET state = 'dead', last_error = ?, lease_owner = NULL, lease_expires_at = NULL, updated_at = ? WHERE id = ?").run(msg, now, id);
        return "dead";
      }
      // Exponential backoff with +-20% jitter so that many failed jobs do not retry in lockstep.
      const base = Math.min(opts.backoffMs * 2 ** Math.max(0, attempts - 1), 3_600_000);
      const delay = Math.round(base * (0.8 + Math.random() * 0.4));
      this.requeueSync(row, now + delay, now, false, msg);
      return "queued";
    });
    return tx.immediate();
  }

  async parkJob(id: number, owner: string, now: number): Promise<void> {
    const tx = this.db.transaction(() => {
      const row = this.stmt("SELECT * FROM jobs WHERE id = ? AND lease_owner = ? AND state = 'running'").get(id, owner) as Row | undefined;
      if (row) this.requeueSync(row, now, now, true, null);
    });
    tx.immediate();
  }

  async releaseLeases(isOwnerAlive: (owner: string) => boolean, now: number): Promise<number> {
    const tx = this.db.transaction((): number => {
      const rows = this.stmt("SELECT * FROM jobs WHERE state = 'running'").all() as Row[];
      let n = 0;
      for (const r of rows) {
        const owner = strOrNull(r["lease_owner"]);
        if (owner && isOwnerAlive(owner)) continue;
        // The attempt that died with its worker still counts: a mail that crashes the daemon
        // every time ends as a dead letter instead of a crash loop.
        this.requeueSync(r, now, now, false, "worker died (lease released on restart)");
        n++;
      }
      return n;
    });
    return tx.immediate();
  }

  async requeueDead(id: number, now: number): Promise<boolean> {
    const tx = this.db.transaction((): boolean => {
      const row = this.stmt("SELECT * FROM jobs WHERE id = ? AND state IN ('dead', 'failed')").get(id) as Row | undefined;
      if (!row) return false;
      this.stmt("UPDATE jobs SET attempts = 0 WHERE id = ?").run(id);
      this.requeueSync({ ...row, attempts: 0 }, now, now, false, null);
      return true;
    });
    return tx.immediate();
  }

  async jobs(opts: { states?: JobState[]; limit?: number } = {}): Promise<Job[]> {
    const states = opts.states ?? ["queued", "running", "done", "failed", "dead"];
    const rows = this
      .stmt(`SELECT * FROM jobs WHERE state IN (${states.map(() => "?").join(",")}) ORDER BY id DESC LIMIT ?`)
      .all(...states, opts.limit ?? 100) as Row[];
    return rows.map((r) => this.toJob(r));
  }

  async queueCounts(): Promise<Record<JobState, number>> {
    const out: Record<JobState, number> = { queued: 0, running: 0, done: 0, failed: 0, dead: 0 };
    for (const r of this.stmt("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state").all() as Row[]) {
      out[str(r["state"]) as JobState] = num(r["n"]);
    }
    return out;
  }

  // --- maintainer requests and command history ------------------------------------------

  async requestRetest(req: { msgid: string; requestedBy: string; now: number }): Promise<{ jobId: number; root: string } | null> {
    const tx = this.db.transaction((): { jobId: number; root: string } | null => {
      const row = this.stmt("SELECT root FROM messages WHERE msgid = ?").get(req.msgid) as Row | undefined;
      if (!row) return null;
      const root = str(row["root"]);
      this.stmt("INSERT OR IGNORE INTO retests (token, root, state, created_at) VALUES (?, ?, 'open', ?)").run(req.requestedBy, root, req.now);
      const jobId = this.enqueueSync({ kind: "triage", key: root, payload: { retest: [req.requestedBy] }, runAt: req.now, now: req.now });
      return { jobId, root };
    });
    return tx.immediate();
  }

  async recordCommand(cmd: NewCommand): Promise<{ id: number; inserted: boolean }> {
    const res = this
      .stmt(
        `INSERT OR IGNORE INTO commands (msgid, idx, sender, verb, args, thread, state, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 'received', ?, ?)`,
      )
      .run(cmd.msgid, cmd.index, cmd.sender.toLowerCase(), cmd.verb, JSON.stringify(cmd.args), cmd.thread, cmd.now, cmd.now);
    if (res.changes === 1) return { id: num(res.lastInsertRowid), inserted: true };
    const row = this.stmt("SELECT id FROM commands WHERE msgid = ? AND idx = ?").get(cmd.msgid, cmd.index) as Row;
    return { id: num(row["id"]), inserted: false };
  }

  async updateCommand(id: number, patch: { state: CommandState; result?: unknown; replyKey?: string | null }, now: number): Promise<void> {
    this
      .stmt("UPDATE commands SET state = ?, result = COALESCE(?, result), reply_key = COALESCE(?, reply_key), updated_at = ? WHERE id = ?")
      .run(patch.state, patch.result === undefined ? null : JSON.stringify(patch.result), patch.replyKey ?? null, now, id);
  }

  async commands(opts: { limit?: number; sender?: string; since?: number } = {}): Promise<CommandRecord[]> {
    const rows = this
      .stmt(
        `SELECT * FROM commands WHERE (? IS NULL OR sender = ?) AND created_at >= ? ORDER BY created_at DESC, id DESC LIMIT ?`,
      )
      .all(opts.sender?.toLowerCase() ?? null, opts.sender?.toLowerCase() ?? null, opts.since ?? 0, opts.limit ?? 100) as Row[];
    return rows.map((r) => ({
      id: num(r["id"]),
      msgid: str(r["msgid"]),
      index: num(r["idx"]),
      sender: str(r["sender"]),
      verb: str(r["verb"]),
      args: JSON.parse(str(r["args"])) as string[],
      thread: strOrNull(r["thread"]),
      state: str(r["state"]) as CommandState,
      result: r["result"] === null ? null : (JSON.parse(str(r["result"])) as unknown),
      replyKey: strOrNull(r["reply_key"]),
      createdAt: num(r["created_at"]),
      updatedAt: num(r["updated_at"]),
    }));
  }

  // --- stage results --------------------------------------------------------------------

  async recordStage(s: { lineage: string; version: number; stage: string; status: string; durationMs: number; detail?: unknown }, now: number): Promise<void> {
    this
      .stmt("INSERT INTO stage_results (lineage, version, stage, status, duration_ms, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .run(s.lineage, s.version, s.stage, s.status, Math.round(s.durationMs), s.detail === undefined ? null : JSON.stringify(s.detail), now);
  }

  async stageResults(lineage: string, version?: number): Promise<StageRecord[]> {
    const rows = this
      .stmt("SELECT * FROM stage_results WHERE lineage = ? AND (? IS NULL OR version = ?) ORDER BY at, id")
      .all(lineage, version ?? null, version ?? null) as Row[];
    return rows.map((r) => ({
      lineage: str(r["lineage"]),
      version: num(r["version"]),
      stage: str(r["stage"]),
      status: str(r["status"]),
      durationMs: num(r["duration_ms"]),
      detail: r["detail"] === null ? null : (JSON.parse(str(r["detail"])) as unknown),
      at: num(r["at"]),
    }));
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
