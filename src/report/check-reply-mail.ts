/** Header fields a reply of ours carries, each exactly once (Cc only when there is one). */
export const REPLY_HEADERS: ReadonlySet<string> = new Set([
  "from",
  "to",
  "cc",
  "subject",
  "date",
  "message-id",
  "in-reply-to",
  "references",
  "mime-version",
  "content-type",
  "content-transfer-encoding",
  "auto-submitted",
  "x-irqtriage-key",
]);

const REQUIRED = ["from", "to", "subject", "date", "message-id", "in-reply-to", "references", "content-type", "auto-submitted"];

/** RFC 5322 2.1.1: a line is at most 998 octets without its CRLF. */
export const MAX_LINE_OCTETS = 998;
/** RFC 2047 2: an encoded word is at most 75 characters. */
export const MAX_ENCODED_WORD = 75;

/**
 * The last check of a rendered reply before it may leave (pure): CRLF line ends only, no line
 * over 998 octets, only our own header fields, each once, no encoded word over 75 characters, no
 * NUL or bare CR anywhere. Returns what is wrong (empty: fine). Whatever the draft held, a
 * reply that fails this is not sent.
 */
export function checkReplyMail(eml: string): string[] {
  const problems: string[] = [];
  const split = eml.indexOf("\r\n\r\n");
  if (split < 0) return ["no empty line between header and body"];
  const head = eml.slice(0, split);
  const body = eml.slice(split + 4);
  if (/\r(?!\n)|(?<!\r)\n/.test(eml)) problems.push("a bare CR or LF (every line must end in CRLF)");
  if (eml.includes("\0")) problems.push("a NUL character");
  const lines = eml.split("\r\n");
  const long = lines.findIndex((l) => Buffer.byteLength(l, "utf8") > MAX_LINE_OCTETS);
  if (long >= 0) problems.push(`line ${long + 1} is over ${MAX_LINE_OCTETS} octets`);
  const counts = new Map<string, number>();
  const headLines = head.split("\r\n");
  for (const [i, l] of headLines.entries()) {
    if (l.startsWith(" ") || l.startsWith("\t")) {
      if (i === 0) problems.push("the header starts with a continuation line");
      continue;
    }
    const colon = l.indexOf(":");
    const name = colon > 0 ? l.slice(0, colon) : "";
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) {
      problems.push(`header line ${i + 1} is not a field`);
      continue;
    }
    const key = name.toLowerCase();
    if (!REPLY_HEADERS.has(key)) problems.push(`unexpected header field ${JSON.stringify(name)}`);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  for (const [k, n] of counts) if (n > 1) problems.push(`header field ${k} appears ${n} times`);
  for (const k of REQUIRED) if (!counts.has(k)) problems.push(`header field ${k} is missing`);
  if (/[^\t\r\n\x20-\x7e]/.test(head)) problems.push("8-bit or control characters in the header");
  for (const m of head.matchAll(/=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=/g)) {
    if (m[0].length > MAX_ENCODED_WORD) {
      problems.push(`an encoded word of ${m[0].length} characters (at most ${MAX_ENCODED_WORD})`);
      break;
    }
  }
  if (body.length === 0) problems.push("an empty body");
  return problems;
}
