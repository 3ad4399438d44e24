import { findHeaderEnd, readHeaderBlock, headerValue, type HeaderField } from "./header-block.js";
import { parseParamValue } from "./header-params.js";
import { decodeWords } from "./decode-words.js";

/** A leaf MIME part, body still transfer-encoded (a view into the raw message, no copy). */
export interface MimeLeaf {
  /** Lower case; "text/plain" when absent. */
  contentType: string;
  params: Record<string, string>;
  /** Content-Transfer-Encoding, lower case, or null. */
  encoding: string | null;
  /** "inline" or "attachment" as mailparser would classify the part. */
  disposition: "inline" | "attachment";
  filename: string | null;
  body: Buffer;
}

export interface MimeWalk {
  leaves: MimeLeaf[];
  /** Structural problems (truncation, missing boundaries), readable, one per finding. */
  problems: string[];
}

const MAX_DEPTH = 12;
const INLINE_TEXT_TYPES = new Set(["text/plain", "text/html", "message/delivery-status"]);

/**
 * Walks the MIME tree of a message by byte offsets (Buffer#indexOf for boundaries, no regex over
 * bodies) and returns its leaf parts. A multipart without its closing boundary is kept as far as
 * it goes and reported, so a truncated mail still yields what it has.
 */
export function walkMime(raw: Buffer, rootFields?: HeaderField[]): MimeWalk {
  const out: MimeWalk = { leaves: [], problems: [] };
  if (rootFields) {
    const { bodyStart } = findHeaderEnd(raw, 0);
    walkPart(raw, rootFields, bodyStart, raw.length, 0, "text/plain", out);
  } else {
    const hb = readHeaderBlock(raw, 0);
    walkPart(raw, hb.fields, hb.bodyStart, raw.length, 0, "text/plain", out);
  }
  return out;
}

function walkPart(
  raw: Buffer,
  fields: HeaderField[],
  bodyStart: number,
  end: number,
  depth: number,
  defaultType: string,
  out: MimeWalk,
): void {
  const ct = parseParamValue(headerValue(fields, "content-type") ?? defaultType);
  const contentType = ct.value.includes("/") ? ct.value : defaultType;
  if (contentType.startsWith("multipart/")) {
    const boundary = ct.params["boundary"];
    if (!boundary) {
      out.problems.push(`${contentType} without a boundary parameter; body ignored`);
      return;
    }
    if (depth >= MAX_DEPTH) {
      out.problems.push(`MIME nesting deeper than ${MAX_DEPTH}; inner parts ignored`);
      return;
    }
    const childDefault = contentType === "multipart/digest" ? "message/rfc822" : "text/plain";
    const parts = splitMultipart(raw, boundary, bodyStart, end);
    if (parts.ranges.length === 0) out.problems.push(`${contentType} has no "--${boundary}" boundary line: truncated or malformed`);
    else if (!parts.closed) out.problems.push(`${contentType} has no closing "--${boundary}--" line: truncated MIME`);
    for (const [s, e] of parts.ranges) {
      const sub = raw.subarray(0, e);
      const hb = readHeaderBlock(sub, s);
      walkPart(raw, hb.fields, Math.min(hb.bodyStart, e), e, depth + 1, childDefault, out);
    }
    return;
  }
  const encodingRaw = headerValue(fields, "content-transfer-encoding");
  const cd = headerValue(fields, "content-disposition");
  const dispo = cd === null ? null : parseParamValue(cd);
  let disposition: "inline" | "attachment";
  if (dispo && dispo.value !== "inline" && dispo.value !== "attachment") disposition = "attachment";
  else if (!dispo && !INLINE_TEXT_TYPES.has(contentType)) disposition = "attachment";
  else disposition = dispo?.value === "attachment" ? "attachment" : "inline";
  if (!INLINE_TEXT_TYPES.has(contentType)) disposition = "attachment";
  const name = dispo?.params["filename"] ?? ct.params["name"] ?? null;
  out.leaves.push({
    contentType,
    params: ct.params,
    encoding: encodingRaw === null ? null : encodingRaw.trim().toLowerCase(),
    disposition,
    filename: name === null ? null : decodeWords(name),
    body: raw.subarray(bodyStart, end),
  });
}

/**
 * Byte ranges [start, end) of the parts of a multipart body. A delimiter is "--boundary" at the
 * start of a line; the line break before it belongs to the delimiter (RFC 2046 5.1.1).
 */
function splitMultipart(raw: Buffer, boundary: string, start: number, end: number): { ranges: [number, number][]; closed: boolean } {
  const delim = Buffer.from("--" + boundary, "latin1");
  const ranges: [number, number][] = [];
  let partStart = -1;
  let pos = start;
  while (pos < end) {
    const idx = raw.indexOf(delim, pos);
    if (idx < 0 || idx >= end) break;
    if (idx !== start && raw[idx - 1] !== 0x0a) {
      pos = idx + delim.length;
      continue;
    }
    let after = idx + delim.length;
    const closing = raw[after] === 0x2d && raw[after + 1] === 0x2d;
    if (closing) after += 2;
    // rest of the delimiter line may only be whitespace
    let eol = after;
    while (eol < end && (raw[eol] === 0x20 || raw[eol] === 0x09 || raw[eol] === 0x0d)) eol++;
    if (eol < end && raw[eol] !== 0x0a) {
      pos = after; // "--boundary-more": a longer boundary, not ours
      continue;
    }
    if (partStart >= 0) {
      let partEnd = idx;
      if (partEnd > partStart && raw[partEnd - 1] === 0x0a) partEnd--;
      if (partEnd > partStart && raw[partEnd - 1] === 0x0d) partEnd--;
      ranges.push([partStart, Math.max(partStart, partEnd)]);
    }
    if (closing) return { ranges, closed: true };
    partStart = Math.min(eol + 1, end);
    pos = partStart;
  }
  if (partStart >= 0) ranges.push([partStart, end]);
  return { ranges, closed: false };
}
