import type { OutgoingReply } from "../../types/outgoing-reply.js";
import type { RevisionResult } from "../../types/triage-result.js";
import type { RecordTriageInput, RecordTriageOutcome, ResultStore, StoredRevision, StoredStage } from "../result-store.js";
import { retestReply } from "../retest-reply.js";
import { num, str, SqlitePart, type Row, type StatementCache } from "./sqlite-part.js";
import type { SqliteOutbox } from "./sqlite-outbox.js";

/** Revision results and stage records on SQLite; recordTriage also fills the outbox, in one transaction. */
export class SqliteResults extends SqlitePart implements ResultStore {
  constructor(statements: StatementCache, private readonly outbox: SqliteOutbox) {
    super(statements);
  }


  async recordTriage(input: RecordTriageInput): Promise<RecordTriageOutcome> {
    const tx = this.db.transaction((): RecordTriageOutcome => {
      const upsertRev = this.stmt(
        `INSERT INTO revisions (lineage, version, root, result, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(lineage, version) DO UPDATE SET root = excluded.root, result = excluded.result, updated_at = excluded.updated_at`,
      );
      const dropStages = this.stmt("DELETE FROM stage_results WHERE lineage = ? AND version = ?");
      const addStage = this.stmt(
        "INSERT INTO stage_results (lineage, version, stage, status, duration_ms, detail, findings, error, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      );
      for (const { lineage, revision, stages } of input.results) {
        upsertRev.run(lineage, revision.version, input.root, JSON.stringify(revision), input.now);
        if (!stages) continue;
        // A new run of the revision (retest, catch-up) replaces what the last one recorded.
        dropStages.run(lineage, revision.version);
        for (const st of stages) {
          addStage.run(lineage, revision.version, st.stage, st.status, Math.round(st.durationMs), JSON.stringify(st.details ?? null), JSON.stringify(st.findings), st.error ?? null, input.now);
        }
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
        this.outbox.insertSync(r, input.root, input.now);
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

  async stageResults(lineage: string, version?: number): Promise<StoredStage[]> {
    const rows = this
      .stmt("SELECT * FROM stage_results WHERE lineage = ? AND (? IS NULL OR version = ?) ORDER BY version, id")
      .all(lineage, version ?? null, version ?? null) as Row[];
    return rows.map((r) => {
      const detail = r["detail"] === null ? null : (JSON.parse(str(r["detail"])) as unknown);
      return {
        lineage: str(r["lineage"]),
        version: num(r["version"]),
        stage: str(r["stage"]),
        status: str(r["status"]) as StoredStage["status"],
        durationMs: num(r["duration_ms"]),
        findings: JSON.parse(str(r["findings"])) as StoredStage["findings"],
        details: detail,
        ...(r["error"] === null ? {} : { error: str(r["error"]) }),
        at: num(r["at"]),
      };
    });
  }
}
