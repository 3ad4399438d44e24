import type { Logger } from "pino";
import { ExternalError, InputError } from "../errors.js";
import type { Job, Store } from "../store/store.js";
import type { DaemonMetrics } from "./daemon-metrics.js";

export interface JobContext {
  job: Job;
  log: Logger;
  /** Aborted when the daemon shuts down and the job is parked. */
  signal: AbortSignal;
}

export type JobHandler = (ctx: JobContext) => Promise<void>;

export interface JobRunnerOptions {
  store: Store;
  /** Lease owner id: "<host>:<pid>:<random>" (see ownerId). */
  owner: string;
  handlers: Record<string, JobHandler>;
  /** Jobs running at once, per kind. */
  limits: Record<string, number>;
  leaseMs: number;
  maxAttempts: number;
  backoffMs: number;
  /** How often to look for due jobs when not woken. */
  pollMs?: number;
  log: Logger;
  metrics?: DaemonMetrics;
  now?: () => number;
}

/**
 * Runs the store's job queue: claims due jobs (per-kind concurrency limits are enforced by the
 * store, so several daemons on one shared store also respect them), renews leases while a job
 * runs, and records the outcome: done, retry with backoff, or dead letter. InputError means the
 * input is bad and retrying cannot help (dead at once); everything else is retried.
 */
export class JobRunner {
  private running = new Map<number, { promise: Promise<void>; abort: AbortController }>();
  private stopped = false;
  private wakeUp: (() => void) | null = null;
  private loopDone: Promise<void> | null = null;
  private readonly now: () => number;

  constructor(private readonly opts: JobRunnerOptions) {
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    this.loopDone = this.loop();
  }

  /** Something was enqueued: look now instead of at the next poll. */
  wake(): void {
    this.wakeUp?.();
  }

  get active(): number {
    return this.running.size;
  }

  private async loop(): Promise<void> {
    const kinds = Object.keys(this.opts.handlers);
    const total = kinds.reduce((n, k) => n + (this.opts.limits[k] ?? 1), 0);
    while (!this.stopped) {
      let claimed = false;
      if (this.running.size < total) {
        try {
          const job = await this.opts.store.claimJob(this.opts.owner, kinds, this.opts.limits, this.opts.leaseMs, this.now());
          if (job) {
            claimed = true;
            this.launch(job);
          }
        } catch (err) {
          this.opts.log.error({ err }, "claiming a job failed");
        }
      }
      if (claimed) continue;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.opts.pollMs ?? 250);
        this.wakeUp = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wakeUp = null;
    }
  }

  private launch(job: Job): void {
    const handler = this.opts.handlers[job.kind];
    const abort = new AbortController();
    const log = this.opts.log.child({ job: job.id, kind: job.kind, key: job.key, attempt: job.attempts });
    const started = this.now();
    const renew = setInterval(() => {
      this.opts.store.renewLease(job.id, this.opts.owner, this.opts.leaseMs, this.now()).catch((err: unknown) => log.warn({ err }, "lease renewal failed"));
    }, Math.max(500, Math.floor(this.opts.leaseMs / 3)));
    const promise = (async () => {
      try {
        if (!handler) throw new InputError(`no handler for job kind "${job.kind}"`, `job ${job.id}`);
        await handler({ job, log, signal: abort.signal });
        if (abort.signal.aborted) return; // parked by stop(): the store already has it queued
        await this.opts.store.completeJob(job.id, this.opts.owner, this.now());
        this.opts.metrics?.stageDuration.observe({ stage: job.kind, outcome: "done" }, (this.now() - started) / 1000);
        log.debug({ ms: this.now() - started }, "job done");
      } catch (err) {
        if (abort.signal.aborted) return;
        const retryable = !(err instanceof InputError);
        const msg = err instanceof ExternalError && err.detail ? `${err.message}: ${err.detail}` : (err as Error).message ?? String(err);
        const state = await this.opts.store
          .failJob(job.id, this.opts.owner, msg, this.now(), { retryable, backoffMs: this.opts.backoffMs, maxAttempts: this.opts.maxAttempts })
          .catch((e: unknown) => {
            log.error({ err: e }, "recording a job failure failed");
            return "failed" as const;
          });
        this.opts.metrics?.stageDuration.observe({ stage: job.kind, outcome: state }, (this.now() - started) / 1000);
        (state === "dead" ? log.error.bind(log) : log.warn.bind(log))({ err, state }, state === "dead" ? "job dead-lettered" : "job failed, will retry");
      } finally {
        clearInterval(renew);
        this.running.delete(job.id);
        this.wake();
      }
    })();
    this.running.set(job.id, { promise, abort });
  }

  /**
   * Stop claiming; give running jobs `graceMs` to finish, then park the rest (back to queued
   * without counting the attempt; their results are written in one transaction at the end, so
   * an interrupted job left nothing half-done).
   */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loopDone;
    const all = Promise.all([...this.running.values()].map((r) => r.promise));
    const timedOut = await Promise.race([all.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), graceMs).unref())]);
    if (timedOut) {
      for (const [id, r] of this.running) {
        r.abort.abort(new Error("shutting down"));
        await this.opts.store.parkJob(id, this.opts.owner, this.now());
        this.opts.log.info({ job: id }, "job parked for the next start");
      }
    }
  }
}
