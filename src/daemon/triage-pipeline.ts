import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import type { MailMessage } from "../mail/mail-message.js";
import type { OutgoingReply } from "../report/outgoing-reply.js";
import type { TriageResult } from "../triage/triage-result.js";

/**
 * What the daemon needs from the triage pipeline: the lead's
 * `triageMessages(messages, deps): Promise<{ result, replies }>` (src/triage/triage-messages.ts).
 * The daemon takes the pipeline as a parameter so tests can inject a small one; the default is
 * the real one, loaded lazily.
 */
export interface PipelineDeps {
  config: Config;
  log: Logger;
  signal?: AbortSignal;
}

export type TriagePipeline = (messages: MailMessage[], deps: PipelineDeps) => Promise<{ result: TriageResult; replies: OutgoingReply[] }>;

/**
 * Adapter to the lead's `triageMessages`. Imported by a computed specifier so that the daemon
 * builds even before (or without) that module; a missing module is a clear error at first use.
 */
export async function loadTriagePipeline(): Promise<TriagePipeline> {
  const spec = "../triage/triage-messages.js";
  let mod: { triageMessages?: unknown };
  try {
    mod = (await import(spec)) as { triageMessages?: unknown };
  } catch (err) {
    throw new Error(`triage pipeline unavailable (src/triage/triage-messages.ts): ${(err as Error).message}`);
  }
  if (typeof mod.triageMessages !== "function") throw new Error("src/triage/triage-messages.ts does not export triageMessages()");
  const fn = mod.triageMessages as (m: MailMessage[], d: PipelineDeps) => Promise<{ result: TriageResult; replies: OutgoingReply[] }>;
  return (messages, deps) => fn(messages, deps);
}
