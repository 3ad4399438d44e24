import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import { StageWorker } from "../daemon/stage-worker.js";
import { Semaphore } from "../daemon/semaphore.js";
import type { Publisher } from "../github/publisher.js";
import { cleanupStaleWorktrees } from "../kernel/io/cleanup-stale-worktrees.js";
import { LocalGitMirror } from "../kernel/io/local-git-mirror.js";
import type { IgnoreRecord } from "../mail-commands/command-context.js";
import type { MailMessage } from "../mail/mail-message.js";
import { rulesDir } from "../package-root.js";
import { loadRelevanceRules } from "../patch/io/load-relevance-rules.js";
import { defaultStages, type PipelineStage } from "./stage-registry.js";
import { triageMessages, type PreviousAnswer, type TestTarget, type TriageRun } from "./triage-messages.js";

/** What each run of the pipeline is given (the rest is fixed when it is built). */
export interface PipelineRunOptions {
  config: Config;
  log: Logger;
  signal?: AbortSignal;
  /** Revision keys already answered: the pipeline need not apply/analyse them again. */
  skip?: ReadonlySet<string>;
  now?: () => Date;
  /** A `#irqtriage test` run on a fetched tree (see TriageDeps.testOn). */
  testOn?: TestTarget;
}

/** The triage pipeline as its callers (`run`, the daemon's jobs) use it; tests may pass a small one. */
export type TriagePipeline = (messages: MailMessage[], opts: PipelineRunOptions) => Promise<TriageRun>;

export interface BuildPipelineOptions {
  config: Config;
  log: Logger;
  /** Later stages; default: the registry's (balance, sim, qemu). `[]` = series, relevance and apply only. */
  stages?: readonly PipelineStage[];
  /** Maintainers' ignores of a lineage (the daemon's command history). */
  ignores?: (lineage: string) => Promise<readonly IgnoreRecord[]>;
  /** The lineage's newest answered revision before this run (the daemon's store). */
  previousAnswer?: (lineage: string) => Promise<PreviousAnswer | null>;
  /**
   * Long-running use: daemon.concurrency limits the applies and each stage named there (qemu),
   * also across concurrent jobs, and daemon.stageWorker.stages run in a helper process.
   */
  daemon?: boolean;
}

export interface Pipeline {
  run: TriagePipeline;
  /** The kernel mirror (null when none is configured). */
  mirror: LocalGitMirror | null;
  /** Stop helper processes. */
  close(): Promise<void>;
}

/**
 * The one composition root of the triage pipeline, for `irqtriage run` and the daemon alike:
 * the relevance rules, the kernel mirror (stale worktrees of a crashed run are removed first),
 * the later stages, the GitHub publisher (github.enabled; octokit is loaded only then) and the
 * maintainers' ignores.
 */
export async function buildPipeline(opts: BuildPipelineOptions): Promise<Pipeline> {
  const { config, log } = opts;
  const rules = await loadRelevanceRules(rulesDir);
  const mirror = config.mirror.path ? new LocalGitMirror({ path: config.mirror.path, log }) : null;
  if (mirror) await cleanupStaleWorktrees(config.stateDir, { mirror, log });
  const publisher: Publisher | null = config.github.enabled
    ? await (await import("../github/io/create-publisher.js")).createPublisher(config.github, { log })
    : null;

  let stages: readonly PipelineStage[] = opts.stages ?? defaultStages();
  let worker: StageWorker | null = null;
  let applyGate: (<T>(fn: () => Promise<T>) => Promise<T>) | undefined;
  if (opts.daemon) {
    const limits: Record<string, number> = config.daemon.concurrency;
    const sems = new Map<string, Semaphore>();
    const sem = (name: string): Semaphore => {
      let s = sems.get(name);
      if (!s) sems.set(name, (s = new Semaphore(limits[name] ?? 1)));
      return s;
    };
    const w = new StageWorker({ idleMs: config.daemon.stageWorker.idleMs, log });
    worker = w;
    const inWorker = new Set<string>(config.daemon.stageWorker.stages);
    stages = stages
      .map((st) => (inWorker.has(st.name) ? w.wrap(st) : st))
      .map((st): PipelineStage => (st.name in limits ? { ...st, run: (input) => sem(st.name).run(() => st.run(input)) } : st));
    applyGate = (fn) => sem("apply").run(fn);
  }

  const run: TriagePipeline = (messages, o) =>
    triageMessages(messages, {
      config: o.config,
      log: o.log,
      rules,
      mirror,
      stages,
      publisher,
      ...(opts.ignores ? { ignores: opts.ignores } : {}),
      ...(opts.previousAnswer ? { previousAnswer: opts.previousAnswer } : {}),
      ...(applyGate ? { applyGate } : {}),
      ...(o.skip ? { skip: o.skip } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.now ? { now: o.now } : {}),
      ...(o.testOn ? { testOn: o.testOn } : {}),
    });
  return { run, mirror, close: async () => worker?.stop() };
}
