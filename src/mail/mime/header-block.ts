import { intern } from "./intern-string.js";

/** One header field: lower-case name and its value with folding undone (CR/LF removed). */
export interface HeaderField {
  name: string;
  value: string;
}

export interface HeaderBlock {
  fields: HeaderField[];
  /** Offset of the first body byte (after the empty line), or raw.length when there is no body. */
  bodyStart: number;
  /** Offset just past the last header byte (before the empty line). */
  headerEnd: number;
}

const LF_LF = Buffer.from("\n\n", "latin1");
const LF_CR_LF = Buffer.from("\n\r\n", "latin1");

/**
 * Where the header block of an RFC 822 message (or MIME part) ends. Works on bytes so that the
 * body is never touched: the empty line is "\n\n" or "\n\r\n" (CRLF mail, or mixed).
 */
export function findHeaderEnd(raw: Buffer, start = 0): { headerEnd: number; bodyStart: number } {
  // A message (or part) that starts with an empty line has no headers at all.
  if (raw[start] === 0x0a) return { headerEnd: start, bodyStart: start + 1 };
  if (raw[start] === 0x0d && raw[start + 1] === 0x0a) return { headerEnd: start, bodyStart: start + 2 };
  const lf = raw.indexOf(LF_LF, start);
  // "\n\r\n" is looked for only before the first "\n\n": in LF-only mail it is absent, and a
  // search of the whole message for it cost a full scan of every body (and of every MIME part).
  const crlf = lf < 0 ? raw.indexOf(LF_CR_LF, start) : raw.subarray(0, lf + 1).indexOf(LF_CR_LF, start);
  if (lf < 0 && crlf < 0) return { headerEnd: raw.length, bodyStart: raw.length };
  if (crlf < 0) return { headerEnd: lf + 1, bodyStart: lf + 2 };
  return { headerEnd: crlf + 1, bodyStart: crlf + 3 };
}

/**
 * Trace and signature headers: large (a DKIM-Signature is ~600 bytes, an LKML mail carries 3-6
 * Received lines) and of no use after delivery except for signature checks, which need the raw
 * bytes anyway. They are not materialized as strings unless asked for (`keepTrace`).
 */
export const TRACE_HEADERS: ReadonlySet<string> = new Set([
  "received",
  "dkim-signature",
  "arc-seal",
  "arc-message-signature",
  "arc-authentication-results",
  "x-google-dkim-signature",
  "x-received",
]);

/**
 * Splits a header block into fields, working on the bytes: each line end is found with
 * Buffer#indexOf and only the fields that are kept become strings (latin1 first, re-read as
 * UTF-8 only when a value carries 8-bit bytes: RFC 6532 raw UTF-8 headers).
 * `wanted` limits which fields are materialized; trace headers are skipped unless `keepTrace`.
 */
export function readHeaderBlock(raw: Buffer, start = 0, wanted?: ReadonlySet<string>, keepTrace = false): HeaderBlock {
  const { headerEnd, bodyStart } = findHeaderEnd(raw, start);
  const fields: HeaderField[] = [];
  let pos = start;
  while (pos < headerEnd) {
    let eol = raw.indexOf(0x0a, pos);
    if (eol < 0 || eol > headerEnd) eol = headerEnd;
    // the field goes on while the next line starts with space or tab
    let end = eol;
    while (end + 1 < headerEnd) {
      const c = raw[end + 1];
      if (c !== 0x20 && c !== 0x09) break;
      const next = raw.indexOf(0x0a, end + 1);
      end = next < 0 || next > headerEnd ? headerEnd : next;
    }
    let colon = pos;
    while (colon < eol && raw[colon] !== 0x3a) colon++;
    if (colon > pos && colon < eol && (keepTrace || !isTraceName(raw, pos, colon))) {
      const name = nameOf(raw, pos, colon);
      if (!wanted || wanted.has(name)) {
        fields.push({ name, value: valueOf(raw, colon + 1, end, name) });
      }
    }
    // a line without a colon (garbage, or an mbox "From " line that slipped in) is skipped
    pos = end + 1;
  }
  return { fields, bodyStart, headerEnd };
}

/** TRACE_HEADERS test on the bytes, so the skipped lines never become strings at all. */
function isTraceName(raw: Buffer, from: number, to: number): boolean {
  const len = to - from;
  const c = raw[from]! | 0x20;
  if (c === 0x72 /* r */ ? len !== 8 : c === 0x64 /* d */ ? len !== 14 : c === 0x61 /* a */ ? len < 8 : c === 0x78 /* x */ ? len !== 10 && len !== 23 : true) {
    return false;
  }
  return TRACE_HEADERS.has(raw.toString("latin1", from, to).toLowerCase());
}

const COMMON_NAMES = new Map<string, string>();

function nameOf(raw: Buffer, from: number, to: number): string {
  let s = raw.toString("latin1", from, to);
  // names are mostly canonical-case already; intern them so 100k messages share one string each
  const hit = COMMON_NAMES.get(s);
  if (hit !== undefined) return hit;
  const lower = s.trim().toLowerCase();
  if (COMMON_NAMES.size < 4096) COMMON_NAMES.set(s, lower);
  s = lower;
  return s;
}

/** Fields whose values repeat across list mail and are worth sharing (see intern-string.ts). */
export const REPEATING_HEADERS: ReadonlySet<string> = new Set(["mime-version", "precedence", "list-id", "list-subscribe", "list-unsubscribe", "list-archive", "list-post", "list-help", "x-mailing-list", "content-transfer-encoding", "content-type", "return-path", "sender", "to", "user-agent", "x-mailer", "content-disposition", "errors-to", "x-spam-checker-version"]);

function valueOf(raw: Buffer, from: number, to: number, name: string): string {
  // trim bytes first, so the string is not a slice that keeps an untrimmed parent alive
  while (from < to && (raw[from] === 0x20 || raw[from] === 0x09)) from++;
  while (to > from && (raw[to - 1] === 0x20 || raw[to - 1] === 0x09 || raw[to - 1] === 0x0d || raw[to - 1] === 0x0a)) to--;
  let high = false;
  let folded = false;
  for (let i = from; i < to; i++) {
    const c = raw[i]!;
    if (c > 0x7f) high = true;
    else if (c === 0x0a) folded = true;
  }
  let v = raw.toString(high ? "utf8" : "latin1", from, to);
  if (high && v.includes("\ufffd")) v = raw.toString("latin1", from, to); // not UTF-8: keep bytes 1:1
  if (folded) v = v.replace(/\r?\n(?=[ \t])/g, "");
  return REPEATING_HEADERS.has(name) ? intern(v) : v;
}

/** First value of a header (by lower-case name), or null. */
export function headerValue(fields: readonly HeaderField[], name: string): string | null {
  for (const f of fields) if (f.name === name) return f.value;
  return null;
}
