import { copyConflict } from "../../mail/build-threads.js";
import type { MailMessage } from "../../mail/mail-message.js";
import type { Checkpoint, IngestInput, IngestOutcome, MessageConflict, MessageStore, StoredMessage } from "../message-store.js";
import { num, numOrNull, str, strOrNull, SqlitePart, type Row, type StatementCache } from "./sqlite-part.js";
import type { SqliteQueue } from "./sqlite-queue.js";

const PATCH_SUBJECT = /\[[^\]]*\bPATCH\b[^\]]*\]/i;

/** MailMessage → JSON without `raw` (kept in its own column) and back, reviving the Date. */
function encodeMessage(m: MailMessage): string {
  return JSON.stringify({ ...m, raw: null });
}
function decodeMessage(json: string, raw: unknown): MailMessage {
  const m = JSON.parse(json) as MailMessage & { date: string | null };
  return { ...m, date: m.date ? new Date(m.date) : null, raw: Buffer.isBuffer(raw) ? raw : null };
}

/** copyConflict() against a stored first copy (its lower-case From: address and fingerprint). */
function storedCopyConflict(fromAddr: string | null, bodyHash: string | null, m: MailMessage): string | null {
  return copyConflict({ from: fromAddr ? { name: "", address: fromAddr } : null, ...(bodyHash !== null ? { bodyHash } : {}) }, m);
}

/** Messages, threads and checkpoints on SQLite. A new message enqueues its thread's job in the same transaction. */
export class SqliteMessages extends SqlitePart implements MessageStore {
  constructor(statements: StatementCache, private readonly queue: SqliteQueue) {
    super(statements);
  }


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
      const existing = this.stmt("SELECT root, from_addr, body_hash FROM messages WHERE msgid = ?").get(m.msgid) as Row | undefined;
      let outcome: IngestOutcome;
      if (existing) {
        // The first copy stays; a later one that says something else is recorded, never stored.
        outcome = { inserted: false, root: str(existing["root"]), jobId: null, confirmedOutbox: null };
        const conflict = storedCopyConflict(strOrNull(existing["from_addr"]), strOrNull(existing["body_hash"]), m);
        if (conflict) {
          this
            .stmt("INSERT INTO conflicts (msgid, mailbox, uid, source, from_addr, reason, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .run(m.msgid, input.mailbox, input.uid, m.source, m.from?.address.toLowerCase() ?? null, conflict, input.now);
          outcome.conflict = conflict;
        }
      } else {
        const root = this.rootFor(m);
        this
          .stmt(
            `INSERT INTO messages (msgid, mailbox, uid, root, subject, from_addr, in_reply_to, refs, date, is_patch, ignored, parsed, raw, received_at, body_hash, source)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
            m.bodyHash ?? null,
            m.source,
          );
        let jobId: number | null = null;
        if (!input.ignored) {
          jobId = this.queue.enqueueSync({
            kind: "triage",
            key: root,
            runAt: input.now + input.settleMs,
            debounceMs: input.settleMs,
            maxDelayMs: input.maxDelayMs,
            now: input.now,
          });
        }
        for (const j of input.jobs ?? []) {
          const id = this.queue.enqueueSync({ kind: j.kind, key: j.key, runAt: input.now, now: input.now });
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

  setCheckpointSync(cp: Checkpoint, now: number): void {
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

  async conflicts(limit: number): Promise<MessageConflict[]> {
    const rows = this.stmt("SELECT msgid, source, from_addr, reason, received_at FROM conflicts ORDER BY received_at DESC, id DESC LIMIT ?").all(limit) as Row[];
    return rows.map((r) => ({ msgid: str(r["msgid"]), source: str(r["source"]), from: strOrNull(r["from_addr"]), reason: str(r["reason"]), receivedAt: num(r["received_at"]) }));
  }

  async hasCopy(msgid: string, source: string): Promise<boolean> {
    return (
      this.stmt("SELECT 1 FROM messages WHERE msgid = ? AND (source = ? OR source IS NULL)").get(msgid, source) !== undefined ||
      this.stmt("SELECT 1 FROM conflicts WHERE msgid = ? AND source = ?").get(msgid, source) !== undefined
    );
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
}
