import path from "node:path";
import { existsSync } from "node:fs";
import { loadConfig } from "../../config/io/load-config.js";
import { ExitCode, UsageError } from "../../errors.js";
import { SqliteStore } from "../../store/sqlite/sqlite-store.js";
import type { Store } from "../../store/store.js";
import { optBool, optString } from "../args.js";
import type { CliCommand } from "../cli-command.js";

const help = `usage: irqtriage status [--state <dir> | --config <file>] [--json] [--limit <n>]
                        [--requeue <job id>]

Shows the daemon's state: the job queue (running jobs, dead letters), the recent series
revisions and their results, the outbox (pending, in doubt, sent, abandoned), mailbox
checkpoints, and mail kept but not triaged (own, bots, unparseable). Reads the store only;
safe while the daemon runs. --requeue puts a dead-lettered job back in the queue.
--json prints one object: {"messages", "checkpoints", "queue": {"counts", "running", "dead"},
"series": [...], "outbox": {"counts", "entries"}, "ignored": [...], "conflicts": [...]}.
`;

export async function statusReport(store: Store, limit: number): Promise<Record<string, unknown>> {
  const outboxAll = await store.outbox({ limit: 100_000 });
  const counts: Record<string, number> = { pending: 0, sending: 0, sent: 0, abandoned: 0, failed: 0 };
  for (const e of outboxAll) counts[e.state] = (counts[e.state] ?? 0) + 1;
  const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
  return {
    messages: await store.messageCount(),
    checkpoints: await store.checkpoints(),
    queue: {
      counts: await store.queueCounts(),
      running: (await store.jobs({ states: ["running"], limit })).map((j) => ({ id: j.id, kind: j.kind, key: j.key, attempts: j.attempts, owner: j.leaseOwner, leaseExpiresAt: iso(j.leaseExpiresAt) })),
      queued: (await store.jobs({ states: ["queued"], limit })).map((j) => ({ id: j.id, kind: j.kind, key: j.key, attempts: j.attempts, runAt: iso(j.runAt), lastError: j.lastError })),
      dead: (await store.jobs({ states: ["dead", "failed"], limit })).map((j) => ({ id: j.id, kind: j.kind, key: j.key, attempts: j.attempts, error: j.lastError, at: iso(j.updatedAt) })),
    },
    series: (await store.revisionResults({ limit })).map((r) => ({
      lineage: r.lineage,
      version: r.version,
      title: r.result.title,
      author: r.result.author,
      relevant: r.result.relevant,
      missing: r.result.missing,
      apply: r.result.apply.status,
      updatedAt: iso(r.updatedAt),
    })),
    outbox: {
      counts,
      entries: outboxAll.slice(0, limit).map((e) => ({
        key: e.key,
        messageId: e.messageId,
        inReplyTo: e.inReplyTo,
        subject: e.subject,
        state: e.state,
        attempts: e.attempts,
        lastError: e.lastError,
        createdAt: iso(e.createdAt),
        sentAt: iso(e.sentAt),
        sentHow: e.sentHow,
      })),
    },
    ignored: (await store.ignoredMessages(limit)).map((m) => ({ ...m, receivedAt: iso(m.receivedAt) })),
    conflicts: (await store.conflicts(limit)).map((c) => ({ ...c, receivedAt: iso(c.receivedAt) })),
  };
}

function text(r: Record<string, unknown>): string {
  const q = r["queue"] as { counts: Record<string, number>; running: { id: number; kind: string; key: string }[]; dead: { id: number; kind: string; key: string; attempts: number; error: string | null }[] };
  const o = r["outbox"] as { counts: Record<string, number>; entries: { state: string; key: string; subject: string; lastError: string | null }[] };
  const conflicts = r["conflicts"] as { msgid: string; source: string; reason: string }[];
  const series = r["series"] as { lineage: string; version: number; title: string; relevant: boolean; apply: string; missing: number[] }[];
  const lines = [
    `messages: ${String(r["messages"])}`,
    `queue: ${Object.entries(q.counts).map(([k, v]) => `${k} ${v}`).join(", ")}`,
    ...q.running.map((j) => `  running #${j.id} ${j.kind} ${j.key}`),
    ...(q.dead.length ? ["dead letters:", ...q.dead.map((j) => `  #${j.id} ${j.kind} ${j.key} (${j.attempts} attempts): ${j.error ?? ""}`)] : []),
    `outbox: ${Object.entries(o.counts).map(([k, v]) => `${k} ${v}`).join(", ")}`,
    ...o.entries.map((e) => `  [${e.state}] ${e.subject}${e.lastError ? ` (${e.lastError})` : ""}`),
    ...conflicts.map((c) => `conflict: another copy of <${c.msgid}> from ${c.source} (${c.reason}); the first copy is kept`),
    "recent series:",
    ...series.map((s) => `  v${s.version} ${s.title} [${s.relevant ? "relevant" : "not relevant"}, apply ${s.apply}${s.missing.length ? `, missing ${s.missing.join(",")}` : ""}]`),
  ];
  return lines.join("\n") + "\n";
}

export const command: CliCommand = {
  name: "status",
  summary: "show the daemon's queue, recent series, outbox and dead letters",
  help,
  allowPositionals: false,
  options: {
    state: { type: "string" },
    config: { type: "string" },
    json: { type: "boolean" },
    limit: { type: "string" },
    requeue: { type: "string" },
  },
  async run(args, io) {
    const stateArg = optString(args, "state") ?? io.env["IRQTRIAGE_STATE"];
    const stateDir = stateArg ? path.resolve(io.cwd, stateArg) : (await loadConfig(optString(args, "config"), io.env, io.cwd)).stateDir;
    if (!existsSync(path.join(stateDir, "irqtriage.sqlite"))) throw new UsageError(`no daemon state in ${stateDir} (irqtriage.sqlite missing)`);
    const limitText = optString(args, "limit") ?? "20";
    if (!/^\d+$/.test(limitText)) throw new UsageError(`--limit must be a number, got ${limitText}`);
    const store = SqliteStore.open(stateDir);
    try {
      const requeue = optString(args, "requeue");
      if (requeue !== undefined) {
        if (!/^\d+$/.test(requeue)) throw new UsageError(`--requeue takes a job id, got ${requeue}`);
        const ok = await store.requeueDead(Number(requeue), Date.now());
        io.stderr.write(ok ? `job ${requeue} queued again\n` : `job ${requeue} is not dead or failed\n`);
        if (!ok) return ExitCode.usage;
      }
      const report = await statusReport(store, Number(limitText));
      io.stdout.write(optBool(args, "json") ? JSON.stringify(report, null, 2) + "\n" : text(report));
      return ExitCode.ok;
    } finally {
      await store.close();
    }
  },
};
