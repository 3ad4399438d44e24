import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import { outboxDir } from "../config/io/load-config.js";
import { classifyMail, mailFilter } from "../mail/classify-mail.js";
import { ingest } from "../mail/io/ingest.js";
import type { MailMessage } from "../mail/mail-message.js";
import type { TriageError } from "../types/triage-result.js";
import { buildPipeline } from "./build-pipeline.js";
import type { PipelineStage } from "./stage-registry.js";
import type { TriageRun } from "./triage-messages.js";
import { outboxPreviousAnswer, writeReplySidecar } from "./outbox-previous-answer.js";
import { writeOutbox } from "./write-outbox.js";

export interface RunTriageOptions {
  paths: readonly string[];
  config: Config;
  log: Logger;
  /** Later stages; default: all of the registry. `[]` = series, relevance and apply only. */
  stages?: readonly PipelineStage[];
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
  // Our own mail (the From: address in any letter case) and other bots' mail are never
  // triaged, exactly as in the daemon: a reply of ours read back from an archive gets no reply.
  const filter = mailFilter(config.reply.from, config.daemon.ignoreFrom, config.daemon.ignoreHeaders);
  for await (const item of ingest(opts.paths, { maxMessageBytes: config.limits.maxMessageBytes, log })) {
    if ("error" in item) {
      ingestErrors.push(item.error);
      continue;
    }
    const why = classifyMail(item, filter);
    if (why) {
      log.info({ msgid: item.msgid, source: item.source, why }, "not triaged");
      ingestErrors.push({ source: item.source, message: `warning: not triaged: ${why}` });
      continue;
    }
    messages.push(item);
  }
  log.info({ messages: messages.length, errors: ingestErrors.length }, "mail read");

  const dir = outboxDir(config);
  const previousAnswer = await outboxPreviousAnswer(dir);
  const pipeline = await buildPipeline({ config, log, previousAnswer, ...(opts.stages ? { stages: opts.stages } : {}) });
  let run: TriageRun;
  try {
    run = await pipeline.run(messages, { config, log, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.now ? { now: opts.now } : {}) });
  } finally {
    await pipeline.close();
  }
  run.result.errors.unshift(...ingestErrors);

  const written: string[] = [];
  for (const rr of run.revisions) {
    if (!rr.reply) continue;
    const out = await writeOutbox(dir, rr.reply);
    rr.result.reply = out.path;
    if (!out.created) continue;
    written.push(out.path);
    const { version, rfc } = rr.result;
    await writeReplySidecar(out.path, { key: rr.key, lineage: rr.lineage, version, rfc, messageId: rr.reply.messageId, findings: rr.findings });
  }
  return { ...run, written, messages: messages.length };
}
