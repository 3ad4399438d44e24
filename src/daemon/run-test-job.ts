import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import { LocalGitMirror } from "../kernel/io/local-git-mirror.js";
import { fetchTreeRef } from "../mail-commands/io/fetch-tree-ref.js";
import type { TriagePipeline } from "../pipeline/build-pipeline.js";
import { noteReplyProblems, replyTargetOf } from "../pipeline/triage-messages.js";
import { composeReply } from "../report/io/compose-reply.js";
import type { Store } from "../store/store.js";
import type { ReportSection } from "../types/report-section.js";

/** What a `test` job carries (written by the command context; the tree is looked up again). */
export interface TestJobPayload {
  lineage: string;
  version: number;
  tree: string;
  ref: string;
  /** The command mail's Message-ID: the answer goes to its thread. */
  requestedBy: string;
}

export interface TestJobDeps {
  store: Store;
  pipeline: TriagePipeline;
  config: Config;
  log: Logger;
  signal?: AbortSignal;
  now?: () => number;
}

function payloadOf(p: Record<string, unknown>): TestJobPayload {
  const s = (k: string): string => (typeof p[k] === "string" ? (p[k] as string) : "");
  return { lineage: s("lineage"), version: Number(p["version"] ?? 0), tree: s("tree"), ref: s("ref"), requestedBy: s("requestedBy") };
}

/**
 * `#irqtriage test <tree> <ref>`: fetch the configured tree's ref, run the lineage's newest
 * revision through the same pipeline on it (apply, analysis, simulation, QEMU when enabled),
 * and answer once in the command mail's thread with what it found. The revision's own stored
 * result and reply are left alone: this is a test on another base, not a retriage.
 */
export async function runTestJob(payload: Record<string, unknown>, deps: TestJobDeps): Promise<{ queued: string[] }> {
  const now = deps.now ?? Date.now;
  const { store, config, log } = deps;
  const p = payloadOf(payload);
  const cmd = await store.getMessage(p.requestedBy);
  if (!cmd) {
    log.warn({ requestedBy: p.requestedBy }, "test: the command mail is gone from the store");
    return { queued: [] };
  }
  const fetched = await fetchTreeRef({
    stateDir: config.stateDir,
    mirrorPath: config.mirror.path,
    trees: config.commands.trees,
    treeName: p.tree,
    ref: p.ref,
    log,
  });
  let intro: string;
  let sections: ReportSection[] = [];
  if (!fetched.ok) {
    intro = `Test of v${p.version} on ${p.tree} ${p.ref}: not run, ${fetched.why}.`;
  } else {
    const root = (await store.threadRootOf(p.requestedBy)) ?? cmd.root;
    const messages = await store.lineageContext(root, config.daemon.lineageWindowDays);
    const run = await deps.pipeline(messages, {
      config,
      log,
      ...(deps.signal ? { signal: deps.signal } : {}),
      testOn: { lineage: p.lineage, mirror: new LocalGitMirror({ path: fetched.repo, log }), base: fetched.base, label: `${p.tree} ${p.ref}` },
    });
    const rev = run.revisions.find((r) => r.lineage === p.lineage);
    if (!rev) {
      intro = `Test of v${p.version} on ${p.tree} ${p.ref}: the series is not in the store any more.`;
    } else {
      const n = rev.findings.length;
      intro =
        `Test of v${rev.result.version} of "${rev.result.title}" on ${p.tree} ${p.ref} ` +
        `(${fetched.base.slice(0, 12)}): ${rev.result.apply.status === "applied" ? "applies" : rev.result.apply.status === "failed" ? "does not apply" : "not applied"}` +
        `${rev.result.apply.status === "applied" ? `, ${n ? `${n} finding${n === 1 ? "" : "s"}` : "no findings"}` : ""}.`;
      sections = rev.sections;
    }
  }
  const m = cmd.message;
  const composed = composeReply({
    key: `test:${p.requestedBy}:${p.tree}:${p.ref}`,
    target: replyTargetOf(m),
    intro,
    sections,
    from: config.reply.from,
    now: new Date(now()),
    recipients: config.reply,
  });
  noteReplyProblems(composed, m.msgid, log);
  const out = await store.recordTriage({ root: cmd.root, results: [], replies: composed.reply ? [composed.reply] : [], retest: null, now: now() });
  log.info({ lineage: p.lineage, tree: p.tree, ref: p.ref, queued: out.queued }, "tree test answered");
  return { queued: out.queued };
}
