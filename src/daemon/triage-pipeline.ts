import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import { cleanupStaleWorktrees } from "../kernel/cleanup-stale-worktrees.js";
import { GitMirror } from "../kernel/git-mirror.js";
import type { MailMessage } from "../mail/mail-message.js";
import { loadRelevanceRules } from "../patch/load-relevance-rules.js";
import type { OutgoingReply } from "../report/outgoing-reply.js";
import type { RevisionResult, TriageResult } from "../triage/triage-result.js";
import { Semaphore } from "./semaphore.js";

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

type TriageMessagesFn = (messages: readonly MailMessage[], deps: Record<string, unknown>) => Promise<PipelineRun>;

/**
 * The real pipeline: the lead's triageMessages with the relevance rules, the kernel mirror
 * (config.mirror.path; stale worktrees of a crashed run are removed first) and the default
 * later stages. The triage modules are imported lazily by computed specifier so the daemon
 * still builds and its tests still run when that part of the tree is being reworked.
 */
export async function loadTriagePipeline(config: Config, log: Logger): Promise<TriagePipeline> {
  const load = async <T>(spec: string): Promise<T> => {
    try {
      return (await import(spec)) as T;
    } catch (err) {
      throw new Error(`triage pipeline unavailable (${spec}): ${(err as Error).message}`);
    }
  };
  const tm = await load<{ triageMessages?: TriageMessagesFn }>("../triage/triage-messages.js");
  if (typeof tm.triageMessages !== "function") throw new Error("src/triage/triage-messages.ts does not export triageMessages()");
  const triageMessages = tm.triageMessages;
  const ds = await load<{ defaultStages?: (c: Config) => Promise<unknown[]> }>("../triage/default-stages.js").catch(() => ({ defaultStages: undefined }));
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
  const rawStages = (ds.defaultStages ? await ds.defaultStages(config) : []) as { name?: unknown; run?: unknown }[];
  const stages = rawStages.map((st) => {
    const name = typeof st.name === "string" ? st.name : "";
    const run = st.run;
    if (!(name in limits) || typeof run !== "function") return st;
    return { ...st, run: (input: unknown) => sem(name).run(() => (run as (i: unknown) => Promise<unknown>).call(st, input)) };
  });
  const rules = await loadRelevanceRules(fileURLToPath(new URL("../../rules", import.meta.url)));
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
      ...(deps.skip ? { skip: deps.skip } : {}),
      ...(deps.signal ? { signal: deps.signal } : {}),
    }));
}
