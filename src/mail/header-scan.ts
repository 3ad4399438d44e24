import { domainToUnicode } from "node:url";
import addressparser from "nodemailer/lib/addressparser/index.js";
import type { Address } from "./mail-message.js";
import { readHeaderBlock, type HeaderField } from "./mime/header-block.js";
import { decodeWords } from "./mime/decode-words.js";
import { parseParamValue } from "./mime/header-params.js";
import { internAddress } from "./mime/intern-string.js";
import { ownCopy } from "./own-copy.js";

/** What a header-only look at a message tells (no mailparser, no body decoding). */
export interface HeaderScan {
  /** Message-ID without angle brackets, or null when the header is missing or empty. */
  msgid: string | null;
  inReplyTo: string | null;
  references: string[];
  /** RFC 2047 decoded, folding undone. "" when absent. */
  subject: string;
  from: Address | null;
  date: Date | null;
  /** Top-level Content-Type, lower case ("text/plain" when absent). */
  contentType: string;
  /** Top-level Content-Transfer-Encoding, lower case, or null. */
  encoding: string | null;
  /** true when the message may carry a patch, a review of one, or trailers. */
  needsFullParse: boolean;
  /** Which hint decided `needsFullParse` (for logs and tests); null when it is false. */
  reason: string | null;
  /** All header fields, unfolded, in order. */
  fields: HeaderField[];
  /** Offset of the first body byte in the raw message. */
  bodyStart: number;
}

/** How many body bytes are searched for diff / trailer hints. Patches show a diff early. */
export const BODY_HINT_BYTES = 1024 * 1024;
/** Decoded bytes looked at for a base64 single-part body. */
const BASE64_HINT_BYTES = 256 * 1024;

const SUBJECT_TAG = /\[[^\]]*\b(?:PATCH|RFC|PULL)\b[^\]]*\]/i;
// "\n+++ " covers "+++ b/" and "+++ /dev/null" of git and plain `diff -u` output alike.
const DIFF_HINTS = ["diff --git ", "\n+++ ", "\nIndex: ", "\nbase-commit: "].map((h) => Buffer.from(h, "latin1"));
const TRAILER_TAIL = Buffer.from("-by:", "latin1");
const FIXES = Buffer.from("Fixes: ", "latin1");
const PATCH_TYPES = ["x-patch", "X-PATCH", "X-Patch", "x-diff", "X-DIFF", "X-Diff"];
/** A message inside the message: parsed fully so that it is recorded (parseMessage). */
const NESTED_TYPES = ["message/rfc822", "Message/rfc822", "message/RFC822", "Message/RFC822", "MESSAGE/RFC822", "message/global", "Message/Global"];

/**
 * Fast header-only scan used to decide which messages need mailparser. Cheap on purpose: the
 * header block is read once as a latin1 string; the body is only searched with Buffer#indexOf
 * over its first BODY_HINT_BYTES, never copied or decoded (except a base64 single part).
 */
export function scanHeaders(raw: Buffer): HeaderScan {
  const block = readHeaderBlock(raw, 0);
  let msgidRaw: string | null = null;
  let irtRaw: string | null = null;
  let refsRaw: string | null = null;
  let subjectRaw: string | null = null;
  let fromRaw: string | null = null;
  let dateRaw: string | null = null;
  let ctRaw: string | null = null;
  let cteRaw: string | null = null;
  for (const f of block.fields) {
    switch (f.name) {
      case "message-id":
        msgidRaw ??= f.value;
        break;
      case "in-reply-to":
        irtRaw ??= f.value;
        break;
      case "references":
        refsRaw = refsRaw === null ? f.value : refsRaw + " " + f.value;
        break;
      case "subject":
        subjectRaw ??= f.value;
        break;
      case "from":
        fromRaw ??= f.value;
        break;
      case "date":
        dateRaw ??= f.value;
        break;
      case "content-type":
        ctRaw ??= f.value;
        break;
      case "content-transfer-encoding":
        cteRaw ??= f.value;
        break;
    }
  }
  const subject = subjectRaw === null ? "" : decodeWords(subjectRaw).trim();
  const ct = ctRaw === null ? "text/plain" : parseParamValue(ctRaw).value || "text/plain";
  const encoding = cteRaw === null ? null : cteRaw.trim().toLowerCase();
  const reason = fullParseReason(raw, block.bodyStart, subject, ct, encoding);
  const references = messageIdList(refsRaw);
  let inReplyTo = firstMessageId(irtRaw);
  // In-Reply-To is nearly always the last reference: one string for both (100k messages)
  if (inReplyTo !== null && references[references.length - 1] === inReplyTo) inReplyTo = references[references.length - 1]!;
  return {
    msgid: firstMessageId(msgidRaw),
    inReplyTo,
    references,
    subject,
    from: fromRaw === null ? null : firstAddress(fromRaw),
    date: parseMailDate(dateRaw),
    contentType: ct,
    encoding,
    needsFullParse: reason !== null,
    reason,
    fields: block.fields,
    bodyStart: block.bodyStart,
  };
}

function fullParseReason(raw: Buffer, bodyStart: number, subject: string, ct: string, encoding: string | null): string | null {
  if (SUBJECT_TAG.test(subject)) return "subject tag";
  const end = Math.min(raw.length, bodyStart + BODY_HINT_BYTES);
  let body = raw.subarray(bodyStart, end);
  if (ct.startsWith("multipart/")) {
    if (ct === "multipart/digest") return "nested message";
    for (const t of PATCH_TYPES) if (body.indexOf(t, 0, "latin1") >= 0) return "patch attachment";
    for (const t of NESTED_TYPES) if (body.indexOf(t, 0, "latin1") >= 0) return "nested message";
    // An encoded part cannot be searched as bytes; let mailparser look inside.
    if (/content-transfer-encoding:[ \t]*base64/i.test(body.toString("latin1", 0, Math.min(body.length, 65536)))) {
      return "multipart with base64 part";
    }
  } else if (encoding === "base64") {
    body = Buffer.from(body.toString("latin1", 0, Math.min(body.length, (BASE64_HINT_BYTES / 3) * 4)), "base64");
  }
  return bodyHintReason(body);
}

/** Diff or trailer hints in (the first bytes of) a body. Exported for the ingest fast path tests. */
export function bodyHintReason(body: Buffer): string | null {
  for (const h of DIFF_HINTS) if (body.indexOf(h) >= 0) return "diff";
  if (body.length > 6 && body[0] === 0x2d && body.toString("latin1", 0, 6) === "--- a/") return "diff";
  // Trailers: "Reviewed-by:", "Acked-by:", "Signed-off-by:" ... at a line start (maybe quoted).
  let pos = 0;
  for (;;) {
    const idx = body.indexOf(TRAILER_TAIL, pos);
    if (idx < 0) break;
    if (isTrailerLine(body, idx)) return "trailer";
    pos = idx + TRAILER_TAIL.length;
  }
  pos = 0;
  for (;;) {
    const idx = body.indexOf(FIXES, pos);
    if (idx < 0) break;
    if (idx === 0 || body[idx - 1] === 0x0a) return "trailer";
    pos = idx + FIXES.length;
  }
  return null;
}

/** Is the "-by:" at `idx` the end of a trailer token that starts its line (after "> " quoting)? */
function isTrailerLine(body: Buffer, idx: number): boolean {
  let i = idx - 1;
  let letters = 0;
  while (i >= 0) {
    const c = body[i]!;
    const isWord = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d;
    if (!isWord) break;
    letters++;
    i--;
  }
  if (letters === 0 || letters > 40) return false;
  while (i >= 0 && (body[i] === 0x3e || body[i] === 0x20)) i--;
  return i < 0 || body[i] === 0x0a;
}

/**
 * "<a@b> (comment)" -> "a@b"; a bare token is accepted as is. The id is its own copy (see
 * ownCopy): messages are held long after their header values are gone.
 */
export function firstMessageId(value: string | null): string | null {
  if (value === null) return null;
  const lt = value.indexOf("<");
  if (lt >= 0) {
    const gt = value.indexOf(">", lt + 1);
    const id = (gt < 0 ? value.slice(lt + 1) : value.slice(lt + 1, gt)).trim();
    return id === "" ? null : ownCopy(id);
  }
  const tok = value.trim().split(/\s+/)[0] ?? "";
  return tok === "" ? null : ownCopy(tok);
}

/**
 * All Message-IDs in a References-like value, oldest first, without brackets, no empties. Own
 * copies in an array of exactly their number (a grown array keeps room for 17).
 */
export function messageIdList(value: string | null): string[] {
  if (value === null) return [];
  const out: string[] = [];
  if (value.indexOf("<") >= 0) {
    let pos = 0;
    for (;;) {
      const lt = value.indexOf("<", pos);
      if (lt < 0) break;
      const gt = value.indexOf(">", lt + 1);
      const id = (gt < 0 ? value.slice(lt + 1) : value.slice(lt + 1, gt)).trim();
      if (id !== "") out.push(ownCopy(id));
      if (gt < 0) break;
      pos = gt + 1;
    }
    return out.slice();
  }
  for (const t of value.trim().split(/\s+/)) if (t !== "") out.push(ownCopy(t));
  return out.slice();
}

/**
 * Parses an address header. The plain shapes that make up nearly all list mail
 * (`Name <a@b>, "Last, First" <c@d>, =?UTF-8?q?...?= <e@f>, g@h`) are split here; anything else
 * (groups, comments, escapes, IDN) goes to mailparser's own address parser. Both give the same
 * result on the plain shapes (test/mail/parse-addresses.test.ts).
 */
export function parseAddresses(value: string | null): Address[] {
  if (value === null || value.trim() === "") return [];
  return fastAddresses(value) ?? mailparserAddresses(value);
}

const sharedLists = new Map<string, Address[]>();

/**
 * parseAddresses for the value of a field that repeats across list mail (To: the list): parsed
 * once per distinct value and shared, frozen (100k messages, one array). Long values, which are
 * not shared by the intern tables either, are parsed as they come.
 */
export function parseRepeatingAddresses(value: string | null): Address[] {
  if (value === null || value.length > 200) return parseAddresses(value);
  let list = sharedLists.get(value);
  if (list === undefined) {
    if (sharedLists.size >= 4096) sharedLists.clear();
    list = Object.freeze(parseAddresses(value)) as Address[];
    sharedLists.set(ownCopy(value), list);
  }
  return list;
}

const ENCODED_WORD_IN = /=\?[^?]+\?[BbQq]\?[^?]*\?=/;

/**
 * The general address parser, for the shapes the fast path leaves alone (groups, comments,
 * escapes, IDN): nodemailer's addressparser, then what mailparser's parseAddressHeader does to
 * its output (without loading mailparser, 28 MB, into every process): encoded words in display
 * names decoded, a punycode domain shown in Unicode; an address part holding an encoded word is
 * dropped (stricter than mailparser, see below).
 */
export function mailparserAddresses(value: string): Address[] {
  const out: Address[] = [];
  for (const a of addressparser(value, { flatten: true })) {
    const name = decodeWords((a.name ?? "").toString().trim());
    let address = a.address ?? "";
    // RFC 2047 keeps encoded words out of the address: one that holds one is no address (it
    // would name whatever the sender encoded into it), where mailparser takes it when it
    // decodes to a plain local@domain
    if (address && ENCODED_WORD_IN.test(address)) address = "";
    if (address && /@xn--/.test(address)) {
      const at = address.lastIndexOf("@");
      const unicode = domainToUnicode(address.slice(at + 1));
      if (unicode) address = address.slice(0, at + 1) + unicode;
    }
    if (address || name) out.push(internAddress(name, address));
  }
  return out;
}

const TRICKY = /[():;\\[\]]|xn--/i;
const ANGLE = /^(.*?)\s*<([^<>\s]*)>$/;
const BARE = /^[^\s<>"@,]+@[^\s<>"@,]+$/;

function fastAddresses(value: string): Address[] | null {
  if (TRICKY.test(value)) return null;
  const entries: string[] = [];
  let cur = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x22) quoted = !quoted;
    else if (c === 0x2c && !quoted) {
      entries.push(value.slice(cur, i));
      cur = i + 1;
    }
  }
  if (quoted) return null;
  entries.push(value.slice(cur));
  const out: Address[] = [];
  for (const e of entries) {
    const t = e.trim();
    if (t === "") continue;
    // the same people appear in mail after mail, written the same way: one lookup for them
    const known = entryCache.get(t);
    if (known !== undefined) {
      out.push(known);
      continue;
    }
    const a = fastEntry(t);
    if (a === null) return null;
    if (t.length <= 200) {
      if (entryCache.size >= 65536) entryCache.clear();
      entryCache.set(ownCopy(t), a);
    }
    out.push(a);
  }
  return out.slice(); // exactly sized: a grown array keeps room for 17
}

/** Entry text ("Name <a@b>", a bare a@b) -> its (shared) Address; bounded like the intern tables. */
const entryCache = new Map<string, Address>();

/** One trimmed, non-empty address entry of a plain shape, or null for anything else. */
function fastEntry(t: string): Address | null {
  const m = ANGLE.exec(t);
  if (m) {
    let name = m[1]!.trim();
    if (name.startsWith('"')) {
      if (!name.endsWith('"') || name.length < 2 || name.indexOf('"', 1) !== name.length - 1) return null;
      name = name.slice(1, -1).trim();
    } else if (name.includes('"') || name.includes("<") || name.includes(">")) return null;
    const address = m[2]!;
    if (address !== "" && !BARE.test(address)) return null;
    return internAddress(decodeWords(name).trim(), address);
  }
  return BARE.test(t) ? internAddress("", t) : null;
}

function firstAddress(value: string): Address | null {
  return parseAddresses(value)[0] ?? null;
}

/** RFC 5322 date (comments removed); null when absent or unparseable. */
export function parseMailDate(value: string | null): Date | null {
  if (value === null) return null;
  const v = value.indexOf("(") >= 0 ? value.replace(/\([^)]*\)/g, " ").trim() : value;
  if (v === "") return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}
