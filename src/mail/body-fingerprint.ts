import { createHash } from "node:crypto";

/** Lines a mailing list appends to every mail (Mailman's footer starts with this rule). */
const LIST_FOOTER = Buffer.from("\n_______________________________________________\n", "latin1");
const FOOTER_WINDOW = 1024;

/**
 * A fingerprint of a message body (the bytes after the header block), to tell whether two
 * copies of one Message-ID say the same thing: CRLF and LF copies (IMAP and an mbox) agree,
 * trailing empty lines and a mailing-list footer appended at the very end are ignored. Pure;
 * one hash over the body, no copy unless the body has CRs.
 */
export function bodyFingerprint(raw: Buffer, bodyStart: number): string {
  let body = raw.subarray(Math.min(bodyStart, raw.length));
  if (body.indexOf(0x0d) >= 0) body = Buffer.from(body.toString("latin1").replace(/\r\n/g, "\n"), "latin1");
  const footer = body.subarray(Math.max(0, body.length - FOOTER_WINDOW)).lastIndexOf(LIST_FOOTER);
  if (footer >= 0) body = body.subarray(0, Math.max(0, body.length - FOOTER_WINDOW) + footer + 1);
  let end = body.length;
  while (end > 0 && (body[end - 1] === 0x0a || body[end - 1] === 0x20 || body[end - 1] === 0x09)) end--;
  return createHash("sha256").update(body.subarray(0, end)).digest("base64url").slice(0, 22);
}
