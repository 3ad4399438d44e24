/**
 * A flat copy of a string. V8 makes a substring (slice, regex match, trim) of 13 or more
 * characters a view that keeps its whole parent alive: a Message-ID cut out of its header value,
 * or a trailer matched in a reply body, would keep the header value or the body in memory for
 * as long as the message is held. Kept strings that come from a larger one are copied with this.
 * UTF-16 code units are copied as they are (lone surrogates included).
 */
export function ownCopy(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, "utf16le").toString("utf16le");
}
