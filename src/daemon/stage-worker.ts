import { fork, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { pino, type Logger } from "pino";
import { packageRoot } from "../package-root.js";
import type { PipelineStage } from "../pipeline/stage-registry.js";
import type { StageInput, StageOutput } from "../types/stage.js";

/**
 * What crosses to the worker: plain data. The logger and the signal stay here; the mirror port
 * crosses as its path and the helper opens its own (hardened git on the same repository).
 */
export type WorkerStageInput = Omit<StageInput<unknown>, "log" | "signal" | "mirror"> & { mirror: string | null };

export interface StageWorkerRequest {
  id: number;
  stage: string;
  /** The job logger's level: the worker logs exactly what the daemon would. */
  level: string;
  input: WorkerStageInput;
}

export type StageWorkerReply =
  | { type: "log"; id: number; line: string }
  | { type: "done"; id: number; output: StageOutput | null }
  | { type: "failed"; id: number; error: { name: string; message: string; stack?: string } };

export interface StageWorkerOptions {
  /** The worker exits after this long without a stage to run. */
  idleMs: number;
  log: Logger;
  /** Helper entry (default: stage-worker-main.js next to this file, or in dist/ from sources). */
  entry?: URL;
  /** Node options for the worker process (tests load TypeScript sources with one). */
  execArgv?: string[];
}

interface Pending {
  resolve: (out: StageOutput | null) => void;
  reject: (err: Error) => void;
  log: Logger;
}

/**
 * Runs default stages (the simulation by default) in a helper process that exits once idle.
 * The simulator allocates and drops typed arrays by the hundred MB in a burst of series; in
 * the daemon itself that churn left the glibc heap tens of MB larger for good (freed chunks in
 * the middle of the heap, or under the raised trim threshold, are not returned to the OS), and
 * a worker thread does no better: its malloc arena outlives it. A process gives everything
 * back when it exits. Same stage code, same output: the stage input and output are plain data
 * (structured clone over IPC), logs are forwarded to the job's logger, a thrown error comes
 * back with its name and message. The helper ends with the daemon (IPC disconnect), also when
 * the daemon is killed.
 */
export class StageWorker {
  private worker: ChildProcess | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly entry: URL;
  /** Whether the entry file exists (it does not when running from TypeScript sources). */
  readonly available: boolean;

  constructor(private readonly opts: StageWorkerOptions) {
    this.entry = opts.entry ?? defaultEntry();
    this.available = existsSync(fileURLToPath(this.entry));
  }

  /** Whether the helper process is running now. */
  get running(): boolean {
    return this.worker !== null;
  }

  /** The helper's pid, or null. */
  get pid(): number | null {
    return this.worker?.pid ?? null;
  }

  /**
   * `stage`, run in the worker when it has something to do (stageApplies) and the worker entry
   * exists; otherwise in this thread as before.
   */
  wrap(stage: PipelineStage): PipelineStage {
    return {
      ...stage,
      run: (input) => (this.available && stage.applies(input) ? this.run(stage.name, input) : stage.run(input)),
    };
  }

  /**
   * Run one stage in the helper. If the helper itself dies under it (killed, out of memory),
   * the stage runs once more in a new helper: that is not the stage's verdict on the series,
   * and a reply without the section would be sent for good.
   */
  async run(stage: string, input: StageInput<unknown>): Promise<StageOutput | null> {
    try {
      return await this.runOnce(stage, input);
    } catch (err) {
      if (!(err instanceof HelperGone) || input.signal?.aborted) throw err;
      input.log.warn({ err: err.message, stage }, "stage worker died; running the stage again in a new one");
      return this.runOnce(stage, input);
    }
  }

  private runOnce(stage: string, input: StageInput<unknown>): Promise<StageOutput | null> {
    const { log, signal, mirror, ...rest } = input;
    const data: WorkerStageInput = { ...rest, mirror: mirror?.path ?? null };
    signal?.throwIfAborted();
    const worker = this.ensure();
    const id = this.nextId++;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    return new Promise<StageOutput | null>((resolve, reject) => {
      const onAbort = (): void => {
        // Shutdown parks the job: stop the stage where it is (and any other one with it).
        void this.stop();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      const done = (): void => {
        signal?.removeEventListener("abort", onAbort);
        this.pending.delete(id);
        this.hold();
        this.scheduleIdleExit();
      };
      this.pending.set(id, {
        log,
        resolve: (out) => {
          done();
          resolve(out);
        },
        reject: (err) => {
          done();
          reject(signal?.aborted ? (signal.reason as Error) : err);
        },
      });
      this.hold();
      const req: StageWorkerRequest = { id, stage, level: log.level, input: data };
      try {
        worker.send(req, (err) => {
          if (err) this.pending.get(id)?.reject(new HelperGone(`stage worker unreachable: ${err.message}`));
        });
      } catch (err) {
        // Not cloneable (a function in the input): a programming error, reported as the stage's.
        this.pending.get(id)?.reject(err as Error);
      }
    });
  }

  private ensure(): ChildProcess {
    if (this.worker) return this.worker;
    const w = fork(fileURLToPath(this.entry), [], {
      execArgv: this.opts.execArgv ?? [],
      serialization: "advanced", // structured clone: Sets and Dates survive
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    w.on("message", (m: StageWorkerReply) => this.onReply(m));
    // Only the current helper's end fails what is pending: an old one stopped for being idle
    // (or aborted) had its requests failed by stop() already.
    w.on("error", (err) => {
      this.opts.log.error({ err }, "stage worker failed");
      if (this.worker === w) this.failAll(new HelperGone(`stage worker failed: ${err.message}`));
    });
    w.on("exit", (code, sig) => {
      if (this.worker !== w) return;
      this.worker = null;
      this.failAll(new HelperGone(`stage worker exited (${sig ?? `code ${code}`})`));
    });
    this.worker = w;
    this.opts.log.debug({ pid: w.pid }, "stage worker started");
    return w;
  }

  /** The helper keeps this process alive only while a stage runs in it (an idle one never does). */
  private hold(): void {
    const w = this.worker;
    if (!w) return;
    if (this.pending.size) {
      w.ref();
      w.channel?.ref();
    } else {
      w.unref();
      w.channel?.unref();
    }
  }

  private onReply(m: StageWorkerReply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.type === "log") {
      forwardLog(p.log, m.line);
    } else if (m.type === "done") {
      p.resolve(m.output);
    } else {
      const err = new Error(m.error.message);
      err.name = m.error.name;
      if (m.error.stack) err.stack = m.error.stack;
      p.reject(err);
    }
  }

  private failAll(err: Error): void {
    for (const p of [...this.pending.values()]) p.reject(err);
  }

  private scheduleIdleExit(): void {
    if (this.pending.size || !this.worker || this.idleTimer) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (!this.pending.size) void this.stop();
    }, this.opts.idleMs);
    this.idleTimer.unref();
  }

  /** End the worker (pending stages fail); the next run starts a new one. */
  async stop(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const w = this.worker;
    this.worker = null;
    if (!w) return;
    this.failAll(new Error("stage worker stopped"));
    const exited = new Promise<void>((resolve) => {
      if (w.exitCode !== null || w.signalCode !== null) resolve();
      else w.once("exit", () => resolve());
    });
    // The helper exits when its IPC channel closes; a stuck one is killed.
    if (w.connected) w.disconnect();
    const t = setTimeout(() => w.kill("SIGKILL"), 5_000);
    t.unref();
    await exited;
    clearTimeout(t);
    this.opts.log.debug({ pid: w.pid }, "stage worker exited");
  }
}

/** The helper process ended under a running stage (not an error of the stage itself). */
class HelperGone extends Error {
  override name = "HelperGone";
}

/** The compiled helper next to this module; from TypeScript sources (tests), the one in dist/. */
function defaultEntry(): URL {
  const here = new URL("./stage-worker-main.js", import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return pathToFileURL(path.join(packageRoot, "dist", "daemon", "stage-worker-main.js"));
}

/** One pino line from the worker → the same record through the job's logger. */
function forwardLog(log: Logger, line: string): void {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return;
  }
  const { level, msg, ...fields } = rec;
  const label = pino.levels.labels[Number(level)] ?? "info";
  const fn = (log as unknown as Record<string, ((obj: object, msg?: string) => void) | undefined>)[label];
  fn?.call(log, fields, typeof msg === "string" ? msg : undefined);
}
