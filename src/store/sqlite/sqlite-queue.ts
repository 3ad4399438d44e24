import type { Job, JobQueue, JobState, NewJob } from "../job-queue.js";
import { num, numOrNull, str, strOrNull, SqlitePart, type Row } from "./sqlite-part.js";

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

/** The job queue on SQLite: one row per job, claimed in an IMMEDIATE transaction. */
export class SqliteQueue extends SqlitePart implements JobQueue {

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

  /** Enqueue inside the caller's transaction (ingest, retest). */
  enqueueSync(job: NewJob): number {
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
}
