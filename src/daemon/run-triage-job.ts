import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import type { OutgoingReply } from "../types/outgoing-reply.js";
import type { TriagePipeline } from "../pipeline/build-pipeline.js";
import type { TriageRun } from "../pipeline/triage-messages.js";
import type { Store } from "../store/store.js";
import type { StageRecord } from "../types/stage.js";
import type { RevisionResult } from "../types/triage-result.js";
import type { DaemonMetrics } from "./daemon-metrics.js";

export interface TriageJobDeps {
  store: Store;
  pipeline: TriagePipeline;
  config: Config;
  log: Logger;
  metrics?: DaemonMetrics;
  signal?: AbortSignal;
  now?: () => number;
  /** A maintainer said `#irqtriage quiet` on this lineage: no more replies to it. */
  isQuiet?: (lineage: string) => Promise<boolean>;
}

export interface TriageJobOutcome {
  revisions: number;
  queued: string[];
  skipped: { key: string; why: string }[];
  /** Replies held back because their revision is incomplete and young; the job runs again then. */
  deferredUntil: number | null;
}

/** Reply key → the revision and its stage records. */
function revisionsByKey(run: TriageRun): Map<string, { lineage: string; revision: RevisionResult; stages: readonly StageRecord[] }> {
  return new Map(run.revisions.map((r) => [r.key, { lineage: r.lineage, revision: r.result, stages: r.stages }]));
}

/**
 * One triage job: the thread `root` got new mail. Load that thread plus the same authors'
 * recent patch threads (lineage across revisions), run the pipeline, then in ONE store
 * transaction record every revision result and add the replies to the outbox (by key: a
 * revision is answered once unless a maintainer asked for a retest).
 *
 * Quiet policy, decided here because it needs the store's view of time and history:
 * - a reply whose target is one of our own replies, or mail the daemon ignores, is dropped;
 * - with reply.onlyRelevant, a reply for a revision judged not relevant is dropped;
 * - an incomplete revision (patches missing) is answered only after incompleteGraceMs without
 *   new mail in it, so a series arriving over minutes is answered once, complete.
 */
export async function runTriageJob(root: string, retest: string[], deps: TriageJobDeps): Promise<TriageJobOutcome> {
  const now = deps.now ?? Date.now;
  const { store, config, log } = deps;
  const messages = await store.lineageContext(root, config.daemon.lineageWindowDays);
  const triageable: typeof messages = [];
  for (const m of messages) {
    const stored = await store.getMessage(m.msgid);
    if (!stored?.ignored) triageable.push(m);
  }
  if (!triageable.length) return { revisions: 0, queued: [], skipped: [], deferredUntil: null };

  // Revisions answered before are not applied/analysed again, except this thread's ones when
  // a maintainer asked for a retest.
  const token = config.daemon.allowRetest ? (retest[retest.length - 1] ?? null) : null;
  const answered = await store.answeredKeys();
  const skip = new Set<string>();
  for (const [key, keyRoot] of answered) if (!(token && keyRoot === root)) skip.add(key);

  const started = now();
  const run = await deps.pipeline(triageable, { config, log, skip, ...(deps.signal ? { signal: deps.signal } : {}) });
  deps.metrics?.stageDuration.observe({ stage: "pipeline", outcome: "done" }, (now() - started) / 1000);
  const byKey = revisionsByKey(run);
  for (const r of run.revisions) for (const st of r.stages) deps.metrics?.stageDuration.observe({ stage: st.stage, outcome: st.status }, st.durationMs / 1000);

  const replies: OutgoingReply[] = [];
  const skipped: { key: string; why: string }[] = [];
  let deferredUntil: number | null = null;
  for (const reply of run.replies) {
    const target = await store.getMessage(reply.inReplyTo);
    if (await store.outboxByMessageId(reply.inReplyTo)) {
      skipped.push({ key: reply.key, why: "target is a reply of ours" });
      continue;
    }
    if (target?.ignored) {
      skipped.push({ key: reply.key, why: `target is ignored mail (${target.ignored})` });
      continue;
    }
    const rev = byKey.get(reply.key);
    if (rev && deps.isQuiet && (await deps.isQuiet(rev.lineage))) {
      skipped.push({ key: reply.key, why: "lineage set quiet by a maintainer" });
      continue;
    }
    if (rev && config.reply.onlyRelevant && !rev.revision.relevant) {
      skipped.push({ key: reply.key, why: "revision not relevant" });
      continue;
    }
    if (rev && rev.revision.missing.length > 0 && config.daemon.incompleteGraceMs > 0) {
      let newest = 0;
      for (const id of [rev.revision.cover, ...rev.revision.patches.map((p) => p.msgid)]) {
        if (!id) continue;
        const m = await store.getMessage(id);
        if (m) newest = Math.max(newest, m.receivedAt);
      }
      const due = newest + config.daemon.incompleteGraceMs;
      if (due > now()) {
        deferredUntil = deferredUntil === null ? due : Math.min(deferredUntil, due);
        skipped.push({ key: reply.key, why: `incomplete (missing ${rev.revision.missing.join(",")}); waiting until ${new Date(due).toISOString()}` });
        continue;
      }
    }
    replies.push(reply);
  }

  // A skipped revision's result says "already triaged": keep the stored one instead.
  const results = [...byKey.entries()].filter(([key]) => !skip.has(key)).map(([, v]) => v);
  const outcome = await store.recordTriage({ root, results, replies, retest: token, now: now() });
  deps.metrics?.seriesTriaged.inc(results.length);
  deps.metrics?.repliesQueued.inc(outcome.queued.length);
  if (deferredUntil !== null) {
    await store.enqueueJob({ kind: "triage", key: root, runAt: deferredUntil, now: now() });
  }
  log.info({ root, messages: triageable.length, revisions: results.length, queued: outcome.queued, skipped: [...skipped, ...outcome.skipped] }, "thread triaged");
  return { revisions: results.length, queued: outcome.queued, skipped: [...skipped, ...outcome.skipped], deferredUntil };
}
