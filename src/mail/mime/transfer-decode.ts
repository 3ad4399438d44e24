/** Outcome of undoing a Content-Transfer-Encoding. */
export interface TransferDecoded {
  bytes: Buffer;
  /** Set when the encoded data looks cut off or damaged (still decoded as far as possible). */
  problem: string | null;
}

/**
 * Undoes base64 / quoted-printable; 7bit, 8bit, binary and unknown encodings are the identity
 * (the bytes are returned as they are: that is what "exact bytes" means for a patch).
 */
export function transferDecode(body: Buffer, encoding: string | null): TransferDecoded {
  const enc = (encoding ?? "").trim().toLowerCase();
  if (enc === "base64") return decodeBase64(body);
  if (enc === "quoted-printable") return { bytes: decodeQuotedPrintable(body), problem: null };
  return { bytes: body, problem: null };
}

function decodeBase64(body: Buffer): TransferDecoded {
  let chars = 0;
  let bad = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f || c === 0x3d) chars++;
    else if (c !== 0x0a && c !== 0x0d && c !== 0x20 && c !== 0x09) bad++;
  }
  const bytes = decodeBase64Chunked(body, chars);
  let problem: string | null = null;
  if (chars % 4 !== 0) problem = `base64 data ends mid-quantum (${chars} characters): truncated`;
  else if (bad > 0) problem = `base64 data has ${bad} invalid characters`;
  return { bytes, problem };
}

/** Below V8's large-object size, so that the per-chunk strings die young (a MiB each piled up until a full GC). */
const CHUNK = 60 * 1024;
/** What Node's base64 decoder skips (it also takes the URL-safe "-" and "_"). */
const NOT_BASE64 = /[^A-Za-z0-9+/=_-]+/g;

/**
 * Base64 decoding a MiB at a time into one output buffer: the same bytes as
 * Buffer.from(body.toString("latin1"), "base64"), without a string of the whole body (a 40 MiB
 * attachment would cost another 40 MiB). Characters Node skips are dropped, each chunk is decoded
 * in groups of four with the rest carried to the next, and decoding ends after the first "="
 * padding, as Node's does.
 */
function decodeBase64Chunked(body: Buffer, chars: number): Buffer {
  if (body.length <= 1024 * 1024) return Buffer.from(body.toString("latin1"), "base64");
  const out = Buffer.allocUnsafe(Math.ceil(chars / 4) * 3 + 3);
  let n = 0;
  let carry = "";
  for (let i = 0; i < body.length; i += CHUNK) {
    const s = carry + body.toString("latin1", i, Math.min(body.length, i + CHUNK)).replace(NOT_BASE64, "");
    const eq = s.indexOf("=");
    if (eq >= 0) {
      let e = eq;
      while (s.charCodeAt(e) === 0x3d) e++;
      n += out.write(s.slice(0, e), n, "base64");
      return out.subarray(0, n);
    }
    const usable = s.length - (s.length % 4);
    n += out.write(s.slice(0, usable), n, "base64");
    carry = s.slice(usable);
  }
  if (carry) n += out.write(carry, n, "base64");
  return out.subarray(0, n);
}

/**
 * RFC 2045 6.7 quoted-printable: "=XX" escapes, "=" at end of line is a soft break, and
 * whitespace at the end of an encoded line is transport padding and is dropped (a real trailing
 * space is sent as "=20"). Line ends are kept as they come (CRLF stays CRLF).
 */
export function decodeQuotedPrintable(body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(body.length);
  let n = 0;
  const len = body.length;
  let i = 0;
  while (i < len) {
    let eol = body.indexOf(0x0a, i);
    if (eol < 0) eol = len;
    let lineEnd = eol;
    if (lineEnd > i && body[lineEnd - 1] === 0x0d) lineEnd--;
    // drop transport whitespace at the end of the encoded line
    let contentEnd = lineEnd;
    while (contentEnd > i && (body[contentEnd - 1] === 0x20 || body[contentEnd - 1] === 0x09)) contentEnd--;
    let soft = false;
    for (let j = i; j < contentEnd; j++) {
      const c = body[j]!;
      if (c === 0x3d) {
        if (j === contentEnd - 1) {
          soft = true;
          break;
        }
        const h1 = hexVal(body[j + 1]!);
        const h2 = j + 2 < contentEnd ? hexVal(body[j + 2]!) : -1;
        if (h1 >= 0 && h2 >= 0) {
          out[n++] = (h1 << 4) | h2;
          j += 2;
          continue;
        }
      }
      out[n++] = c;
    }
    if (!soft && eol < len) {
      for (let j = lineEnd; j <= eol; j++) out[n++] = body[j]!;
    }
    i = eol + 1;
  }
  return out.subarray(0, n);
}

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}
