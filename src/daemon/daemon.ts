import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import { scanHeaders } from "../mail/header-scan.js";
import { readMail } from "../mail/sources/read-mail.js";
import type { Store } from "../store/store.js";
import { InputError } from "../errors.js";
import { acceptMessage, type AcceptContext } from "./accept-message.js";
import { mailFilter } from "./classify-mail.js";
import { DaemonMetrics } from "./daemon-metrics.js";
import { startHealthServer } from "./health-server.js";
import { IdleCollector } from "./idle-collector.js";
import { ImapFollower, type ImapEndpoint } from "./imap-follower.js";
import { JobRunner } from "./job-runner.js";
import { OutboxSender, type MailSender } from "./outbox-sender.js";
import { runTriageJob } from "./run-triage-job.js";
import type { TriagePipeline } from "./triage-pipeline.js";
import type { CommandProcessor } from "../commands/create-command-processor.js";

export interface DaemonOptions {
  config: Config;
  store: Store;
  log: Logger;
  /** The triage pipeline (default: the lead's triageMessages, see triage-pipeline.ts). */
  pipeline: TriagePipeline;
  /** IMAP server to follow (config.imap.mailboxes), or null. */
  imap: ImapEndpoint | null;
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

/**
 * Starts the long-running daemon: mail sources (IMAP mailboxes, local files) → store → triage
 * jobs → outbox → SMTP, plus the health/metrics endpoint. Everything durable is in the store,
 * so the process can die at any point and a restart carries on.
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

  const sender = opts.sender
    ? new OutboxSender({ store, sender: opts.sender, envelopeFrom: (/<([^>]+)>/.exec(config.reply.from)?.[1] ?? config.reply.from).trim(), cfg: config.daemon.outbox, log, metrics, now })
    : null;

  const runner = new JobRunner({
    store,
    owner: me,
    handlers: {
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
    },
    limits: { ...config.daemon.concurrency, command: 1 },
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

  const followers: ImapFollower[] = [];
  if (opts.imap) {
    for (const mailbox of config.imap.mailboxes) {
      followers.push(
        new ImapFollower({
          endpoint: opts.imap,
          mailbox,
          store,
          pollIntervalMs: config.imap.pollIntervalMs,
          reconnectMinMs: config.imap.reconnectMinMs,
          reconnectMaxMs: config.imap.reconnectMaxMs,
          log,
          metrics,
          onMessage: async (raw, where) => {
            collector.touch();
            const out = await acceptMessage(acceptCtx, raw, { mailbox: where.mailbox, uid: where.uid, source: `${where.mailbox};UID=${where.uid}`, checkpoint: where.checkpoint });
            if (out.jobId !== null) runner.wake();
          },
        }),
      );
    }
  }

  // Local files: re-read every poll; Message-ID dedup makes re-reading free of side effects.
  let filesTimer: NodeJS.Timeout | null = null;
  let filesBusy: Promise<void> | null = null;
  let stopping = false;
  const readFiles = async (): Promise<void> => {
    const paths = config.daemon.files;
    for await (const m of readMail(paths, { maxMessageBytes: config.limits.maxMessageBytes, onError: (e) => log.warn({ error: e }, "mail file problem") })) {
      if (stopping) return;
      const head = scanHeaders(m.raw);
      if (head.msgid && (await store.hasMessage(head.msgid))) continue;
      collector.touch();
      const out = await acceptMessage(acceptCtx, m.raw, { mailbox: "files", uid: null, source: m.source, checkpoint: null });
      if (out.jobId !== null) runner.wake();
    }
  };
  const scheduleFiles = (): void => {
    if (stopping || !config.daemon.files.length) return;
    filesBusy = readFiles()
      .catch((err: unknown) => log.error({ err }, "reading mail files failed"))
      .finally(() => {
        filesBusy = null;
        if (!stopping) filesTimer = setTimeout(scheduleFiles, config.imap.pollIntervalMs);
      });
  };

  const health = async (): Promise<{ ok: boolean } & Record<string, unknown>> => {
    const queue = await store.queueCounts();
    const imap = followers.map((f) => ({ mailbox: f.key, connected: f.connected, lastActivity: f.lastActivity ? new Date(f.lastActivity).toISOString() : null }));
    for (const [state, n] of Object.entries(queue)) metrics.queueDepth.set({ state }, n);
    const ok = followers.every((f) => f.connected) && !stopping;
    return { ok, imap, queue, outboxPending: await store.outboxCount("pending"), messages: await store.messageCount() };
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
  for (const f of followers) f.start();
  scheduleFiles();
  log.info({ owner: me, mailboxes: followers.map((f) => f.key), files: config.daemon.files, smtp: Boolean(sender) }, "daemon started");

  return {
    metrics,
    httpPort: http?.port ?? null,
    health,
    async stop() {
      stopping = true;
      clearInterval(gauges);
      collector.stop();
      if (filesTimer) clearTimeout(filesTimer);
      await Promise.all(followers.map((f) => f.stop()));
      await filesBusy;
      await runner.stop(config.daemon.shutdownGraceMs);
      await sender?.stop();
      await http?.close();
      log.info("daemon stopped");
    },
  };
}
