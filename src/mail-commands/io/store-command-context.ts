import type { Store } from "../../store/store.js";
import type { Finding } from "../../types/finding.js";
import type { CommandContext, CommandRecord, IgnoreRecord, SeriesStatus, ThreadRef } from "../command-context.js";
import type { RateLimitStore } from "../rate-limiter.js";

const stateOf: Record<CommandRecord["outcome"], "refused" | "done" | "failed"> = {
  done: "done",
  invalid: "refused",
  "too-many": "refused",
  failed: "failed",
  refused: "refused",
  "rate-limited": "refused",
};

/** A stored finding as `#irqtriage explain` prints it: what, where, and the evidence. */
function explainText(f: Finding, stage: string, version: number): string {
  const where = f.file ? `${f.file}${f.line ? `:${f.line}` : ""}` : null;
  return [
    `${f.summary}`,
    `(${f.severity}, from the ${stage} stage of v${version}${where ? `, at ${where}` : ""})`,
    ...(f.detail ? ["", ...f.detail.split("\n").map((l) => `  ${l}`)] : []),
  ].join("\n");
}

/**
 * CommandContext on the daemon's Store. Everything a command leaves behind is a row of the
 * store's command history (the `commands` table, unique per Message-ID and line), so ignores and
 * quiet flags survive restarts and are idempotent for free:
 * - ignore: verb "ignore", thread = lineage, args [findingId, reason, version], state done;
 * - quiet: verb "quiet", thread = lineage, state done;
 * - retest: `store.requestRetest` with the command mail's Message-ID as the retest token;
 * - test: a job of kind "test" (payload: lineage, version, tree name — its URL is looked up in
 *   the config again —
 *   checked ref); the daemon needs a runner for that kind.
 */
export function storeCommandContext(store: Store, now: () => number = Date.now): CommandContext & { isQuiet(lineage: string): Promise<boolean> } {
  const history = (limit = 5000) => store.commands({ limit });
  const ensure = async (req: { msgid: string; line: number; by: string; lineage: string }, verb: string, args: string[]) => {
    const t = now();
    const { id } = await store.recordCommand({ msgid: req.msgid, index: req.line, sender: req.by, verb, args, thread: req.lineage, now: t });
    await store.updateCommand(id, { state: "done" }, t);
  };
  return {
    async resolveThread(msgids): Promise<ThreadRef | null> {
      for (const m of msgids) {
        const root = await store.threadRootOf(m);
        if (!root) continue;
        const revs = (await store.revisionResults({ limit: 10_000 })).filter((r) => r.root === root);
        const latest = revs.sort((a, b) => b.version - a.version)[0];
        if (latest) return { lineage: latest.lineage, version: latest.version, title: latest.result.title };
      }
      return null;
    },
    async enqueueRetest(req) {
      const res = await store.requestRetest({ msgid: req.msgid, requestedBy: req.msgid, now: now() });
      if (!res) throw new Error(`command mail ${req.msgid} is not in the store`);
      return { jobId: String(res.jobId) };
    },
    async enqueueTest(req) {
      const t = now();
      const jobId = await store.enqueueJob({
        kind: "test",
        key: `${req.lineage}#v${req.version}@${req.tree.name}:${req.ref}`,
        payload: { lineage: req.lineage, version: req.version, tree: req.tree.name, ref: req.ref, requestedBy: req.msgid },
        runAt: t,
        now: t,
      });
      return { jobId: String(jobId) };
    },
    async statusOf(lineage): Promise<SeriesStatus | null> {
      const revs = await store.revisionResults({ lineage });
      const last = revs.at(-1);
      if (!last) return null;
      const stages = await store.stageResults(lineage);
      const ignores = await this.listIgnores(lineage);
      return {
        title: last.result.title,
        revisions: revs.map((r) => {
          const st = stages.filter((s) => s.version === r.version);
          const stageText = st.length ? `; ${st.map((s) => `${s.stage} ${s.status}`).join(", ")}` : "";
          return {
            version: r.version,
            state: `${r.result.relevant ? "relevant" : "not relevant"}, apply ${r.result.apply.status}${stageText}`,
            findings: st.length ? st.reduce((n, s) => n + s.findings.length, 0) : null,
          };
        }),
        quiet: await this.isQuiet(lineage),
        ignores,
      };
    },
    async explain(findingId, lineage) {
      if (!lineage) return null;
      // The newest revision that has it: what the stage stored when it ran (also after a restart).
      for (const s of (await store.stageResults(lineage)).reverse()) {
        const hit = s.findings.find((f) => f.id === findingId);
        if (hit) return explainText(hit, s.stage, s.version);
      }
      return null;
    },
    async ignore(record, req) {
      await ensure(req, "ignore", [record.findingId, record.reason, String(record.version)]);
    },
    async listIgnores(lineage): Promise<IgnoreRecord[]> {
      return (await history())
        .filter((c) => c.verb === "ignore" && c.thread === lineage && c.state === "done" && c.args.length === 3)
        .map((c) => ({
          lineage,
          findingId: c.args[0] ?? "",
          reason: c.args[1] ?? "",
          version: Number(c.args[2]),
          by: c.sender,
          at: new Date(c.createdAt),
        }))
        .reverse();
    },
    async setQuiet(req) {
      await ensure(req, "quiet", []);
    },
    async isQuiet(lineage) {
      return (await history()).some((c) => c.verb === "quiet" && c.thread === lineage && c.state === "done");
    },
    async recordCommand(r) {
      const t = r.at.getTime();
      const { id } = await store.recordCommand({
        msgid: r.msgid,
        index: r.line ?? 0,
        sender: r.sender ?? "(unknown)",
        verb: r.verb ?? "-",
        args: [],
        thread: r.lineage,
        now: t,
      });
      await store.updateCommand(id, { state: stateOf[r.outcome], result: { outcome: r.outcome, detail: r.detail } }, t);
    },
  };
}

/**
 * Rate-limit history from the command history itself: the accepted command mails (one per
 * Message-ID) of a sender or a thread. Nothing extra to save, and it survives restarts.
 */
export function storeRateLimitStore(store: Store): RateLimitStore {
  return {
    async load(key) {
      const [scope, ...rest] = key.split(":");
      const value = rest.join(":");
      const rows = scope === "sender" ? await store.commands({ sender: value, limit: 2000 }) : await store.commands({ limit: 5000 });
      const first = new Map<string, number>();
      for (const c of rows) {
        if (scope === "thread" && c.thread !== value) continue;
        if (c.state === "refused" && (c.result as { outcome?: string } | null)?.outcome !== "invalid") continue;
        const prev = first.get(c.msgid);
        if (prev === undefined || c.createdAt < prev) first.set(c.msgid, c.createdAt);
      }
      return [...first.values()];
    },
    async save() {
      // The command records written for the accepted mail are the history.
    },
  };
}
