import type { Logger } from "pino";
import type { TriageError } from "../triage/triage-result.js";
import type { MailMessage } from "./mail-message.js";
import { parseAddresses, scanHeaders, type HeaderScan } from "./header-scan.js";
import { DEFAULT_MAX_MESSAGE_BYTES, headerRecord, parseMessage, syntheticMsgid } from "./parse-message.js";
import { readMailItems, type RawMail, type RawMailItem } from "./sources/read-mail.js";
import { InputError } from "../errors.js";

export type IngestItem = MailMessage | { error: TriageError };

export interface IngestOptions {
  /** config limits.maxMessageBytes (default 40 MiB). */
  maxMessageBytes?: number;
  /** Keep `raw` on messages that may carry a patch (default true: git am needs it). */
  keepRaw?: boolean;
  mboxFormat?: "mboxrd" | "mboxo";
  /**
   * "auto" (default): mailparser for multipart mail, the byte-exact single-part path otherwise.
   * "mailparser": every fully parsed message goes through mailparser.
   */
  engine?: "auto" | "mailparser";
  /** Parse every body, not only those the header scan marks (slow; for checks and tests). */
  parseAll?: boolean;
  log?: Logger;
}

/**
 * Reads and parses mail from paths (mbox, maildir, .eml, folders). Each message gets a cheap
 * header scan first; only those that may carry a patch, a review or trailers are fully parsed,
 * the rest become light messages (`text` "", `bodyParsed: false`). Bad mail never throws: its
 * problems come out as `{ error }` items (after the message when it was still usable) and the
 * next message is processed. Duplicate Message-IDs are all yielded; threading dedups them.
 */
export async function* ingest(paths: readonly string[], opts: IngestOptions = {}): AsyncGenerator<IngestItem> {
  const max = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  yield* ingestRaw(readMailItems(paths, { maxMessageBytes: max, ...(opts.mboxFormat ? { mboxFormat: opts.mboxFormat } : {}) }), opts);
}

/** The same for messages that come from elsewhere (IMAP): raw bytes in, messages and errors out. */
export async function* ingestRaw(items: AsyncIterable<RawMailItem | RawMail>, opts: IngestOptions = {}): AsyncGenerator<IngestItem> {
  for await (const item of items) {
    if ("error" in item) {
      opts.log?.warn({ source: item.error.source }, item.error.message);
      yield item;
      continue;
    }
    for (const out of await ingestOne(item.raw, item.source, opts)) yield out;
  }
}

/** One message: the MailMessage (when usable) followed by one `{ error }` per recorded problem. */
export async function ingestOne(raw: Buffer, source: string, opts: IngestOptions = {}): Promise<IngestItem[]> {
  const max = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  try {
    if (raw.length > max) throw new InputError(`message is ${raw.length} bytes, over the limit of ${max} (limits.maxMessageBytes); not parsed`, source);
    const scan = scanHeaders(raw);
    if (scan.fields.length === 0) throw new InputError("not a mail message: no header fields", source);
    const msg =
      scan.needsFullParse || opts.parseAll
        ? await parseMessage(raw, source, { keepRaw: opts.keepRaw ?? true, maxMessageBytes: max, engine: opts.engine ?? "auto", scan })
        : lightMessage(raw, source, scan);
    const out: IngestItem[] = [msg];
    for (const p of msg.problems ?? []) {
      out.push({ error: { source, message: p.severity === "warning" ? `warning: ${p.message}` : p.message } });
    }
    return out;
  } catch (err) {
    const message = err instanceof InputError ? err.message : `internal error while parsing: ${(err as Error).message}`;
    opts.log?.warn({ source, err }, "mail not parsed");
    return [{ error: { source, message } }];
  }
}

/**
 * List boilerplate that every list mail repeats and nothing downstream reads; dropped from light
 * messages only (100k light messages would otherwise hold ~100 MB of it). Fully parsed messages
 * keep every header but the trace ones (see TRACE_HEADERS).
 */
const LIGHT_DROPPED = /^(?:list-(?:subscribe|unsubscribe|archive|post|help|owner)|x-spam-.*|mime-version)$/;

/** A message known from its headers only (no patch hint): enough for threading and reports. */
function lightMessage(raw: Buffer, source: string, scan: HeaderScan): MailMessage {
  let msgid = scan.msgid;
  const msg: MailMessage = {
    msgid: msgid ?? "",
    msgidSynthetic: false,
    inReplyTo: scan.inReplyTo,
    references: scan.references,
    subject: scan.subject,
    from: scan.from,
    to: parseAddresses(joined(scan, "to")),
    cc: parseAddresses(joined(scan, "cc")),
    date: scan.date,
    headers: headerRecord(scan.fields.filter((f) => !LIGHT_DROPPED.test(f.name))),
    text: "",
    attachments: [],
    source,
    raw: null,
    bodyParsed: false,
  };
  if (msgid === null) {
    msgid = syntheticMsgid(raw);
    msg.msgid = msgid;
    msg.msgidSynthetic = true;
    msg.problems = [{ severity: "error", message: `no Message-ID header; using synthesized <${msgid}>` }];
  }
  return msg;
}

function joined(scan: HeaderScan, name: string): string | null {
  let out: string | null = null;
  for (const f of scan.fields) if (f.name === name) out = out === null ? f.value : `${out}, ${f.value}`;
  return out;
}
