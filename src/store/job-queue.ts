/** The durable job queue: debounced per (kind, key), leases with renewal, retries with backoff, dead letters, per-kind concurrency. */
export interface JobQueue {
  /**
   * Enqueue a job. At most one QUEUED job exists per (kind, key): enqueueing again merges the
   * payload flags and moves `runAt` later by `debounceMs` (never past `maxDelayMs` from the
   * first request), so a burst of mails in one thread triggers one run.
   */
  enqueueJob(job: NewJob): Promise<number>;
  /**
   * Claim the next due job of one of `kinds`, honouring per-kind concurrency limits. Also takes
   * over jobs whose lease expired (their worker died).
   */
  claimJob(owner: string, kinds: string[], limits: Record<string, number>, leaseMs: number, now: number): Promise<Job | null>;
  renewLease(id: number, owner: string, leaseMs: number, now: number): Promise<boolean>;
  completeJob(id: number, owner: string, now: number): Promise<void>;
  /** Retry with exponential backoff, or dead-letter after `maxAttempts`. */
  failJob(id: number, owner: string, error: string, now: number, opts: { retryable: boolean; backoffMs: number; maxAttempts: number }): Promise<Job["state"]>;
  /** Put a running job back without counting the attempt (graceful shutdown: park it). */
  parkJob(id: number, owner: string, now: number): Promise<void>;
  /** Give back running jobs of owners that are gone (same host, dead pid); returns how many. */
  releaseLeases(isOwnerAlive: (owner: string) => boolean, now: number): Promise<number>;
  /** Re-queue a dead job (operator action). */
  requeueDead(id: number, now: number): Promise<boolean>;
  jobs(opts?: { states?: JobState[]; limit?: number }): Promise<Job[]>;
  queueCounts(): Promise<Record<JobState, number>>;
}

export type JobState = "queued" | "running" | "done" | "failed" | "dead";

export interface NewJob {
  kind: string;
  key: string;
  payload?: Record<string, unknown>;
  runAt: number;
  debounceMs?: number;
  maxDelayMs?: number;
  now: number;
}

export interface Job {
  id: number;
  kind: string;
  key: string;
  payload: Record<string, unknown>;
  state: JobState;
  attempts: number;
  runAt: number;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}
