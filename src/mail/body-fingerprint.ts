import { createHash } from "node:crypto";

/** Mailman's footer starts with this rule, on a line of its own, near the very end. */
const LIST_FOOTER = /\n_{47}\r?\n/g;
const FOOTER_WINDOW = 1024;
/** Below V8's large-object size, so that the per-block strings die young. */
const BLOCK = 60 * 1024;

/**
 * A fingerprint of a message body (the bytes after the header block), to tell whether two
 * copies of one Message-ID say the same thing: CRLF and LF copies (IMAP and an mbox) agree,
 * trailing whitespace and empty lines and a mailing-list footer appended at the very end are
 * ignored. Pure. One pass over the body and no copy of it: CRLF bodies are normalized a MiB at
 * a time (a 40 MiB mail costs no second 40 MiB).
 */
export function bodyFingerprint(raw: Buffer, bodyStart: number): string {
  const start = Math.min(bodyStart, raw.length);
  let end = raw.length;
  const windowStart = Math.max(start, end - FOOTER_WINDOW);
  let footer = -1;
  const tail = raw.toString("latin1", windowStart, end);
  for (const m of tail.matchAll(LIST_FOOTER)) footer = m.index;
  if (footer >= 0) end = windowStart + footer + 1;
  while (end > start && (raw[end - 1] === 0x0a || raw[end - 1] === 0x0d || raw[end - 1] === 0x20 || raw[end - 1] === 0x09)) end--;
  const hash = createHash("sha256");
  const body = raw.subarray(start, end);
  if (body.indexOf(0x0d) < 0) {
    hash.update(body);
  } else {
    let carry = "";
    for (let i = 0; i < body.length; i += BLOCK) {
      let s = carry + body.toString("latin1", i, Math.min(body.length, i + BLOCK));
      carry = "";
      if (s.endsWith("\r") && i + BLOCK < body.length) {
        carry = "\r";
        s = s.slice(0, -1);
      }
      hash.update(s.replace(/\r\n/g, "\n"), "latin1");
    }
    if (carry) hash.update(carry, "latin1");
  }
  return hash.digest("base64url").slice(0, 22);
}
