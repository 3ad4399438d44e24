import type Database from "better-sqlite3";

export type Row = Record<string, unknown>;

export function str(v: unknown): string {
  return typeof v === "string" ? v : v === null || v === undefined ? "" : String(v);
}
export function num(v: unknown): number {
  return typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : Number(v ?? 0);
}
export function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : num(v);
}
export function strOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : str(v);
}

/**
 * Prepared statements by SQL text, shared by the store's parts. better-sqlite3 keeps each
 * statement's compiled program (~4 KB of native memory that V8 does not see) until the JS
 * object is garbage collected; preparing per call left tens of thousands of them waiting for a
 * major GC in a burst of mail, and the malloc heap they grew is not given back (10,000 messages
 * ingested: 43 MB of glibc heap before, 7 MB with reuse, and twice as fast). Bounded: a few
 * queries have variable IN lists.
 */
export class StatementCache {
  private readonly statements = new Map<string, Database.Statement>();
  constructor(readonly db: Database.Database) {}

  get(sql: string): Database.Statement {
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
}

/** One concern of the SQLite store (messages, queue, outbox, commands, results) on the shared database. */
export abstract class SqlitePart {
  protected readonly db: Database.Database;
  constructor(protected readonly statements: StatementCache) {
    this.db = statements.db;
  }
  protected stmt(sql: string): Database.Statement {
    return this.statements.get(sql);
  }
}
