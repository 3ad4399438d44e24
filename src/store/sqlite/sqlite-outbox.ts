import type { OutgoingReply } from "../../types/outgoing-reply.js";
import type { OutboxEntry, OutboxState, OutboxStore } from "../outbox-store.js";
import { num, numOrNull, str, strOrNull, SqlitePart, type Row } from "./sqlite-part.js";

/** The outbox on SQLite: pending -> sending (synchronous=FULL) -> sent. */
export class SqliteOutbox extends SqlitePart implements OutboxStore {
  /** Add a reply inside the caller's transaction (recordTriage). */
  insertSync(r: OutgoingReply, root: string, now: number): void {
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
}
