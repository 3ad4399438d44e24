import type { CommandRecord, CommandState, CommandStore, NewCommand } from "../command-store.js";
import { num, str, strOrNull, SqlitePart, type Row, type StatementCache } from "./sqlite-part.js";
import type { SqliteQueue } from "./sqlite-queue.js";

/** Command history and retest requests on SQLite. */
export class SqliteCommands extends SqlitePart implements CommandStore {
  constructor(statements: StatementCache, private readonly queue: SqliteQueue) {
    super(statements);
  }


  async requestRetest(req: { msgid: string; requestedBy: string; now: number; enqueue?: boolean }): Promise<{ jobId: number | null; root: string } | null> {
    const tx = this.db.transaction((): { jobId: number | null; root: string } | null => {
      const row = this.stmt("SELECT root FROM messages WHERE msgid = ?").get(req.msgid) as Row | undefined;
      if (!row) return null;
      const root = str(row["root"]);
      this.stmt("INSERT OR IGNORE INTO retests (token, root, state, created_at) VALUES (?, ?, 'open', ?)").run(req.requestedBy, root, req.now);
      if (req.enqueue === false) return { jobId: null, root };
      const jobId = this.queue.enqueueSync({ kind: "triage", key: root, payload: { retest: [req.requestedBy] }, runAt: req.now, now: req.now });
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
}
