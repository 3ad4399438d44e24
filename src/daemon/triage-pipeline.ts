import type { Logger } from "pino";
import { storeCommandContext } from "../commands/store-command-context.js";
import type { Config } from "../config/config.js";
import { cleanupStaleWorktrees } from "../kernel/cleanup-stale-worktrees.js";
import { GitMirror } from "../kernel/git-mirror.js";
import type { MailMessage } from "../mail/mail-message.js";
import { loadRelevanceRules } from "../patch/load-relevance-rules.js";
import { rulesDir } from "../package-root.js";
import type { OutgoingReply } from "../report/outgoing-reply.js";
import type { Store } from "../store/store.js";
import { defaultStages } from "../triage/default-stages.js";
import type { RevisionStage } from "../triage/revision-stage.js";
import { triageMessages } from "../triage/triage-messages.js";
import type { RevisionResult, TriageResult } from "../triage/triage-result.js";
import { Semaphore } from "./semaphore.js";
import { StageWorker } from "./stage-worker.js";

/**
 * What the daemon needs from the triage pipeline: the lead's
 * `triageMessages(messages, deps): Promise<TriageRun>` (src/triage/triage-messages.ts). The
 * daemon takes the pipeline as a parameter so tests can inject a small one; the default is the
 * real one (`loadTriagePipeline`).
 */
export interface PipelineDeps {
  config: Config;
  log: Logger;
  signal?: AbortSignal;
  /** Revision keys already answered: the pipeline need not apply/analyse them again. */
  skip?: ReadonlySet<string>;
}

export interface PipelineRun {
  result: TriageResult;
  replies: OutgoingReply[];
  /** Per revision: its reply key, lineage and result (keys need not follow "<lineage>#v<n>"). */
  revisions?: { key: string; lineage: string; result: RevisionResult }[];
}

export type TriagePipeline = (messages: MailMessage[], deps: PipelineDeps) => Promise<PipelineRun>;

/**
 * The real pipeline: the lead's triageMessages with the relevance rules, the kernel mirror
 * (config.mirror.path; stale worktrees of a crashed run are removed first), the default later
 * stages, the GitHub publisher (github.enabled) and, with a store, the maintainers' ignores of
 * each lineage (`#irqtriage ignore`), which carry over to later revisions.
 */
export async function loadTriagePipeline(config: Config, log: Logger, opts: { store?: Store } = {}): Promise<TriagePipeline> {
  // Heavy work has its own concurrency limit (daemon.concurrency), also when several triage
  // jobs run at once: each later stage named in the limits (qemu) is wrapped in a semaphore,
  // and with a mirror the whole run (worktree + git am + stages on the tree) holds "apply".
  const limits = config.daemon.concurrency as unknown as Record<string, number>;
  const sems = new Map<string, Semaphore>();
  const sem = (name: string): Semaphore => {
    let s = sems.get(name);
    if (!s) sems.set(name, (s = new Semaphore(limits[name] ?? 1)));
    return s;
  };
  const worker = new StageWorker({ idleMs: config.daemon.stageWorker.idleMs, log });
  const inWorker = new Set<string>(config.daemon.stageWorker.stages);
  const stages: RevisionStage[] = (await defaultStages(config))
    .map((st) => (inWorker.has(st.name) ? worker.wrap(st) : st))
    .map((st) => (st.name in limits ? { ...st, run: (input) => sem(st.name).run(() => st.run(input)) } : st));
  // octokit only in a daemon that publishes: it is a few MB of code an idle daemon would carry.
  const publisher = config.github.enabled ? await (await import("../github/create-publisher.js")).createPublisher(config.github, { log }) : null;
  const commandCtx = opts.store ? storeCommandContext(opts.store) : null;
  const rules = await loadRelevanceRules(rulesDir);
  const mirror = config.mirror.path ? new GitMirror({ path: config.mirror.path, log }) : null;
  if (mirror) await cleanupStaleWorktrees(config.stateDir, { mirror, log });
  const gate = <T>(fn: () => Promise<T>): Promise<T> => (mirror ? sem("apply").run(fn) : fn());
  return (messages, deps) =>
    gate(() => triageMessages(messages, {
      config: deps.config,
      log: deps.log,
      rules,
      mirror,
      stages,
      publisher,
      ...(commandCtx ? { ignores: (lineage: string) => commandCtx.listIgnores(lineage) } : {}),
      ...(deps.skip ? { skip: deps.skip } : {}),
      ...(deps.signal ? { signal: deps.signal } : {}),
    }));
}
