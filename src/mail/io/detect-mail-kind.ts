/** What a path holds, decided from its structure and first bytes (not from its name). */
export type MailKind = "mbox" | "eml" | "maildir" | "folder" | "unknown";

/**
 * Kind of a file from its first bytes: an mbox starts with a "From " line; a single message
 * starts with a header field ("Name: value"; also "Return-Path:", "Received:" ...).
 */
export function detectFileKind(head: Buffer): "mbox" | "eml" | "unknown" {
  let start = 0;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) start = 3; // UTF-8 BOM
  if (head.toString("latin1", start, start + 5) === "From ") return "mbox";
  const eol = head.indexOf(0x0a, start);
  const first = head.toString("latin1", start, eol < 0 ? Math.min(head.length, 1000) : eol);
  return /^[!-9;-~]+:/.test(first) ? "eml" : "unknown";
}

/** Directory kind: a maildir has cur/ or new/ beside each other; anything else is a folder. */
export function detectDirKind(entries: readonly string[]): "maildir" | "folder" {
  return entries.includes("cur") || entries.includes("new") ? "maildir" : "folder";
}
