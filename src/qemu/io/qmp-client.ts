import net from "node:net";
import type { Duplex } from "node:stream";
import { ExternalError } from "../../errors.js";
import type { Logger } from "../../log/logger.js";
import { silentLogger } from "../../log/logger.js";

export interface QmpEvent {
  event: string;
  data: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

export interface QmpConnectOptions {
  /** Give up connecting (the socket may not exist yet while qemu starts) after this long. */
  timeoutMs?: number;
  signal?: AbortSignal;
  log?: Logger;
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * A small QMP client over a unix socket (JSON objects, one per line). Commands carry an `id` so
 * replies are matched even with events in between; events are kept in arrival order so that a
 * wait started after the event arrived (DEVICE_DELETED can be quick) still sees it.
 */
export class QmpClient {
  readonly events: QmpEvent[] = [];
  private consumed = new Set<number>();
  private buf = "";
  private nextId = 1;
  private pending = new Map<string, Pending>();
  private waiters: Array<() => void> = [];
  private closedError: Error | null = null;
  greeting: Record<string, unknown> | null = null;

  private constructor(
    private readonly sock: Duplex,
    private readonly log: Logger,
  ) {
    sock.setEncoding("utf8");
    sock.on("data", (chunk: string) => this.onData(chunk));
    const onEnd = (err?: Error): void => {
      this.closedError ??= err ?? new Error("QMP connection closed");
      for (const p of this.pending.values()) p.reject(new ExternalError(this.closedError.message, "qemu"));
      this.pending.clear();
      this.wake();
    };
    sock.on("error", onEnd);
    sock.on("close", () => onEnd());
  }

  /** Connect (retrying while the socket does not exist yet), read the greeting, negotiate. */
  static async connect(socketPath: string, opts: QmpConnectOptions = {}): Promise<QmpClient> {
    const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
    const log = opts.log ?? silentLogger();
    for (;;) {
      opts.signal?.throwIfAborted();
      try {
        const sock = await new Promise<net.Socket>((resolve, reject) => {
          const s = net.createConnection(socketPath);
          s.once("connect", () => {
            s.off("error", reject);
            resolve(s);
          });
          s.once("error", reject);
        });
        const client = new QmpClient(sock, log);
        await client.waitGreeting(Math.max(1000, deadline - Date.now()));
        await client.execute("qmp_capabilities");
        return client;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if ((code === "ENOENT" || code === "ECONNREFUSED") && Date.now() < deadline) {
          await delay(20);
          continue;
        }
        throw err instanceof ExternalError ? err : new ExternalError(`QMP connect to ${socketPath} failed: ${(err as Error).message}`, "qemu");
      }
    }
  }

  /**
   * Talk QMP over a stream that is already connected: the socketpair a sandboxed qemu got as
   * fd 3 (`-chardev socket,fd=3`), so that it needs no writable folder for a socket.
   */
  static async attach(stream: Duplex, opts: Omit<QmpConnectOptions, "signal"> = {}): Promise<QmpClient> {
    const client = new QmpClient(stream, opts.log ?? silentLogger());
    try {
      await client.waitGreeting(opts.timeoutMs ?? 10_000);
      await client.execute("qmp_capabilities");
    } catch (err) {
      client.close();
      throw err;
    }
    return client;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private onData(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf("\n")) >= 0) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (!line) continue;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        this.log.warn({ line: line.slice(0, 200) }, "qmp: unparsable line");
        continue;
      }
      if ("QMP" in msg) {
        this.greeting = msg;
      } else if (typeof msg["event"] === "string") {
        const ev: QmpEvent = { event: msg["event"], data: (msg["data"] as Record<string, unknown>) ?? {} };
        if (msg["timestamp"]) ev.timestamp = msg["timestamp"] as QmpEvent["timestamp"] & object;
        this.events.push(ev);
        this.log.debug({ event: ev.event, data: ev.data }, "qmp event");
      } else if ("id" in msg) {
        const p = this.pending.get(String(msg["id"]));
        if (p) {
          this.pending.delete(String(msg["id"]));
          if ("error" in msg) {
            const e = msg["error"] as { class?: string; desc?: string };
            p.reject(new ExternalError(`QMP error ${e.class ?? ""}: ${e.desc ?? ""}`, "qemu", JSON.stringify(e)));
          } else p.resolve(msg["return"]);
        }
      }
      this.wake();
    }
  }

  private async waitGreeting(timeoutMs: number): Promise<void> {
    await this.waitFor(() => this.greeting !== null, timeoutMs, "QMP greeting");
  }

  /** Resolve when `cond()` holds, re-checked on every message; reject on timeout or close. */
  private waitFor(cond: () => boolean, timeoutMs: number, what: string, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        if (err) reject(err);
        else resolve();
      };
      const onAbort = (): void => done(new ExternalError(`aborted while waiting for ${what}`, "qemu"));
      const check = (): void => {
        if (cond()) return done();
        if (this.closedError) return done(new ExternalError(`QMP closed while waiting for ${what}`, "qemu"));
        this.waiters.push(check);
      };
      const timer = setTimeout(() => done(new ExternalError(`timed out after ${timeoutMs} ms waiting for ${what}`, "qemu")), timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      check();
    });
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.closedError) return Promise.reject(new ExternalError(`QMP closed: ${this.closedError.message}`, "qemu"));
    const id = `irqtriage-${this.nextId++}`;
    const msg: Record<string, unknown> = { execute: command, id };
    if (args) msg["arguments"] = args;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.sock.write(JSON.stringify(msg) + "\n");
    });
  }

  /**
   * Wait for an event not returned by an earlier waitEvent that matches `match`, including
   * events that arrived before this call.
   */
  async waitEvent(name: string, match: (data: Record<string, unknown>) => boolean, timeoutMs: number, signal?: AbortSignal): Promise<QmpEvent> {
    let found = -1;
    await this.waitFor(
      () => {
        found = this.events.findIndex((e, i) => !this.consumed.has(i) && e.event === name && match(e.data));
        return found >= 0;
      },
      timeoutMs,
      `QMP event ${name}`,
      signal,
    );
    this.consumed.add(found);
    return this.events[found] as QmpEvent;
  }

  close(): void {
    this.sock.destroy();
  }
}
