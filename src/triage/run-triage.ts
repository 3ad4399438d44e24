import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import { outboxDir } from "../config/load-config.js";
import { cleanupStaleWorktrees } from "../kernel/cleanup-stale-worktrees.js";
import { GitMirror } from "../kernel/git-mirror.js";
import type { MailMessage } from "../mail/mail-message.js";
import { ingest } from "../mail/ingest.js";
import { createPublisher } from "../github/create-publisher.js";
import { loadRelevanceRules } from "../patch/load-relevance-rules.js";
import { rulesDir } from "../package-root.js";
import type { RevisionStage } from "./revision-stage.js";
import { triageMessages, type TriageRun } from "./triage-messages.js";
import type { TriageError } from "./triage-result.js";
import { writeOutbox } from "./write-outbox.js";

export interface RunTriageOptions {
  paths: readonly string[];
  config: Config;
  log: Logger;
  stages?: readonly RevisionStage[];
  signal?: AbortSignal;
  now?: () => Date;
}

export interface RunTriageOutcome extends TriageRun {
  /** Replies written by this run (a revision answered by an earlier run keeps its old file). */
  written: string[];
  messages: number;
}

/**
 * `irqtriage run`: read mail from files, triage it, write one reply per relevant revision into
 * the outbox (never a second one for the same revision), and return the result for printing.
 */
export async function runTriage(opts: RunTriageOptions): Promise<RunTriageOutcome> {
  const { config, log } = opts;
  const ingestErrors: TriageError[] = [];
  const messages: MailMessage[] = [];
  for await (const item of ingest(opts.paths, { maxMessageBytes: config.limits.maxMessageBytes, log })) {
    if ("error" in item) ingestErrors.push(item.error);
    else messages.push(item);
  }
  log.info({ messages: messages.length, errors: ingestErrors.length }, "mail read");

  const mirror = config.mirror.path ? new GitMirror({ path: config.mirror.path, log }) : null;
  if (mirror) {
    // Worktrees left by a crashed run are removed before new ones are made.
    await cleanupStaleWorktrees(config.stateDir, { mirror, log });
  }
  const rules = await loadRelevanceRules(rulesDir);
  const publisher = await createPublisher(config.github, { log });
  const run = await triageMessages(messages, {
    config,
    log,
    rules,
    mirror,
    publisher,
    ...(opts.stages ? { stages: opts.stages } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.now ? { now: opts.now } : {}),
  });
  run.result.errors.unshift(...ingestErrors);

  const dir = outboxDir(config);
  const written: string[] = [];
  for (const rr of run.revisions) {
    if (!rr.reply) continue;
    const out = await writeOutbox(dir, rr.reply);
    rr.result.reply = out.path;
    if (out.created) written.push(out.path);
  }
  return { ...run, written, messages: messages.length };
}
