import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import { FileSource } from "../mail/io/file-source.js";
import { ImapSource, type ImapEndpoint } from "../mail/io/imap-source.js";
import type { Store } from "../store/store.js";
import type { IncomingMail, MailSource } from "../types/mail-source.js";
import { InputError } from "../errors.js";
import { acceptMessage, type AcceptContext } from "./accept-message.js";
import { mailFilter } from "../mail/classify-mail.js";
import { DaemonMetrics } from "./daemon-metrics.js";
import { startHealthServer } from "./health-server.js";
import { IdleCollector } from "./idle-collector.js";
import { JobRunner, type JobHandler } from "./job-runner.js";
import { OutboxSender, type MailSender } from "./outbox-sender.js";
import { runTestJob } from "./run-test-job.js";
import { runTriageJob } from "./run-triage-job.js";
import type { TriagePipeline } from "../pipeline/build-pipeline.js";
import type { CommandProcessor } from "../mail-commands/io/create-command-processor.js";

export interface DaemonOptions {
  config: Config;
  store: Store;
  log: Logger;
  /** The triage pipeline (pipeline/build-pipeline.ts; tests may pass a small one). */
  pipeline: TriagePipeline;
  /** IMAP server to follow (config.imap.mailboxes), or null. */
  imap: ImapEndpoint | null;
  /** Further mail sources (beside IMAP and daemon.files), e.g. the lore archives. */
  sources?: MailSource[];
  /** Where replies go; null leaves them pending in the outbox. */
  sender: MailSender | null;
  /** Answers `#irqtriage` command mails (src/commands); null = command mails are just mail. */
  commands?: CommandProcessor | null;
  metrics?: DaemonMetrics;
  now?: () => number;
}

export interface DaemonHandle {
  metrics: DaemonMetrics;
  /** Port of the health/metrics server, or null when disabled. */
  httpPort: number | null;
  health(): Promise<{ ok: boolean } & Record<string, unknown>>;
  /** Graceful stop: IMAP LOGOUT, running jobs finish or are parked, the outbox pass ends. */
  stop(): Promise<void>;
}

/** "<host>:<pid>:<random>": the lease owner id of this process. */
export function ownerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
}

/** Whether the owner of a lease may still be working: dead pids on this host are not. */
export function ownerAlive(owner: string, me: string): boolean {
  if (owner === me) return true;
  const [host, pidText] = owner.split(":");
  if (host !== hostname()) return true; // another machine: wait for its lease to expire
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return false; // an earlier incarnation with our recycled pid
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The mail sources of a daemon: one per IMAP mailbox, the local files, and any given ones. */
function mailSources(opts: DaemonOptions, metrics: DaemonMetrics): MailSource[] {
  const { config, store, log } = opts;
  const out: MailSource[] = [];
  if (opts.imap) {
    for (const mailbox of config.imap.mailboxes) {
      out.push(
        new ImapSource({
          endpoint: opts.imap,
          mailbox,
          checkpoints: store,
          pollIntervalMs: config.imap.pollIntervalMs,
          reconnectMinMs: config.imap.reconnectMinMs,
          reconnectMaxMs: config.imap.reconnectMaxMs,
          log,
          events: {
            connected: (mb, up) => metrics.imapConnected.set({ mailbox: mb }, up ? 1 : 0),
            reconnect: (mb) => metrics.imapReconnects.inc({ mailbox: mb }),
            activity: (mb, at) => metrics.lastImapActivity.set({ mailbox: mb }, at / 1000),
          },
        }),
      );
    }
  }
  if (config.daemon.files.length) {
    // Re-read every poll; Message-ID dedup makes re-reading free of side effects.
    const known = (msgid: string, source: string) => store.hasCopy(msgid, source);
    out.push(new FileSource({ paths: config.daemon.files, maxMessageBytes: config.limits.maxMessageBytes, pollIntervalMs: config.imap.pollIntervalMs, known, log }));
  }
  out.push(...(opts.sources ?? []));
  return out;
}

/** The job kinds the daemon runs, each with its handler. */
function jobHandlers(opts: DaemonOptions, c: { metrics: DaemonMetrics; now: () => number; sender: OutboxSender | null }): Record<string, JobHandler> {
  const { config, store } = opts;
  const { metrics, now, sender } = c;
  return {
    triage: async ({ job, log: jlog, signal }) => {
      const retest = Array.isArray(job.payload["retest"]) ? (job.payload["retest"] as unknown[]).map(String) : [];
      const out = await runTriageJob(job.key, retest, {
        store,
        pipeline: opts.pipeline,
        config,
        log: jlog,
        metrics,
        signal,
        now,
        ...(opts.commands ? { isQuiet: (l: string) => opts.commands?.isQuiet(l) ?? Promise.resolve(false) } : {}),
      });
      if (out.queued.length) sender?.wake();
    },
    test: async ({ job, log: jlog, signal }) => {
      const out = await runTestJob(job.payload, { store, pipeline: opts.pipeline, config, log: jlog, signal, now });
      if (out.queued.length) sender?.wake();
    },
    command: async ({ job, log: jlog }) => {
      const stored = await store.getMessage(job.key);
      if (!stored || !opts.commands) return;
      const raw = stored.message.raw;
      if (!raw) throw new InputError("command mail stored without its raw bytes", job.key);
      const out = await opts.commands.process({ msg: stored.message, raw });
      jlog.info({ status: out.status, sender: out.sender, commands: out.records.length }, "command mail handled");
      if (!out.reply) return;
      // The answer goes through the outbox like any reply: once per command mail (its key).
      const rec = await store.recordTriage({ root: stored.root, results: [], replies: [out.reply], retest: null, now: now() });
      if (rec.queued.length) sender?.wake();
    },
  };
}

/**
 * Starts the long-running daemon: mail sources (IMAP mailboxes, local files, ...) → store →
 * triage jobs → outbox → SMTP, plus the health/metrics endpoint. Everything durable is in the
 * store, so the process can die at any point and a restart carries on.
 */
export async function startDaemon(opts: DaemonOptions): Promise<DaemonHandle> {
  const { config, store, log } = opts;
  const now = opts.now ?? Date.now;
  const metrics = opts.metrics ?? new DaemonMetrics();
  const me = ownerId();

  const released = await store.releaseLeases((o) => ownerAlive(o, me), now());
  if (released) log.info({ released }, "took back jobs of a worker that died");

  const filter = mailFilter(config.reply.from, config.daemon.ignoreFrom, config.daemon.ignoreHeaders);
  const acceptCtx: AcceptContext = { store, config, filter, log, metrics, now };
  const envelopeFrom = (/<([^>]+)>/.exec(config.reply.from)?.[1] ?? config.reply.from).trim();
  const sender = opts.sender ? new OutboxSender({ store, sender: opts.sender, envelopeFrom, cfg: config.daemon.outbox, log, metrics, now }) : null;

  const runner = new JobRunner({
    store,
    owner: me,
    handlers: jobHandlers(opts, { metrics, now, sender }),
    // Each job kind has its own limit (daemon.concurrency); command mails one at a time.
    limits: { triage: config.daemon.concurrency.triage, test: config.daemon.concurrency.test, command: 1 },
    leaseMs: config.daemon.leaseMs,
    maxAttempts: config.daemon.maxAttempts,
    backoffMs: config.daemon.backoffMs,
    log,
    metrics,
    now,
  });

  // After a busy period (mail arriving, jobs, replies being sent), give the memory back.
  const collector = new IdleCollector({
    busy: () => runner.active > 0 || (sender?.active ?? false),
    onCollect: (n) => {
      const m = process.memoryUsage();
      log.debug({ collection: n, rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external }, "idle: garbage collected");
    },
  });

  const sources = mailSources(opts, metrics);
  let stopping = false;
  const sink = async (mail: IncomingMail): Promise<void> => {
    if (stopping) return;
    collector.touch();
    const out = await acceptMessage(acceptCtx, mail.raw, { mailbox: mail.mailbox, uid: mail.uid, source: mail.source, checkpoint: mail.checkpoint, ...(mail.notes ? { notes: mail.notes } : {}), ...(mail.cutFromAnother ? { cutFromAnother: true } : {}) });
    if (out.jobId !== null) runner.wake();
  };

  const health = async (): Promise<{ ok: boolean } & Record<string, unknown>> => {
    const queue = await store.queueCounts();
    const pending = await store.outboxCount("pending");
    // The gauges are set here too, so /metrics and /healthz always agree (also without SMTP).
    for (const [state, n] of Object.entries(queue)) metrics.queueDepth.set({ state }, n);
    metrics.outboxPending.set(pending);
    const src = sources.map((s) => s.health());
    const smtp = sender ? sender.health() : null;
    const ok = src.every((s) => s.ok) && (smtp?.ok ?? true) && !stopping;
    return {
      ok,
      sources: src,
      imap: src.filter((s) => s.kind === "imap").map((s) => ({ mailbox: s.key, connected: s.ok, lastActivity: s.lastActivity })),
      smtp,
      queue,
      outboxPending: pending,
      messages: await store.messageCount(),
    };
  };

  let http: Awaited<ReturnType<typeof startHealthServer>> | null = null;
  if (config.daemon.http.port !== null) {
    http = await startHealthServer({ host: config.daemon.http.host, port: config.daemon.http.port, metrics, health });
    log.info({ url: `http://${config.daemon.http.host}:${http.port}/healthz` }, "health endpoint listening");
  }
  // Every 5 s: refresh the gauges.
  const gauges = setInterval(() => health().catch(() => undefined), 5_000);
  gauges.unref();

  runner.start();
  sender?.start();
  collector.start();
  for (const s of sources) s.start(sink);
  log.info({ owner: me, sources: sources.map((s) => s.key), smtp: Boolean(sender) }, "daemon started");

  return {
    metrics,
    httpPort: http?.port ?? null,
    health,
    async stop() {
      stopping = true;
      clearInterval(gauges);
      collector.stop();
      await Promise.all(sources.map((s) => s.stop()));
      await runner.stop(config.daemon.shutdownGraceMs);
      await sender?.stop();
      await http?.close();
      log.info("daemon stopped");
    },
  };
}
