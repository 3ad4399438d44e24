import { createHash } from "node:crypto";
import type { AddressObject, ParsedMail } from "mailparser";
import { InputError } from "../errors.js";
import type { Address, MailAttachment, MailMessage, MailProblem } from "./mail-message.js";
import { parseAddresses, parseMailDate, parseRepeatingAddresses, scanHeaders, type HeaderScan } from "./header-scan.js";
import { headerValue, REPEATING_HEADERS, type HeaderField } from "./mime/header-block.js";
import { internAddress, internList } from "./mime/intern-string.js";
import { decodeCharset } from "./mime/decode-charset.js";
import { transferDecode } from "./mime/transfer-decode.js";
import { undoFlowed } from "./mime/undo-flowed.js";
import { walkMime, type MimeLeaf } from "./mime/walk-mime.js";
import { sanitizeHeaderValues, type HeaderValues } from "./sanitize-header-values.js";
import { bodyFingerprint } from "./body-fingerprint.js";
import { cleanText, preview } from "./header-safety.js";

export interface ParseMessageOptions {
  /** Keep `raw` on messages that may carry a patch (git am needs the original bytes). */
  keepRaw?: boolean;
  /** Larger messages are refused with an InputError (config limits.maxMessageBytes). */
  maxMessageBytes?: number;
  /**
   * "mailparser" (default): header values (addresses, date, subject) come from mailparser, given
   * the header block. "auto": the same header code as the scan (the address parser mailparser
   * uses, our RFC 2047 decoder), and mailparser is never loaded. ingest and the daemon use
   * "auto"; test/mail/parse-corpus.test.ts and ingest-prefilter.test.ts check both agree. Ids
   * come from the scan either way.
   */
  engine?: "mailparser" | "auto";
  /** A scan of this very message done earlier (ingest), so headers are not read twice. */
  scan?: HeaderScan;
  /** Header fields (lower-case names) left out of `headers` (ingest: those carried parsed). */
  omitHeaders?: ReadonlySet<string>;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 40 * 1024 * 1024;

const PARSER_OPTIONS = {
  skipHtmlToText: true,
  skipTextToHtml: true,
  skipTextLinks: true,
  skipImageLinks: true,
  keepCidLinks: true,
  checksumAlgo: false,
} as const;

/** Text-ish attachments whose text is kept (patches are sent as any of these). */
function isTextAttachment(leaf: MimeLeaf): boolean {
  if (leaf.contentType.startsWith("text/")) return true;
  const f = (leaf.filename ?? "").toLowerCase();
  return f.endsWith(".patch") || f.endsWith(".diff");
}

/**
 * Parses one RFC 822 message into a MailMessage. The text/plain body is computed here from the
 * MIME leaves (transfer decoding, charset, CRLF -> LF, and format=flowed only where declared),
 * because mailparser's own `text` drops the last line break of flowed text and turns undecodable
 * bytes into U+FFFD; everything else about the body is byte-exact. Problems with the mail
 * (no Message-ID, truncated MIME, unknown charset) are recorded in `problems`; only hopeless input
 * (oversize, no header at all) throws InputError.
 */
export async function parseMessage(raw: Buffer, source: string, opts: ParseMessageOptions = {}): Promise<MailMessage> {
  const max = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (raw.length > max) {
    throw new InputError(`message is ${raw.length} bytes, over the limit of ${max} (limits.maxMessageBytes); not parsed`, source);
  }
  const scan = opts.scan ?? scanHeaders(raw);
  if (scan.fields.length === 0) throw new InputError("not a mail message: no header fields", source);
  const problems: MailProblem[] = [];
  const walk = walkMime(raw, scan.fields);
  for (const p of walk.problems) problems.push({ severity: "error", message: p });

  const texts: string[] = [];
  const attachments: MailAttachment[] = [];
  for (const leaf of walk.leaves) {
    if (leaf.contentType === "message/rfc822" || leaf.contentType === "message/global") problems.push(nestedMessageProblem(leaf));
    if (leaf.disposition === "inline" && leaf.contentType === "text/plain") {
      texts.push(leafText(leaf, problems));
    } else if (leaf.disposition === "inline" && leaf.contentType !== "message/delivery-status") {
      // text/html alternatives: not part of the plain text (kernel lists do not take HTML anyway)
      continue;
    } else {
      const decoded = transferDecode(leaf.body, leaf.encoding);
      if (decoded.problem) problems.push({ severity: "error", message: `attachment ${leaf.filename ?? leaf.contentType}: ${decoded.problem}` });
      attachments.push({
        filename: leaf.filename,
        contentType: leaf.contentType,
        size: decoded.bytes.length,
        text: isTextAttachment(leaf) ? textOf(decoded.bytes, leaf, problems) : null,
      });
    }
  }
  const text = texts.join("\n");

  const useMailparser = (opts.engine ?? "mailparser") === "mailparser";
  const head = sanitizeHeaderValues(useMailparser ? await headerFromMailparser(raw, scan, problems) : headerFromScan(scan), problems);

  let msgid = head.msgid;
  let msgidSynthetic = false;
  if (msgid === null) {
    msgid = syntheticMsgid(raw);
    msgidSynthetic = true;
    problems.push({ severity: "error", message: `no Message-ID header; using synthesized <${msgid}>` });
  }
  const msg: MailMessage = {
    msgid,
    msgidSynthetic,
    inReplyTo: head.inReplyTo,
    references: head.references,
    subject: head.subject,
    from: head.from,
    to: head.to,
    cc: head.cc,
    date: head.date,
    headers: headerRecord(scan.fields, opts.omitHeaders),
    text,
    attachments,
    source,
    raw: opts.keepRaw && mayCarryPatch(head.subject, text, attachments) ? ownBytes(raw) : null,
    bodyParsed: true,
    bodyHash: bodyFingerprint(raw, scan.bodyStart),
  };
  if (problems.length) msg.problems = problems;
  return msg;
}

/**
 * A record for a message inside the message (a forward, a bounce, a digest entry): it is kept as
 * an attachment and never triaged itself (its patch is not applied, its trailers do not count),
 * and the record says which mail it was.
 */
function nestedMessageProblem(leaf: MimeLeaf): MailProblem {
  const inner = transferDecode(leaf.body, leaf.encoding).bytes;
  const head = scanHeaders(inner.subarray(0, Math.min(inner.length, 256 * 1024)));
  const what = [
    head.msgid ? `<${preview(head.msgid, 80).slice(1, -1)}>` : "no Message-ID",
    head.subject ? `subject ${preview(cleanText(head.subject).text, 80)}` : null,
    head.from ? `from ${preview(head.from.address, 80)}` : null,
  ].filter(Boolean);
  return { severity: "warning", message: `nested ${leaf.contentType} part${leaf.filename ? ` ${preview(leaf.filename, 60)}` : ""} (${what.join(", ")}): kept as an attachment, not triaged` };
}

/**
 * `raw` as a buffer of its own: a copy when it is a view into a larger one (an mbox read chunk,
 * see RawMail), which it would otherwise keep alive; itself when it already is all of its
 * memory (a mail file read whole: no second copy of a 40 MiB mail).
 */
function ownBytes(raw: Buffer): Buffer {
  return raw.byteOffset === 0 && raw.buffer.byteLength === raw.length ? raw : Buffer.from(raw);
}

/** "irqtriage-<sha1 of raw>@invalid": stable for the same bytes, so reruns agree. */
export function syntheticMsgid(raw: Buffer): string {
  return `irqtriage-${createHash("sha1").update(raw).digest("hex")}@invalid`;
}

/** Lower-case header name -> unfolded values in order (without the `omit` names). */
export function headerRecord(fields: readonly HeaderField[], omit?: ReadonlySet<string>): Record<string, string[]> {
  // Collected in a Map and turned into an object in one go: an object grown key by key goes
  // into V8's slow dictionary mode past ~16 keys, about 3x the memory per message.
  const map = new Map<string, string[]>();
  for (const f of fields) {
    if (omit?.has(f.name)) continue;
    const list = map.get(f.name);
    if (list) {
      // a second value: a shared single-value array must first become this message's own
      if (Object.isFrozen(list)) map.set(f.name, [...list, f.value]);
      else list.push(f.value);
    } else if (REPEATING_HEADERS.has(f.name)) {
      map.set(f.name, internList(f.name, f.value));
    } else map.set(f.name, [f.value]);
  }
  return Object.fromEntries(map) as Record<string, string[]>;
}

const PATCH_LINE = /^(?:diff --git |--- a\/|\+\+\+ b\/|Index: |--- \/dev\/null)/m;

/** Could git am want this message? An unquoted diff, a patch attachment, or a [PATCH] subject. */
function mayCarryPatch(subject: string, text: string, attachments: MailAttachment[]): boolean {
  if (PATCH_LINE.test(text)) return true;
  if (attachments.some((a) => a.text !== null && PATCH_LINE.test(a.text))) return true;
  return /\[[^\]]*\b(?:PATCH|PULL)\b/i.test(subject) && !/^\s*(?:re|fwd?|aw)\s*:/i.test(subject);
}

function leafText(leaf: MimeLeaf, problems: MailProblem[]): string {
  const decoded = transferDecode(leaf.body, leaf.encoding);
  if (decoded.problem) problems.push({ severity: "error", message: `text part: ${decoded.problem}` });
  let text = textOf(decoded.bytes, leaf, problems);
  if ((leaf.params["format"] ?? "").toLowerCase() === "flowed") {
    text = undoFlowed(text, (leaf.params["delsp"] ?? "").toLowerCase() === "yes");
  }
  return text;
}

function textOf(bytes: Buffer, leaf: MimeLeaf, problems: MailProblem[]): string {
  const d = decodeCharset(bytes, leaf.params["charset"] ?? null);
  if (d.warning) problems.push({ severity: "warning", message: `${leaf.filename ?? leaf.contentType}: ${d.warning}` });
  return d.text.indexOf("\r") >= 0 ? d.text.replace(/\r\n/g, "\n") : d.text;
}

function headerFromScan(scan: HeaderScan): HeaderValues {
  return {
    msgid: scan.msgid,
    inReplyTo: scan.inReplyTo,
    references: scan.references,
    subject: scan.subject,
    from: scan.from,
    to: parseRepeatingAddresses(joinHeader(scan.fields, "to")),
    cc: parseAddresses(joinHeader(scan.fields, "cc")),
    date: scan.date,
  };
}

function joinHeader(fields: readonly HeaderField[], name: string): string | null {
  let out: string | null = null;
  for (const f of fields) if (f.name === name) out = out === null ? f.value : `${out}, ${f.value}`;
  return out;
}

async function headerFromMailparser(raw: Buffer, scan: HeaderScan, problems: MailProblem[]): Promise<HeaderValues> {
  let parsed: ParsedMail;
  try {
    // loaded on first use: mailparser is 28 MB of a process's memory, and `irqtriage run` and
    // the daemon (engine "auto") never need it
    const { simpleParser } = await import("mailparser");
    // The header block alone: the header values are all that is taken from mailparser, and
    // given the whole message it would also build every part in memory (several times the
    // size of a large mail).
    parsed = await simpleParser(raw.subarray(0, Math.min(raw.length, scan.bodyStart)), PARSER_OPTIONS);
  } catch (err) {
    problems.push({ severity: "warning", message: `mailparser failed (${(err as Error).message}); header values from the scan` });
    return headerFromScan(scan);
  }
  // Ids always come from the scan (the raw, unfolded header): mailparser decodes RFC 2047
  // encoded words in them, which RFC 2047 (section 5) forbids there, and so turned an encoded
  // CR LF into a header break of our own reply.
  return {
    msgid: scan.msgid,
    inReplyTo: scan.inReplyTo,
    references: scan.references,
    subject: parsed.subject ?? headerValue(scan.fields, "subject") ?? "",
    from: addressesOf(parsed.from)[0] ?? null,
    to: addressesOf(parsed.to),
    cc: addressesOf(parsed.cc),
    date: parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date : parseMailDate(headerValue(scan.fields, "date")),
  };
}

function addressesOf(obj: AddressObject | AddressObject[] | undefined): Address[] {
  if (!obj) return [];
  const out: Address[] = [];
  const visit = (list: { name?: string; address?: string; group?: unknown[] }[]): void => {
    for (const a of list) {
      if (a.group) visit(a.group as { name?: string; address?: string }[]);
      // shared like the scan's addresses (and no slice of mailparser's strings kept)
      else if (a.address || a.name) out.push(internAddress(a.name ?? "", a.address ?? ""));
    }
  };
  for (const o of Array.isArray(obj) ? obj : [obj]) visit(o.value);
  return out;
}
