import { ImapFlow } from "imapflow";
import type { Logger } from "pino";
import type { IncomingMail, MailSink, MailSource, MailSourceHealth, SourceCheckpoint } from "../../types/mail-source.js";

export interface ImapEndpoint {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  password: string;
  allowSelfSigned: boolean;
}

/** Where the UID checkpoints live (the store's messages part). */
export interface CheckpointPort {
  getCheckpoint(mailbox: string): Promise<SourceCheckpoint | null>;
  setCheckpoint(cp: SourceCheckpoint): Promise<void>;
}

/** What the source reports as it goes (the daemon's metrics). */
export interface ImapSourceEvents {
  connected(mailbox: string, up: boolean): void;
  reconnect(mailbox: string): void;
  activity(mailbox: string, at: number): void;
}

export interface ImapSourceOptions {
  endpoint: ImapEndpoint;
  mailbox: string;
  checkpoints: CheckpointPort;
  pollIntervalMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** UIDs fetched per FETCH command (bounds memory in a burst). */
  batchSize?: number;
  log: Logger;
  events?: ImapSourceEvents;
}

/** Checkpoint name of a mailbox: server, user and path, so two servers never share one. */
export function mailboxKey(e: Pick<ImapEndpoint, "host" | "port" | "user">, mailbox: string): string {
  return `imap://${encodeURIComponent(e.user)}@${e.host}:${e.port}/${mailbox}`;
}

/** Delay before reconnect attempt `n` (0-based): exponential, capped, with +-50% jitter. */
export function reconnectDelay(n: number, minMs: number, maxMs: number, rnd: () => number = Math.random): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(n, 20));
  return Math.round(base * (0.5 + rnd()));
}

/**
 * Follows one IMAP mailbox: catch up from the UID checkpoint, then wait for IDLE's EXISTS (with
 * a poll every pollIntervalMs as the fallback and safety net), and reconnect with backoff and
 * jitter when the connection drops. The checkpoint moves only in the transaction that stores a
 * message, so a server restart or our own crash costs no message. A changed UIDVALIDITY means
 * the mailbox was rebuilt: it is re-read from UID 1, and Message-ID dedup in the store keeps
 * that from causing any second reply.
 */
export class ImapSource implements MailSource {
  readonly key: string;
  readonly kind = "imap";
  connected = false;
  lastActivity = 0;
  private lastError: string | null = null;
  private sink: MailSink | null = null;
  private client: ImapFlow | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;
  private done: Promise<void> | null = null;

  constructor(private readonly opts: ImapSourceOptions) {
    this.key = mailboxKey(opts.endpoint, opts.mailbox);
  }

  start(sink: MailSink): void {
    this.sink = sink;
    this.done = this.runForever();
  }

  health(): MailSourceHealth {
    return {
      key: this.key,
      kind: this.kind,
      ok: this.connected,
      lastActivity: this.lastActivity ? new Date(this.lastActivity).toISOString() : null,
      ...(!this.connected && this.lastError ? { error: this.lastError } : {}),
    };
  }

  private touch(): void {
    this.lastActivity = Date.now();
    this.opts.events?.activity(this.opts.mailbox, this.lastActivity);
  }

  private async runForever(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        await this.session(() => {
          failures = 0;
        });
      } catch (err) {
        if (this.stopped) break;
        this.lastError = (err as Error).message;
        this.opts.log.warn({ err: (err as Error).message, mailbox: this.opts.mailbox }, "IMAP session ended");
      } finally {
        this.connected = false;
        this.opts.events?.connected(this.opts.mailbox, false);
      }
      if (this.stopped) break;
      const delay = reconnectDelay(failures++, this.opts.reconnectMinMs, this.opts.reconnectMaxMs);
      this.opts.events?.reconnect(this.opts.mailbox);
      this.opts.log.info({ mailbox: this.opts.mailbox, delayMs: delay, attempt: failures }, "IMAP reconnect scheduled");
      await this.sleep(delay);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let t: NodeJS.Timeout | undefined = undefined;
      const done = (): void => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
      t = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private async session(onConnected: () => void): Promise<void> {
    const { endpoint, log } = this.opts;
    const client = new ImapFlow({
      host: endpoint.host,
      port: endpoint.port,
      secure: endpoint.secure,
      auth: { user: endpoint.user, pass: endpoint.password },
      logger: false,
      tls: { rejectUnauthorized: !endpoint.allowSelfSigned },
      // We reconnect ourselves, with our own backoff.
      connectionTimeout: 15_000,
      greetingTimeout: 10_000,
      socketTimeout: 5 * 60_000,
      // Enter IDLE right after our own commands: until IDLE runs, the server does not push
      // EXISTS, and imapflow's default (15 s) would be that much added latency per mail.
      autoIdleDelay: 100,
    });
    this.client = client;
    let closed = false;
    let newMail = true;
    let onClosed: () => void = () => undefined;
    const closedP = new Promise<never>((_resolve, reject) => {
      onClosed = () => reject(new Error("IMAP connection closed"));
    });
    closedP.catch(() => undefined);
    // A command in flight when the server goes away must not hang the session: every await on
    // the connection races against its close.
    const guard = <T>(p: Promise<T>): Promise<T> => Promise.race([p, closedP]);
    client.on("error", (err: Error) => log.warn({ err: err.message, mailbox: this.opts.mailbox }, "IMAP error"));
    client.on("close", () => {
      closed = true;
      onClosed();
      this.wake?.();
    });
    client.on("exists", () => {
      newMail = true;
      this.touch();
      this.wake?.();
    });
    client.on("mailboxClose", () => {
      closed = true;
      onClosed();
      this.wake?.();
    });
    try {
      await guard(client.connect());
      const mb = await guard(client.mailboxOpen(this.opts.mailbox));
      const uidValidity = Number(mb.uidValidity);
      this.connected = true;
      this.touch();
      this.lastError = null;
      this.opts.events?.connected(this.opts.mailbox, true);
      onConnected();
      const cp = await this.opts.checkpoints.getCheckpoint(this.key);
      let last = cp?.lastUid ?? 0;
      if (cp && cp.uidValidity !== uidValidity) {
        log.warn({ mailbox: this.opts.mailbox, old: cp.uidValidity, now: uidValidity }, "UIDVALIDITY changed: re-reading the mailbox (duplicates are dropped by Message-ID)");
        last = 0;
        await this.opts.checkpoints.setCheckpoint({ mailbox: this.key, uidValidity, lastUid: 0 });
      }
      log.info({ mailbox: this.opts.mailbox, uidValidity, lastUid: last, exists: mb.exists }, "IMAP mailbox selected");
      let lastPoll = Date.now();
      while (!this.stopped && !closed) {
        if (newMail || Date.now() - lastPoll >= this.opts.pollIntervalMs) {
          newMail = false;
          if (Date.now() - lastPoll >= this.opts.pollIntervalMs) {
            // Polling fallback: a NOOP makes the server report EXISTS even without IDLE.
            await guard(client.noop());
            if (client.mailbox && Number(client.mailbox.uidValidity) !== uidValidity) throw new Error("UIDVALIDITY changed while selected");
          }
          lastPoll = Date.now();
          last = await this.catchUp(client, uidValidity, last, guard);
          continue;
        }
        await this.sleep(Math.max(50, this.opts.pollIntervalMs - (Date.now() - lastPoll)));
      }
    } finally {
      this.client = null;
      if (!closed) {
        await Promise.race([client.logout().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
      }
      client.close();
    }
  }

  /** Fetch every UID above `last` in batches; returns the new last UID. */
  private async catchUp(client: ImapFlow, uidValidity: number, last: number, guard: <T>(p: Promise<T>) => Promise<T>): Promise<number> {
    const found = await guard(client.search({ uid: `${last + 1}:*` }, { uid: true }));
    // "n:*" also matches the highest UID when it is below n (RFC 3501 6.4.8): filter.
    const uids = (Array.isArray(found) ? found : []).filter((u) => u > last).sort((a, b) => a - b);
    if (!uids.length) return last;
    this.touch();
    const batch = this.opts.batchSize ?? 200;
    for (let i = 0; i < uids.length && !this.stopped; i += batch) {
      const chunk = uids.slice(i, i + batch);
      const it = client.fetch(chunk.join(","), { uid: true, source: true }, { uid: true });
      for (;;) {
        const step = await guard(it.next());
        if (step.done) break;
        const msg = step.value;
        if (!msg.source || msg.uid <= last) continue;
        const mail: IncomingMail = {
          raw: msg.source,
          mailbox: this.key,
          uid: msg.uid,
          source: `${this.key};UID=${msg.uid}`,
          checkpoint: { mailbox: this.key, uidValidity, lastUid: msg.uid },
        };
        await this.sink?.(mail);
        last = msg.uid;
        this.touch();
      }
      // UIDs expunged between SEARCH and FETCH: nothing to store, move past them.
      const top = chunk[chunk.length - 1] ?? last;
      if (top > last && !this.stopped) {
        await this.opts.checkpoints.setCheckpoint({ mailbox: this.key, uidValidity, lastUid: top });
        last = top;
      }
    }
    return last;
  }

  /** Close IMAP cleanly (LOGOUT) and stop reconnecting. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    const c = this.client;
    if (c) {
      await Promise.race([c.logout().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
    }
    await this.done;
  }
}
