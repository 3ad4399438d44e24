import SMTPConnection from "nodemailer/lib/smtp-connection/index.js";
import type { Logger } from "pino";
import type { DaemonConfig } from "../config/sections/daemon.js";
import type { SmtpConfig } from "../config/sections/smtp.js";
import type { DaemonMetrics } from "./daemon-metrics.js";
import type { OutboxEntry, Store } from "../store/store.js";

/** The one thing the sender needs from SMTP; nodemailer's SMTP client in production. */
export interface MailSender {
  /**
   * Have a session ready to take a mail: connected, greeted, authenticated. Nothing is sent, so
   * a failure here is always safe to retry. Splitting this from send() keeps the window in
   * which a crash leaves a reply "in doubt" down to the MAIL/RCPT/DATA exchange itself.
   */
  ready(): Promise<void>;
  send(entry: OutboxEntry, envelopeFrom: string): Promise<void>;
  close(): void;
}

/** SMTP through nodemailer's SMTPConnection: one connection, reused, checked with RSET. */
export function smtpSender(cfg: SmtpConfig, password: string | undefined): MailSender {
  const host = cfg.host;
  if (!host) throw new Error("smtp.host is not configured");
  let conn: SMTPConnection | null = null;
  const drop = (): void => {
    const c = conn;
    conn = null;
    try {
      c?.close();
    } catch {
      // already closed
    }
  };
  /**
   * Run one SMTP exchange, failing when the connection ends or errors first: nodemailer does
   * not always call back a command that was in flight when the server vanished.
   */
  const exchange = <T>(c: SMTPConnection, timeoutMs: number, fn: (done: (err: Error | null, v?: T) => void) => void): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | null, v?: T): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        c.off("end", onEnd);
        c.off("error", onError);
        if (err) reject(err);
        else resolve(v as T);
      };
      const onEnd = (): void => finish(new Error("SMTP connection closed"));
      const onError = (err: Error): void => finish(err);
      const timer = setTimeout(() => finish(new Error(`SMTP timed out after ${timeoutMs} ms`)), timeoutMs);
      c.once("end", onEnd);
      c.once("error", onError);
      fn(finish);
    });

  const open = async (): Promise<SMTPConnection> => {
    const c = new SMTPConnection({
      host,
      port: cfg.port,
      secure: cfg.secure,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 60_000,
      tls: { rejectUnauthorized: !cfg.allowSelfSigned },
    });
    c.on("error", () => {
      if (conn === c) conn = null;
    });
    c.on("end", () => {
      if (conn === c) conn = null;
    });
    try {
      // connect() reports failures as "error" events, not through its callback.
      await exchange<void>(c, 30_000, (done) => c.connect((err) => done(err ?? null)));
      if (cfg.user) {
        await exchange<void>(c, 30_000, (done) => c.login({ user: cfg.user ?? "", pass: password ?? "" }, (err) => done(err ?? null)));
      }
    } catch (err) {
      c.close();
      throw err;
    }
    return c;
  };
  return {
    async ready() {
      if (conn && !conn.destroyed) {
        const c = conn;
        const alive = await exchange<void>(c, 10_000, (done) => c.reset((err) => done(err ?? null))).then(
          () => true,
          () => false,
        );
        if (alive) return;
        drop();
      }
      try {
        conn = await open();
      } catch (err) {
        drop();
        // Never got a session: certainly nothing sent.
        throw Object.assign(err as Error, { command: (err as { command?: string }).command ?? "CONN" });
      }
    },
    async send(entry, envelopeFrom) {
      const c = conn;
      if (!c) throw Object.assign(new Error("no SMTP session"), { command: "CONN" });
      try {
        await exchange<void>(c, 120_000, (done) =>
          // The exact bytes the pipeline composed (headers included); dot-stuffing is the client's.
          c.send({ from: envelopeFrom, to: [...entry.to, ...entry.cc] }, entry.eml, (err, info) => {
            if (err) done(err);
            else if (info.accepted.length === 0) done(Object.assign(new Error(`all recipients refused: ${info.response}`), { responseCode: 550 }));
            else done(null);
          }),
        );
      } catch (err) {
        drop();
        throw err;
      }
    },
    close() {
      const c = conn;
      conn = null;
      try {
        c?.quit();
      } catch {
        c?.close();
      }
    },
  };
}

/**
 * Whether a failed send certainly did not deliver the mail: the server answered with an error
 * code (it refused, so it did not accept the data), or we never got a connection. Anything
 * else (the connection died mid-conversation) leaves the reply "in doubt".
 */
export function certainlyNotSent(err: unknown): boolean {
  const e = err as { responseCode?: number; code?: string; command?: string; message?: string };
  if (typeof e.responseCode === "number" && e.responseCode >= 400) return true;
  if (e.command === "CONN") return true;
  if (e.code === "ECONNECTION" && /ECONNREFUSED|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN/.test(e.message ?? "")) return true;
  return e.code === "ECONNREFUSED" || e.code === "EDNS";
}

/**
 * Sends the outbox. The exactly-once design:
 *
 * 1. A reply enters the outbox in the transaction that records the result it reports
 *    (state "pending"); its Message-ID is deterministic, and unique in the outbox.
 * 2. Before the mail is handed to SMTP the entry is marked "sending" with an fsync.
 * 3. After the server accepted it (250 after DATA), "sent".
 *
 * A crash between 2 and 3 leaves "sending": the mail may or may not have left, and a mailing
 * list cannot be asked. SMTP has no idempotency key, so the daemon uses the list itself: our
 * own reply comes back over IMAP with its Message-ID, and seeing it marks the entry sent
 * (store.ingestMessage). If no copy arrives within `inDoubtGraceMs`, `inDoubt` decides:
 * "at-most-once" (default) abandons it (status shows it; `irqtriage status` lists abandoned
 * replies so a human can look), "at-least-once" resends it. Never both: so a crash can cost
 * at most one reply, never produce a second one to the list (in the default mode).
 */
export class OutboxSender {
  private inFlight = new Set<string>();
  /** Consecutive failures to get an SMTP session, and when to try again (backoff). */
  private readyFailures = 0;
  private notBefore = 0;
  private lastReadyError: string | null = null;
  private lastSentAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private busy: Promise<void> | null = null;
  private sending = false;

  constructor(
    private readonly opts: {
      store: Store;
      sender: MailSender;
      envelopeFrom: string;
      cfg: DaemonConfig["outbox"];
      log: Logger;
      metrics?: DaemonMetrics;
      now?: () => number;
    },
  ) {}

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  start(): void {
    const tick = (): void => {
      if (this.stopped) return;
      this.busy = this.runOnce().then(() => undefined)
        .catch((err: unknown) => this.opts.log.error({ err }, "outbox pass failed"))
        .finally(() => {
          this.busy = null;
          if (!this.stopped) this.timer = setTimeout(tick, this.opts.cfg.sendIntervalMs);
        });
    };
    tick();
  }

  /** New entries were queued: send now rather than at the next tick. */
  wake(): void {
    if (this.stopped || this.busy || !this.timer) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.busy = this.runOnce().then(() => undefined)
      .catch((err: unknown) => this.opts.log.error({ err }, "outbox pass failed"))
      .finally(() => {
        this.busy = null;
        if (!this.stopped && !this.timer) this.timer = setTimeout(() => this.wake(), this.opts.cfg.sendIntervalMs);
      });
  }

  /** One pass: resolve in-doubt entries, then send what is due. */
  async runOnce(): Promise<{ sent: number; failed: number }> {
    try {
      return await this.pass();
    } finally {
      this.sending = false;
    }
  }

  private async pass(): Promise<{ sent: number; failed: number }> {
    const { store, cfg, log } = this.opts;
    for (const e of await store.inDoubt()) {
      if (this.inFlight.has(e.key)) continue;
      // From a previous process: wait for the list copy, then apply the policy.
      const since = Math.max(e.sendingAt ?? 0, 0);
      if (this.now() - since >= cfg.inDoubtGraceMs) {
        const to = cfg.inDoubt === "at-least-once" ? "pending" : "abandoned";
        await store.resolveInDoubt(e.key, to, this.now());
        log.warn({ key: e.key, messageId: e.messageId, resolution: to }, "reply in doubt after a crash; no list copy seen");
      }
    }
    let sent = 0;
    let failed = 0;
    pass: for (;;) {
      if (this.stopped) break;
      const due = await store.duePending(this.now(), 20);
      if (!due.length) break;
      this.sending = true;
      for (const e of due) {
        if (this.stopped) break;
        if (this.now() < this.notBefore) return { sent, failed };
        try {
          await this.opts.sender.ready();
          this.readyFailures = 0;
          this.lastReadyError = null;
        } catch (err) {
          this.lastReadyError = (err as Error).message;
          const delay = Math.min(cfg.retryMs * 2 ** Math.min(this.readyFailures++, 5), 300_000);
          this.notBefore = this.now() + delay;
          log.warn({ err: (err as Error).message, retryInMs: delay }, "SMTP not reachable; replies wait in the outbox");
          return { sent, failed: failed + 1 };
        }
        if (!(await store.markSending(e.key, this.now()))) continue;
        this.inFlight.add(e.key);
        try {
          await this.opts.sender.send(e, this.opts.envelopeFrom);
          await store.markSent(e.key, this.now(), "smtp");
          this.opts.metrics?.repliesSent.inc();
          this.lastSentAt = this.now();
          sent++;
          log.info({ key: e.key, messageId: e.messageId, to: e.to }, "reply sent");
        } catch (err) {
          failed++;
          if (certainlyNotSent(err)) {
            const delay = Math.min(cfg.retryMs * 2 ** Math.min(e.attempts, 8), 3_600_000);
            await store.markSendFailed(e.key, (err as Error).message, this.now() + delay, cfg.maxAttempts);
            log.warn({ err, key: e.key, retryInMs: delay }, "SMTP refused the reply; will retry");
          } else {
            // Stays "sending": the server may have it. Resolved by the list copy or the policy.
            log.error({ err, key: e.key }, "SMTP connection lost mid-send; reply in doubt");
          }
        } finally {
          this.inFlight.delete(e.key);
        }
        // After any failure the next tick tries again (with backoff for refusals).
        if (failed) break pass;
      }
    }
    if (this.opts.metrics) this.opts.metrics.outboxPending.set(await store.outboxCount("pending"));
    return { sent, failed };
  }

  /** For /healthz: whether the SMTP server took our last session, and when a reply last left. */
  health(): { ok: boolean; lastSent: string | null; error?: string } {
    return {
      ok: this.readyFailures === 0,
      lastSent: this.lastSentAt ? new Date(this.lastSentAt).toISOString() : null,
      ...(this.lastReadyError ? { error: this.lastReadyError } : {}),
    };
  }

  /** Whether replies are being sent right now (the daemon's idle detection). */
  get active(): boolean {
    return this.sending;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.busy;
    this.opts.sender.close();
  }
}
