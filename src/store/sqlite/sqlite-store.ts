import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { Store } from "../store.js";
import { migrations } from "./migrations.js";
import { SqliteCommands } from "./sqlite-commands.js";
import { SqliteMessages } from "./sqlite-messages.js";
import { SqliteOutbox } from "./sqlite-outbox.js";
import { num, type Row, StatementCache } from "./sqlite-part.js";
import { SqliteQueue } from "./sqlite-queue.js";
import { SqliteResults } from "./sqlite-results.js";

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

/**
 * The embedded store: one SQLite file (WAL) in the state folder, its concerns in one file each
 * (sqlite-messages, -queue, -outbox, -commands, -results) on one connection and statement cache.
 */
export class SqliteStore implements Store {
  readonly db: Database.Database;
  private readonly statements: StatementCache;
  private readonly messages: SqliteMessages;
  private readonly queue: SqliteQueue;
  private readonly out: SqliteOutbox;
  private readonly cmds: SqliteCommands;
  private readonly results: SqliteResults;

  private constructor(db: Database.Database) {
    this.db = db;
    this.statements = new StatementCache(db);
    this.queue = new SqliteQueue(this.statements);
    this.out = new SqliteOutbox(this.statements);
    this.messages = new SqliteMessages(this.statements, this.queue);
    this.cmds = new SqliteCommands(this.statements, this.queue);
    this.results = new SqliteResults(this.statements, this.out);
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
    const row = this.statements.get("SELECT MAX(version) AS v FROM schema_version").get() as Row | undefined;
    return num(row?.["v"]);
  }

  private migrate(): void {
    this.db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
    const apply = this.db.transaction(() => {
      const current = this.schemaVersion();
      for (const m of migrations) {
        if (m.version <= current) continue;
        this.db.exec(m.sql);
        this.statements.get("INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)").run(m.version, m.name, Date.now());
      }
    });
    // IMMEDIATE: two processes opening a fresh state folder at once must not both migrate.
    apply.immediate();
  }

  // Messages and checkpoints.
  ingestMessage: Store["ingestMessage"] = (i) => this.messages.ingestMessage(i);
  setCheckpoint: Store["setCheckpoint"] = (cp) => this.messages.setCheckpoint(cp);
  getCheckpoint: Store["getCheckpoint"] = (m) => this.messages.getCheckpoint(m);
  checkpoints: Store["checkpoints"] = () => this.messages.checkpoints();
  ignoredMessages: Store["ignoredMessages"] = (n) => this.messages.ignoredMessages(n);
  conflicts: Store["conflicts"] = (n) => this.messages.conflicts(n);
  hasCopy: Store["hasCopy"] = (msgid, source) => this.messages.hasCopy(msgid, source);
  hasMessage: Store["hasMessage"] = (id) => this.messages.hasMessage(id);
  getMessage: Store["getMessage"] = (id) => this.messages.getMessage(id);
  threadMessages: Store["threadMessages"] = (r) => this.messages.threadMessages(r);
  lineageContext: Store["lineageContext"] = (r, d) => this.messages.lineageContext(r, d);
  threadRootOf: Store["threadRootOf"] = (id) => this.messages.threadRootOf(id);
  messageCount: Store["messageCount"] = () => this.messages.messageCount();
  // Queue.
  enqueueJob: Store["enqueueJob"] = (j) => this.queue.enqueueJob(j);
  claimJob: Store["claimJob"] = (o, k, l, ms, now) => this.queue.claimJob(o, k, l, ms, now);
  renewLease: Store["renewLease"] = (id, o, ms, now) => this.queue.renewLease(id, o, ms, now);
  completeJob: Store["completeJob"] = (id, o, now) => this.queue.completeJob(id, o, now);
  failJob: Store["failJob"] = (id, o, e, now, opts) => this.queue.failJob(id, o, e, now, opts);
  parkJob: Store["parkJob"] = (id, o, now) => this.queue.parkJob(id, o, now);
  releaseLeases: Store["releaseLeases"] = (alive, now) => this.queue.releaseLeases(alive, now);
  requeueDead: Store["requeueDead"] = (id, now) => this.queue.requeueDead(id, now);
  jobs: Store["jobs"] = (o) => this.queue.jobs(o);
  queueCounts: Store["queueCounts"] = () => this.queue.queueCounts();
  // Outbox.
  answeredKeys: Store["answeredKeys"] = () => this.out.answeredKeys();
  duePending: Store["duePending"] = (now, n) => this.out.duePending(now, n);
  markSending: Store["markSending"] = (k, now) => this.out.markSending(k, now);
  markSent: Store["markSent"] = (k, now, how) => this.out.markSent(k, now, how);
  markSendFailed: Store["markSendFailed"] = (k, e, at, max) => this.out.markSendFailed(k, e, at, max);
  inDoubt: Store["inDoubt"] = () => this.out.inDoubt();
  resolveInDoubt: Store["resolveInDoubt"] = (k, to, now) => this.out.resolveInDoubt(k, to, now);
  outboxByMessageId: Store["outboxByMessageId"] = (id) => this.out.outboxByMessageId(id);
  outbox: Store["outbox"] = (o) => this.out.outbox(o);
  outboxCount: Store["outboxCount"] = (s) => this.out.outboxCount(s);
  // Commands.
  requestRetest: Store["requestRetest"] = (r) => this.cmds.requestRetest(r);
  recordCommand: Store["recordCommand"] = (c) => this.cmds.recordCommand(c);
  updateCommand: Store["updateCommand"] = (id, p, now) => this.cmds.updateCommand(id, p, now);
  commands: Store["commands"] = (o) => this.cmds.commands(o);
  // Results.
  recordTriage: Store["recordTriage"] = (i) => this.results.recordTriage(i);
  revisionResults: Store["revisionResults"] = (o) => this.results.revisionResults(o);
  stageResults: Store["stageResults"] = (l, v) => this.results.stageResults(l, v);

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
