import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import { InputError } from "../errors.js";
import { scanHeaders } from "../mail/header-scan.js";
import type { MailMessage, MailProblem } from "../mail/mail-message.js";
import { sanitizeHeaderValues } from "../mail/sanitize-header-values.js";
import { bodyFingerprint } from "../mail/body-fingerprint.js";
import { headerRecord, parseMessage, syntheticMsgid } from "../mail/parse-message.js";
import type { Checkpoint, IngestOutcome, Store } from "../store/store.js";
import { looksLikeCommandMail } from "../mail-commands/io/inspect-command-mail.js";
import { classifyMail, type MailFilter } from "../mail/classify-mail.js";
import type { DaemonMetrics } from "./daemon-metrics.js";

export interface AcceptContext {
  store: Store;
  config: Config;
  filter: MailFilter;
  log: Logger;
  metrics?: DaemonMetrics;
  now?: () => number;
}

/**
 * One raw message from any source → parsed → stored with its checkpoint, in one transaction.
 * Hostile or broken mail never stops the daemon: a message that cannot be parsed is stored as
 * a record (headers as far as they go, the reason in `ignored`) and the checkpoint moves past it.
 */
export async function acceptMessage(
  ctx: AcceptContext,
  raw: Buffer,
  where: { mailbox: string; uid: number | null; source: string; checkpoint: Checkpoint | null; notes?: readonly string[]; cutFromAnother?: boolean },
): Promise<IngestOutcome> {
  const now = (ctx.now ?? Date.now)();
  let msg: MailMessage;
  let ignored: string | null = null;
  try {
    const scan = scanHeaders(raw);
    msg = await parseMessage(raw, where.source, { keepRaw: true, maxMessageBytes: ctx.config.limits.maxMessageBytes, engine: "auto", scan });
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    msg = brokenMessage(raw, where.source);
    ignored = `unparseable: ${err.message}`;
    ctx.log.warn({ source: where.source, err: err.message }, "mail not parseable; recorded and skipped");
  }
  if (where.cutFromAnother) msg = { ...msg, cutFromAnother: true };
  if (where.notes?.length) {
    msg = { ...msg, problems: [...(msg.problems ?? []), ...where.notes.map((n) => ({ severity: "warning" as const, message: n }))] };
  }
  if (msg.problems?.length) ctx.log.info({ source: where.source, msgid: msg.msgid, problems: msg.problems.map((p) => p.message) }, "mail recorded with problems");
  if (!ignored) ignored = classifyMail(msg, ctx.filter);
  // A command mail keeps its raw bytes: DKIM verification needs them exactly.
  const command = !ignored && looksLikeCommandMail(raw);
  if (command && !msg.raw) msg = { ...msg, raw };
  if (!ignored && (await ctx.store.outboxByMessageId(msg.msgid))) ignored = "our own reply (Message-ID in the outbox)";
  const outcome = await ctx.store.ingestMessage({
    message: msg,
    mailbox: where.mailbox,
    uid: where.uid,
    ignored,
    checkpoint: where.checkpoint,
    settleMs: ctx.config.daemon.settleMs,
    maxDelayMs: ctx.config.daemon.maxDelayMs,
    ...(command ? { jobs: [{ kind: "command", key: msg.msgid }] } : {}),
    now,
  });
  ctx.metrics?.messagesSeen.inc({ outcome: !outcome.inserted ? "duplicate" : ignored ? "ignored" : "queued" });
  if (outcome.conflict) {
    ctx.log.warn({ msgid: msg.msgid, source: where.source, conflict: outcome.conflict }, "conflicting copy of a stored Message-ID: recorded, the first copy is kept");
  }
  if (outcome.confirmedOutbox) ctx.log.info({ key: outcome.confirmedOutbox, msgid: msg.msgid }, "own reply seen on the list: delivery confirmed");
  ctx.log.debug({ msgid: msg.msgid, source: where.source, inserted: outcome.inserted, ignored, root: outcome.root }, "mail stored");
  return outcome;
}

/** What can be said about a message the parser refused: enough to record it, nothing to triage. */
function brokenMessage(raw: Buffer, source: string): MailMessage {
  let scan: ReturnType<typeof scanHeaders> | null = null;
  try {
    scan = scanHeaders(raw.subarray(0, 256 * 1024));
  } catch {
    scan = null;
  }
  const problems: MailProblem[] = [];
  const head = sanitizeHeaderValues(
    { msgid: scan?.msgid ?? null, inReplyTo: scan?.inReplyTo ?? null, references: scan?.references ?? [], subject: scan?.subject ?? "", from: scan?.from ?? null, to: [], cc: [], date: scan?.date ?? null },
    problems,
  );
  const msgid = head.msgid ?? syntheticMsgid(raw);
  return {
    msgid,
    msgidSynthetic: head.msgid === null,
    inReplyTo: head.inReplyTo,
    references: head.references,
    subject: head.subject,
    from: head.from,
    to: [],
    cc: [],
    date: head.date,
    ...(problems.length ? { problems } : {}),
    headers: scan ? headerRecord(scan.fields) : {},
    text: "",
    attachments: [],
    source,
    raw: null,
    bodyParsed: false,
    ...(scan ? { bodyHash: bodyFingerprint(raw, scan.bodyStart) } : {}),
  };
}
