/**
 * Trailers: "Name: value" lines at the end of a commit message (Signed-off-by, Reviewed-by,
 * Fixes, Link, Cc, ...) and the ones reviewers write in replies ("Reviewed-by: X <x@y>").
 * Pure.
 */
export interface Trailer {
  /** Canonical spelling ("Reviewed-by", "Fixes", "base-commit"). */
  name: string;
  value: string;
}

/** Known trailer names, lower case -> canonical spelling. */
const KNOWN: ReadonlyMap<string, string> = new Map(
  [
    "Signed-off-by",
    "Reviewed-by",
    "Tested-by",
    "Acked-by",
    "Reported-by",
    "Suggested-by",
    "Co-developed-by",
    "Reported-and-tested-by",
    "Nacked-by",
    "Requested-by",
    "Debugged-by",
    "Fixes",
    "Link",
    "Closes",
    "Cc",
    "base-commit",
    "prerequisite-patch-id",
  ].map((n) => [n.toLowerCase(), n]),
);

/** Names that carry no person (b4: "non-person trailers"). */
const NON_PERSON = new Set(["fixes", "link", "closes", "base-commit", "prerequisite-patch-id"]);

// Linear on hostile input: no lazy group before a trailing \s* (values are trimmed by callers).
const LINE = /^([A-Za-z][A-Za-z0-9-]*):[ \t]+(\S.*)$/;

export function canonicalTrailerName(name: string): string | null {
  const lower = name.toLowerCase();
  const known = KNOWN.get(lower);
  if (known) return known;
  // Any "Something-by:" is a person trailer in kernel practice (Bisected-by, Analyzed-by, ...).
  if (/^[a-z][a-z-]*-by$/.test(lower)) return name.charAt(0).toUpperCase() + name.slice(1);
  return null;
}

/**
 * Re-join the two wrappings that mailers commonly make of long trailers (b4 does the same):
 * "Fixes: abc123 (\"long\n title\")" and "Signed-off-by: Long Name\n<addr>".
 */
function unwrap(lines: string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const prev = out[out.length - 1];
    if (prev !== undefined && LINE.test(prev)) {
      if (/^<[^>]+>\s*$/.test(line) && !/<[^>]+>/.test(prev)) {
        out[out.length - 1] = `${prev} ${line.trim()}`;
        continue;
      }
      if (/^[A-Za-z-]+:\s+[0-9a-f]{7,}\s+\([^)]*$/.test(prev) && /\)\s*$/.test(line) && !LINE.test(line)) {
        out[out.length - 1] = `${prev} ${line.trim()}`;
        continue;
      }
    }
    out.push(line);
  }
  return out;
}

/**
 * The trailer block of a commit message: the last paragraph, when every non-empty line of it
 * is a "Name: value" line of a known or "-by" trailer (or a "[bracketed note]" git allows after
 * a trailer). Returns [] when the last paragraph is prose.
 */
export function parseCommitTrailers(commitMessage: string): Trailer[] {
  const lines = unwrap(commitMessage.replace(/\r\n/g, "\n").trimEnd().split("\n"));
  let start = lines.length;
  while (start > 0 && (lines[start - 1] ?? "").trim() !== "") start--;
  const block = lines.slice(start);
  const out: Trailer[] = [];
  for (const line of block) {
    if (/^\s*\[[^\]]+\]\s*$/.test(line)) continue;
    const m = LINE.exec(line);
    const name = m ? canonicalTrailerName(m[1] as string) : null;
    if (!m) return []; // prose in the last paragraph: no trailer block
    if (!name) continue; // "Key: value" git would keep but we have no use for
    out.push({ name, value: (m[2] as string).trim() });
  }
  return out;
}

/**
 * Trailers a reviewer gives in a reply: unquoted lines anywhere above the signature ("-- "),
 * of a known or "-by" name. Like b4's follow-up rules: a person trailer needs an e-mail address,
 * a value with a URL is not taken (except Link/Closes), Signed-off-by and Cc are not taken from
 * replies (a Signed-off-by in a reply belongs to a suggested diff, not to the patch).
 */
export function parseReplyTrailers(text: string): Trailer[] {
  // Most replies carry no trailer at all: one scan for a candidate line before splitting.
  if (!/^[ \t]*(?:[A-Za-z][A-Za-z-]*-by|fixes|link|closes):/im.test(text)) return [];
  const body = text.replace(/\r\n/g, "\n").split(/\n-- \n/)[0] ?? "";
  const out: Trailer[] = [];
  for (const line of unwrap(body.split("\n"))) {
    if (/^\s*>/.test(line)) continue;
    const m = LINE.exec(line.trim());
    if (!m) continue;
    const name = canonicalTrailerName(m[1] as string);
    if (!name) continue;
    const lower = name.toLowerCase();
    if (lower === "signed-off-by" || lower === "cc" || lower === "co-developed-by") continue;
    if (lower === "base-commit" || lower === "prerequisite-patch-id") continue;
    const value = (m[2] as string).trim();
    if (!NON_PERSON.has(lower) && !/\S+@\S+\.\S+/.test(value)) continue;
    if (lower !== "link" && lower !== "closes" && /https?:\/\//.test(value)) continue;
    out.push({ name, value });
  }
  return out;
}

/** base-commit / prerequisite-patch-id lines anywhere in unquoted text (format-patch --base). */
export function parseBaseInfo(text: string): { baseCommit: string | null; prerequisitePatchIds: string[] } {
  let baseCommit: string | null = null;
  const prerequisitePatchIds: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    let m: RegExpExecArray | null;
    if ((m = /^base-commit:\s+([0-9a-f]{7,64})\s*$/.exec(line)) && baseCommit === null) baseCommit = m[1] as string;
    else if ((m = /^prerequisite-patch-id:\s+([0-9a-f]{7,64})\s*$/.exec(line))) prerequisitePatchIds.push(m[1] as string);
  }
  return { baseCommit, prerequisitePatchIds };
}

/**
 * Does a person trailer given in a reply come from that person? b4's rule (without --sloppy):
 * the trailer's address is the sender's, or the trailer's name is the sender's name. A reply
 * that relays someone else's tag ("Tina asked me to add: Tested-by: Tina <...>") does not
 * count; the person has to send it. Non-person trailers (Fixes, Link) always count.
 */
export function trailerFromSender(t: Trailer, sender: { name: string; address: string } | null): boolean {
  if (NON_PERSON.has(t.name.toLowerCase())) return true;
  if (!sender) return false;
  const addr = /<([^>]+)>/.exec(t.value)?.[1] ?? /\S+@\S+/.exec(t.value)?.[0] ?? "";
  if (addr && addr.trim().toLowerCase() === sender.address.trim().toLowerCase()) return true;
  const name = t.value.replace(/<[^>]*>.*$/, "").replace(/\s+/g, " ").trim().toLowerCase();
  return name !== "" && name === sender.name.replace(/\s+/g, " ").trim().toLowerCase();
}
