import { decodeCharset } from "./decode-charset.js";

const ENCODED_WORD = /=\?([^?\s]+)\?([BbQq])\?([^?]*)\?=/g;

/**
 * Decodes RFC 2047 encoded-words in a header value ("=?UTF-8?q?C=C3=A9dric?=" -> "Cédric").
 * Whitespace between two adjacent encoded-words is dropped (RFC 2047 6.2) and adjacent words in
 * the same charset are joined as bytes first, so a multi-byte character split across words
 * survives. Malformed words are left as they are.
 */
export function decodeWords(value: string): string {
  if (value.indexOf("=?") < 0) return value;
  let out = "";
  let last = 0;
  let pendingCharset: string | null = null;
  let pending: Buffer[] = [];
  const flush = (): void => {
    if (pendingCharset !== null) out += decodeCharset(Buffer.concat(pending), pendingCharset).text;
    pendingCharset = null;
    pending = [];
  };
  ENCODED_WORD.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = ENCODED_WORD.exec(value)) !== null) {
    const between = value.slice(last, m.index);
    const adjacent = pendingCharset !== null && /^[ \t\r\n]*$/.test(between);
    if (!adjacent) {
      flush();
      out += between;
    }
    const charset = m[1]!.split("*")[0]!.toLowerCase();
    const bytes = m[2] === "B" || m[2] === "b" ? Buffer.from(m[3]!, "base64") : decodeQWord(m[3]!);
    if (pendingCharset !== null && pendingCharset !== charset) flush();
    pendingCharset = charset;
    pending.push(bytes);
    last = m.index + m[0].length;
  }
  flush();
  return out + value.slice(last);
}

function decodeQWord(s: string): Buffer {
  const out = Buffer.allocUnsafe(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5f) out[n++] = 0x20;
    else if (c === 0x3d && i + 2 < s.length + 0 && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
      out[n++] = parseInt(s.slice(i + 1, i + 3), 16);
      i += 2;
    } else out[n++] = c & 0xff;
  }
  return out.subarray(0, n);
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}
