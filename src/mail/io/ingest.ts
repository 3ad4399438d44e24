import type { Logger } from "pino";
import type { TriageError } from "../../types/triage-result.js";
import type { MailDigest, MailMessage, MailProblem } from "../mail-message.js";
import { parseAddresses, parseRepeatingAddresses, scanHeaders, type HeaderScan } from "../header-scan.js";
import { DEFAULT_MAX_MESSAGE_BYTES, headerRecord, parseMessage, syntheticMsgid } from "../parse-message.js";
import { FileSource } from "./file-source.js";
import type { RawMail, RawMailItem } from "./read-mail.js";
import { InputError } from "../../errors.js";
import { quotesDiff } from "../../patch/extract-patch.js";
import { parseReplyTrailers } from "../../patch/parse-trailers.js";
import { ownCopy } from "../own-copy.js";
import { parseNotice } from "../parse-notice.js";
import { parseSubject } from "../parse-subject.js";
import { sanitizeHeaderValues } from "../sanitize-header-values.js";
import { bodyFingerprint } from "../body-fingerprint.js";

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
  /**
   * Keep the body text of every parsed message. Default false: a message that cannot post work
   * (a reply, a forward, a subject without a patch or pull tag) keeps only `digest`, what the
   * series builder reads from its body, and its `text` is "" (see MailMessage.digest).
   */
  keepText?: boolean;
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
  yield* ingestRaw(new FileSource({ paths, maxMessageBytes: max, ...(opts.mboxFormat ? { mboxFormat: opts.mboxFormat } : {}) }).read(), opts);
}

/** The same for messages that come from elsewhere (IMAP): raw bytes in, messages and errors out. */
export async function* ingestRaw(items: AsyncIterable<RawMailItem | RawMail>, opts: IngestOptions = {}): AsyncGenerator<IngestItem> {
  for await (const item of items) {
    if ("error" in item) {
      opts.log?.warn({ source: item.error.source }, item.error.message);
      yield item;
      continue;
    }
    const items = await ingestOne(item.raw, item.source, opts, item.notes);
    if (item.cutFromAnother && items[0] && !("error" in items[0])) items[0].cutFromAnother = true;
    for (const out of items) yield out;
  }
}

/** One message: the MailMessage (when usable) followed by one `{ error }` per recorded problem. */
export async function ingestOne(raw: Buffer, source: string, opts: IngestOptions = {}, notes: readonly string[] = []): Promise<IngestItem[]> {
  const max = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const noted: IngestItem[] = notes.map((n) => ({ error: { source, message: `warning: ${n}` } }));
  try {
    if (raw.length > max) throw new InputError(`message is ${raw.length} bytes, over the limit of ${max} (limits.maxMessageBytes); not parsed`, source);
    const scan = scanHeaders(raw);
    if (scan.fields.length === 0) throw new InputError("not a mail message: no header fields", source);
    let msg: MailMessage;
    if (scan.needsFullParse || opts.parseAll) {
      msg = await parseMessage(raw, source, { keepRaw: opts.keepRaw ?? true, maxMessageBytes: max, engine: opts.engine ?? "auto", scan, omitHeaders: PARSED_HEADERS });
      if (!opts.keepText && !mayPostWork(msg.subject)) digestBody(msg);
    } else {
      msg = lightMessage(raw, source, scan);
    }
    if (notes.length) msg.problems = [...(msg.problems ?? []), ...notes.map((n) => ({ severity: "warning" as const, message: n }))];
    const out: IngestItem[] = [msg];
    for (const p of msg.problems ?? []) {
      out.push({ error: { source, message: p.severity === "warning" ? `warning: ${p.message}` : p.message } });
    }
    return out;
  } catch (err) {
    const message = err instanceof InputError ? err.message : `internal error while parsing: ${(err as Error).message}`;
    opts.log?.warn({ source, err }, "mail not parsed");
    return [{ error: { source, message } }, ...noted];
  }
}

/**
 * Could this message be a cover letter, a patch or a pull request? The same test the series
 * builder's classify() starts with: a patch or pull tag, and not a reply or a forward. Anything
 * else can only be a review or discussion, whose body matters for trailers and diff quotes only.
 */
function mayPostWork(subject: string): boolean {
  if (!subject.includes("[")) return false;
  const s = parseSubject(subject);
  return !s.reply && !s.forward && (s.patch || s.pull);
}

const NO_TRAILERS: MailDigest["trailers"] = Object.freeze([]);

/**
 * Replaces the body of a message that cannot post work by its digest (in place). Half of list
 * traffic is replies inside patch threads: their text was most of the memory of a large run.
 * Attachments keep their metadata; `raw` stays as parseMessage decided.
 */
function digestBody(msg: MailMessage): void {
  const given = parseReplyTrailers(msg.text);
  msg.digest = {
    textLength: msg.text.length,
    // own copies: matched substrings would keep the whole dropped text alive
    trailers: given.length === 0 ? NO_TRAILERS : given.map((t) => ({ name: ownCopy(t.name), value: ownCopy(t.value) })),
    quotesDiff: quotesDiff(msg.text),
  };
  const notice = parseNotice(msg.text);
  // Own copies again: a tree name or commit id must not pin the dropped text.
  if (notice.withdrawn || notice.applied || notice.quotedAuthor) msg.digest.notice = structuredClone(notice);
  msg.text = "";
  for (const a of msg.attachments) a.text = null;
}

/**
 * Header fields that a MailMessage already carries in parsed form (msgid, inReplyTo, references,
 * subject, from, to, cc, date). ingest leaves them out of `headers`: as raw strings they were the
 * largest per-message part of a 100k-message run and nothing after ingest reads them there
 * (parseMessage, which the daemon and `check-command` use, keeps them).
 */
export const PARSED_HEADERS: ReadonlySet<string> = new Set(["message-id", "in-reply-to", "references", "subject", "from", "to", "cc", "date"]);

/**
 * List boilerplate that every list mail repeats and nothing downstream reads; dropped from light
 * messages only (100k light messages would otherwise hold ~100 MB of it). Fully parsed messages
 * keep every header but the trace ones (see TRACE_HEADERS) and PARSED_HEADERS.
 */
const LIGHT_DROPPED = /^(?:list-(?:subscribe|unsubscribe|archive|post|help|owner)|x-spam-.*|mime-version)$/;

/** A message known from its headers only (no patch hint): enough for threading and reports. */
function lightMessage(raw: Buffer, source: string, scan: HeaderScan): MailMessage {
  const problems: MailProblem[] = [];
  const head = sanitizeHeaderValues(
    {
      msgid: scan.msgid,
      inReplyTo: scan.inReplyTo,
      references: scan.references,
      subject: scan.subject,
      from: scan.from,
      to: parseRepeatingAddresses(joined(scan, "to")),
      cc: parseAddresses(joined(scan, "cc")),
      date: scan.date,
    },
    problems,
  );
  let msgid = head.msgid;
  const msg: MailMessage = {
    msgid: msgid ?? "",
    msgidSynthetic: false,
    inReplyTo: head.inReplyTo,
    references: head.references,
    subject: head.subject,
    from: head.from,
    to: head.to,
    cc: head.cc,
    date: head.date,
    headers: headerRecord(scan.fields.filter((f) => !LIGHT_DROPPED.test(f.name) && !PARSED_HEADERS.has(f.name))),
    text: "",
    attachments: [],
    source,
    raw: null,
    bodyParsed: false,
    bodyHash: bodyFingerprint(raw, scan.bodyStart),
  };
  if (msgid === null) {
    msgid = syntheticMsgid(raw);
    msg.msgid = msgid;
    msg.msgidSynthetic = true;
    problems.push({ severity: "error", message: `no Message-ID header; using synthesized <${msgid}>` });
  }
  if (problems.length) msg.problems = problems;
  return msg;
}

function joined(scan: HeaderScan, name: string): string | null {
  let out: string | null = null;
  for (const f of scan.fields) if (f.name === name) out = out === null ? f.value : `${out}, ${f.value}`;
  return out;
}
