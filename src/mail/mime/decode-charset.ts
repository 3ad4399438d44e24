import { isAscii, isUtf8 } from "node:buffer";
import { TextDecoder } from "node:util";

/** Result of turning bytes into text under a declared charset. */
export interface DecodedText {
  text: string;
  /** Set when the charset was unknown or the bytes did not fit it and a fallback was used. */
  warning: string | null;
}

const decoders = new Map<string, TextDecoder | null>();

function decoderFor(label: string): TextDecoder | null {
  let d = decoders.get(label);
  if (d === undefined) {
    try {
      d = new TextDecoder(label);
    } catch {
      d = null;
    }
    decoders.set(label, d);
  }
  return d;
}

function isUtf8Family(label: string): boolean {
  return label === "utf-8" || label === "utf8" || label === "us-ascii" || label === "ascii" || label === "";
}

/**
 * Decodes bytes as `charset` (a MIME label, any case). Unknown labels and UTF-8/ASCII labels whose
 * bytes are not valid UTF-8 fall back: valid UTF-8 is taken as UTF-8, anything else as latin1
 * (every byte maps to one character, so nothing is lost and a diff keeps its line structure).
 */
export function decodeCharset(bytes: Buffer, charset: string | null): DecodedText {
  const label = (charset ?? "").trim().toLowerCase().replace(/^"|"$/g, "");
  if (isUtf8Family(label)) {
    // Pure ASCII is by far the most common case in kernel mail: skip the validating decoder.
    if (bytes.length === 0 || isAscii(bytes)) return { text: bytes.toString("latin1"), warning: null };
    if (isUtf8(bytes)) return { text: bytes.toString("utf8"), warning: null };
    return {
      text: bytes.toString("latin1"),
      warning: `bytes are not valid ${label || "us-ascii"}/UTF-8; decoded as latin1`,
    };
  }
  const dec = decoderFor(label);
  if (dec) return { text: dec.decode(bytes), warning: null };
  if (bytes.length === 0 || isAscii(bytes)) return { text: bytes.toString("latin1"), warning: `unknown charset "${label}" (text is ASCII)` };
  if (isUtf8(bytes)) return { text: bytes.toString("utf8"), warning: `unknown charset "${label}"; decoded as UTF-8` };
  return { text: bytes.toString("latin1"), warning: `unknown charset "${label}"; decoded as latin1` };
}
