import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** V8's own full GC, exposed at runtime (no --expose-gc on the command line needed), or null. */
export function exposeGc(): (() => void) | null {
  try {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as unknown;
    return typeof gc === "function" ? (gc as () => void) : null;
  } catch {
    return null;
  }
}

export interface IdleCollectorOptions {
  /** Whether anything is going on right now (a job running, a reply being sent). */
  busy: () => boolean;
  /** Quiet time before the first collection. */
  quietMs?: number;
  /** Time between the first and the second collection. */
  secondAfterMs?: number;
  /** How often to look. */
  checkMs?: number;
  gc?: (() => void) | null;
  onCollect?: (n: 1 | 2) => void;
  now?: () => number;
}

/**
 * Gives memory back after a busy period. A burst leaves tens of MB of garbage in the heap and
 * a young generation grown to its 32 MB maximum, which V8 keeps resident as long as the daemon
 * is idle (it does not collect without allocation). When nothing happened for `quietMs`, this
 * runs a full GC twice, and `secondAfterMs` later once more: V8 shrinks the young generation
 * only in a collection that sees a low allocation rate over the seconds since the previous
 * one, and it counts the young objects the previous collection moved to the old generation as
 * allocation. The first collection moves the burst's last survivors; the second, right after
 * it, moves nothing, so the one `secondAfterMs` later sees the true (idle) rate and shrinks.
 * Any activity (`touch()` or `busy()`) starts over.
 */
export class IdleCollector {
  private lastActivity: number;
  /** 0: collect once quiet; 1: first collection done; 2: done until the next activity. */
  private stage: 0 | 1 | 2 = 0;
  private firstAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly gc: (() => void) | null;
  private readonly now: () => number;

  constructor(private readonly opts: IdleCollectorOptions) {
    this.now = opts.now ?? Date.now;
    this.gc = opts.gc === undefined ? exposeGc() : opts.gc;
    // Start-up (loading modules, opening the store) is a busy period of its own.
    this.lastActivity = this.now();
  }

  /** Something happened (a message arrived, a job ran): collect again once it is quiet. */
  touch(): void {
    this.lastActivity = this.now();
    this.stage = 0;
  }

  /** One look; the timer calls this every `checkMs`. */
  check(): void {
    if (this.opts.busy()) this.touch();
    if (!this.gc || this.stage === 2) return;
    const t = this.now();
    if (this.stage === 0 && t - this.lastActivity >= (this.opts.quietMs ?? 1_000)) {
      this.gc();
      this.gc();
      this.stage = 1;
      this.firstAt = t;
      this.opts.onCollect?.(1);
    } else if (this.stage === 1 && t - this.firstAt >= (this.opts.secondAfterMs ?? 6_000)) {
      this.gc();
      this.stage = 2;
      this.opts.onCollect?.(2);
    }
  }

  start(): void {
    this.timer ??= setInterval(() => this.check(), this.opts.checkMs ?? 500);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
