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

/**
 * Where the header block of an RFC 822 message (or MIME part) ends. Works on bytes so that the
 * body is never touched: the empty line is "\n\n" or "\n\r\n" (CRLF mail, or mixed).
 */
export function findHeaderEnd(raw: Buffer, start = 0): { headerEnd: number; bodyStart: number } {
  // A message (or part) that starts with an empty line has no headers at all.
  if (raw[start] === 0x0a) return { headerEnd: start, bodyStart: start + 1 };
  if (raw[start] === 0x0d && raw[start + 1] === 0x0a) return { headerEnd: start, bodyStart: start + 2 };
  const lf = raw.indexOf("\n\n", start, "latin1");
  const crlf = raw.indexOf("\n\r\n", start, "latin1");
  if (lf < 0 && crlf < 0) return { headerEnd: raw.length, bodyStart: raw.length };
  if (crlf < 0 || (lf >= 0 && lf < crlf)) return { headerEnd: lf + 1, bodyStart: lf + 2 };
  return { headerEnd: crlf + 1, bodyStart: crlf + 3 };
}

/**
 * Splits a header block into fields. Header bytes are read as latin1 first (cheap, 1:1) and
 * re-read as UTF-8 only for values that carry 8-bit bytes (RFC 6532 raw UTF-8 headers), so a
 * 3 KB block of Received/DKIM lines costs one string and a few indexOf calls.
 * `wanted` limits which fields are materialized (others are skipped without building strings).
 */
export function readHeaderBlock(raw: Buffer, start = 0, wanted?: ReadonlySet<string>): HeaderBlock {
  const { headerEnd, bodyStart } = findHeaderEnd(raw, start);
  const text = raw.toString("latin1", start, headerEnd);
  const fields: HeaderField[] = [];
  let pos = 0;
  const len = text.length;
  while (pos < len) {
    let eol = text.indexOf("\n", pos);
    if (eol < 0) eol = len;
    // Find the end of this field: continuation lines start with space or tab.
    let end = eol;
    while (end + 1 < len) {
      const c = text.charCodeAt(end + 1);
      if (c !== 0x20 && c !== 0x09) break;
      const next = text.indexOf("\n", end + 1);
      end = next < 0 ? len : next;
    }
    const colon = text.indexOf(":", pos);
    if (colon > pos && colon < eol) {
      const name = text.slice(pos, colon).trim().toLowerCase();
      if (!wanted || wanted.has(name)) {
        fields.push({ name, value: unfoldValue(text, colon + 1, end) });
      }
    }
    // A line without a colon (garbage, or an mbox "From " line that slipped in) is skipped.
    pos = end + 1;
  }
  return { fields, bodyStart, headerEnd };
}

function unfoldValue(text: string, from: number, to: number): string {
  let v = text.slice(from, to);
  if (v.indexOf("\n") >= 0) v = v.replace(/\r?\n(?=[ \t])/g, "");
  if (v.endsWith("\r")) v = v.slice(0, -1);
  v = v.trim();
  // 8-bit header bytes: most likely UTF-8 (RFC 6532); keep latin1 when they are not valid UTF-8.
  if (/[\x80-\xff]/.test(v)) {
    const bytes = Buffer.from(v, "latin1");
    const utf8 = bytes.toString("utf8");
    if (!utf8.includes("\ufffd")) v = utf8;
  }
  return v;
}

/** First value of a header (by lower-case name), or null. */
export function headerValue(fields: readonly HeaderField[], name: string): string | null {
  for (const f of fields) if (f.name === name) return f.value;
  return null;
}
