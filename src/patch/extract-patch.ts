import parseDiff from "parse-diff";
import type { MailMessage } from "../mail/mail-message.js";
import { parseBaseInfo, parseCommitTrailers, type Trailer } from "./parse-trailers.js";
import { scanDiffFiles, scanDiffRegion, type DiffRegion } from "./scan-diff-region.js";

/** One file of a diff, with the changed lines (without their +/- marker). */
export interface PatchFile {
  /** The path the change is about: the new path, or the old one for a deletion. */
  path: string;
  oldPath: string | null;
  newPath: string | null;
  added: string[];
  removed: string[];
  newFile: boolean;
  deletedFile: boolean;
  /** Hunk headers as written ("@@ -404,6 +404,27 @@ static int pci_read_irq_line(...)"). */
  hunks: string[];
}

/** A `git request-pull` message. */
export interface PullRequest {
  /** "The following changes since commit <sha>". */
  base: string;
  /** "for you to fetch changes up to <sha>", null when absent. */
  head: string | null;
  url: string;
  ref: string | null;
}

export interface ExtractedPatch {
  kind: "inline" | "attachment" | "pull";
  /** Commit message: the body above the "---" line (in-body From:/Subject: kept as written). */
  commitMessage: string;
  /** The diff text exactly as carried (from the first file header to the end of the last hunk). */
  diffText: string;
  files: PatchFile[];
  /** Trailers of the commit message. */
  trailers: Trailer[];
  baseCommit: string | null;
  prerequisitePatchIds: string[];
  /** Filename of the attachment the patch came from (kind "attachment"). */
  attachment: string | null;
  pull: PullRequest | null;
}

const HEADER_LINE =
  /^(diff --git |index [0-9a-f]|--- |\+\+\+ |old mode |new mode |deleted file mode |new file mode |similarity index |dissimilarity index |rename from |rename to |copy from |copy to |Binary files |GIT binary patch|Index: |={20,}$)/;
const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/**
 * Where the diff in `lines` starts: a "diff --git" line, or a unified "--- " header followed by
 * "+++ " and "@@". -1 when there is none. Lines quoted with ">" never match (they start with ">").
 */
export function findDiffStart(lines: readonly string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as string;
    if (l.startsWith("diff --git ") && / b\//.test(l)) return i;
    if (l.startsWith("--- ") && (lines[i + 1] ?? "").startsWith("+++ ") && HUNK.test(lines[i + 2] ?? "")) return i;
    if (l.startsWith("Index: ") && /^={20,}$/.test(lines[i + 1] ?? "")) return i;
  }
  return -1;
}

/**
 * The end (exclusive) of a diff starting at `start`: follows hunk line counts so that a removed
 * line "- " (which reads "-- ") is not mistaken for the signature separator, and stops at the
 * first line that is neither a file header, a hunk nor hunk content.
 */
export function findDiffEnd(lines: readonly string[], start: number): number {
  let i = start;
  let oldLeft = 0;
  let newLeft = 0;
  let binary = false;
  for (; i < lines.length; i++) {
    const l = lines[i] as string;
    if (oldLeft > 0 || newLeft > 0) {
      const c = l.charAt(0);
      if (c === " " || l === "") {
        oldLeft--;
        newLeft--;
      } else if (c === "-") oldLeft--;
      else if (c === "+") newLeft--;
      else if (c === "\\") continue;
      else {
        // The counts lied; the diff ends here (the safety check reports lying hunks).
        oldLeft = newLeft = 0;
        i--;
        continue;
      }
      continue;
    }
    if (l.startsWith("\\ No newline")) continue;
    const h = HUNK.exec(l);
    if (h) {
      oldLeft = h[2] === undefined ? 1 : Number(h[2]);
      newLeft = h[4] === undefined ? 1 : Number(h[4]);
      continue;
    }
    if (l.startsWith("GIT binary patch")) {
      binary = true;
      continue;
    }
    if (binary && /^(literal|delta) \d+$|^[A-Za-z][0-9A-Za-z+/=`~!@#$%^&*()_{};<>?|-]*$/.test(l)) continue;
    if (binary && l === "") {
      continue;
    }
    binary = false;
    if (HEADER_LINE.test(l)) continue;
    break;
  }
  // Blank lines git adds after the last hunk are not part of the diff.
  while (i > start && (lines[i - 1] ?? "") === "" && !binary) i--;
  return i;
}

/** Strip a/ b/ prefixes and /dev/null from parse-diff paths. */
function cleanPath(p: string | undefined): string | null {
  if (!p || p === "/dev/null") return null;
  return p.replace(/^[ab]\//, "");
}

export function diffFiles(diffText: string): PatchFile[] {
  const files: PatchFile[] = [];
  for (const f of parseDiff(diffText)) {
    const oldPath = cleanPath(f.from);
    const newPath = cleanPath(f.to);
    const added: string[] = [];
    const removed: string[] = [];
    const hunks: string[] = [];
    for (const ch of f.chunks) {
      hunks.push(ch.content);
      for (const c of ch.changes) {
        if (c.type === "add") added.push(c.content.slice(1));
        else if (c.type === "del") removed.push(c.content.slice(1));
      }
    }
    files.push({
      path: newPath ?? oldPath ?? "",
      oldPath,
      newPath,
      added,
      removed,
      newFile: f.new === true || oldPath === null,
      deletedFile: f.deleted === true || newPath === null,
      hunks,
    });
  }
  return files;
}

/**
 * A text this long (characters) is walked by offsets (scanDiffRegion) instead of being split into
 * an array of its lines: the same decisions, without 600,000 strings for a 40 MiB patch.
 */
export const LARGE_TEXT = 1024 * 1024;
/**
 * A diff this long is read by its file headers only (scanDiffFiles): it is far over
 * limits.maxPatchBytes by default and is refused before git sees it, and parse-diff makes an
 * object of every line (a 40 MiB diff took 185 MB).
 */
export const LARGE_DIFF = 8 * 1024 * 1024;

/** The diff region of a text through its array of lines (texts up to LARGE_TEXT). */
export function splitDiffRegion(body: string): DiffRegion | null {
  const lines = body.split("\n");
  const start = findDiffStart(lines);
  if (start < 0) return null;
  const end = findDiffEnd(lines, start);
  let sep = -1;
  for (let i = 0; i < start; i++) {
    if (lines[i] === "---") {
      sep = i;
      break;
    }
  }
  // offsets of lines 0..k, one pass
  const offsets: number[] = [];
  let off = 0;
  const want = Math.max(start, end);
  for (let i = 0; i <= want; i++) {
    offsets.push(off);
    off += (lines[i] ?? "").length + 1;
  }
  return { start: offsets[start]!, end: offsets[end]!, separator: sep >= 0 ? offsets[sep]! : -1 };
}

/** Parse a text that contains a patch (mail body or attachment). null when it has no diff. */
export function extractFromText(text: string, kind: "inline" | "attachment", attachment: string | null): ExtractedPatch | null {
  let body = text.replace(/\r\n/g, "\n");
  // An attached `git format-patch` file: drop its mbox "From <sha>" line and header block.
  if (kind === "attachment" && /^From [0-9a-f]{40} /.test(body)) {
    const end = body.indexOf("\n\n");
    body = end >= 0 ? body.slice(end + 2) : "";
  }
  const region = body.length > LARGE_TEXT ? scanDiffRegion(body) : splitDiffRegion(body);
  if (!region) return null;
  // The pieces are slices of `body`, not joins of its lines: a join is a copy, and of a 40 MiB
  // patch each one was 40 MiB more. The commit message ends at the first "---" line above the
  // diff, as for git am (the diffstat and version notes sit between it and the diff, and may
  // contain more "---").
  const diffText = body.slice(region.start, region.end - 1) + "\n";
  const msgEnd = region.separator >= 0 ? region.separator : region.start;
  const commitMessage = msgEnd === 0 ? "" : body.slice(0, msgEnd - 1).trimEnd();
  const tail = body.slice(region.end);
  const files = diffText.length > LARGE_DIFF ? scanDiffFiles(body, region) : diffFiles(diffText);
  if (files.length === 0) return null;
  return {
    kind,
    commitMessage,
    diffText,
    files,
    trailers: parseCommitTrailers(commitMessage),
    ...parseBaseInfo(tail.split(/\n-- \n/)[0] ?? ""),
    attachment,
    pull: null,
  };
}

const PULL_SINCE = /^The following changes since commit ([0-9a-f]{40}):?\s*$/m;
const PULL_AT = /are available in the Git repository at:\s+(\S+)(?:[ \t]+(\S+))?/;
const PULL_UPTO = /for you to fetch changes up to ([0-9a-f]{40}):?/;

/** A `git request-pull` text, or null. */
export function parsePullRequest(text: string): PullRequest | null {
  const since = PULL_SINCE.exec(text);
  const at = PULL_AT.exec(text);
  if (!since || !at) return null;
  const upto = PULL_UPTO.exec(text);
  return { base: since[1] as string, head: upto ? (upto[1] as string) : null, url: at[1] as string, ref: at[2] ?? null };
}

/**
 * Files named by a diffstat (" drivers/mfd/demo-mfd.c | 1 +"), as PatchFiles without lines:
 * enough to judge a pull request by path. Renames ("a => b", "{a => b}/c") give the new path;
 * paths git shortened with "..." are skipped (they cannot be matched honestly).
 */
export function diffstatFiles(text: string): PatchFile[] {
  const out: PatchFile[] = [];
  for (const line of text.split(/\r?\n/)) {
    // Split at the bar instead of one regex: a lazy group before \s+ is quadratic on long lines.
    const bar = line.indexOf("|");
    if (bar < 2 || line.charAt(0) !== " " || line.charAt(1) === " " || !/^\s*(\d+|Bin\b)/.test(line.slice(bar + 1))) continue;
    let p = line.slice(1, bar).trim();
    if (p === "") continue;
    if (p.startsWith("...")) continue;
    p = p.replace(/\{[^}]*=> ([^}]*)\}/, "$1").replace(/^.* => /, "").replace(/\/\//g, "/");
    out.push({ path: p, oldPath: p, newPath: p, added: [], removed: [], newFile: false, deletedFile: false, hunks: [] });
  }
  return out;
}

const PATCH_TYPES = new Set(["text/x-patch", "text/x-diff", "text/x-diff-patch", "application/x-patch", "text/diff", "application/x-diff"]);

/**
 * The patch a message carries in its own text (never in lines quoted with ">"), in a
 * text/x-patch or text/x-diff attachment (or an attachment named *.patch / *.diff), or as a
 * `git request-pull` pull request. Deciding whether the message is a *submission* (and not a
 * review quoting or suggesting a diff) is the series builder's job; this only finds the patch.
 */
export function extractPatch(msg: MailMessage): ExtractedPatch | null {
  const pull = parsePullRequest(msg.text);
  if (pull) {
    const inline = extractFromText(msg.text, "inline", null);
    return {
      kind: "pull",
      commitMessage: msg.text.split(PULL_SINCE)[0]?.trimEnd() ?? "",
      diffText: inline?.diffText ?? "",
      files: inline?.files ?? diffstatFiles(msg.text),
      trailers: [],
      baseCommit: pull.base,
      prerequisitePatchIds: [],
      attachment: null,
      pull,
    };
  }
  const inline = extractFromText(msg.text, "inline", null);
  if (inline) return inline;
  for (const a of msg.attachments) {
    if (a.text === null) continue;
    const type = a.contentType.toLowerCase();
    const named = a.filename !== null && /\.(patch|diff)$/i.test(a.filename);
    if (!PATCH_TYPES.has(type) && !(named && (type.startsWith("text/") || type === "application/octet-stream"))) continue;
    const found = extractFromText(a.text, "attachment", a.filename);
    if (found) {
      // The mail body is the commit message when the attachment is a bare diff.
      if (found.commitMessage === "" && msg.text.trim() !== "") {
        const commitMessage = msg.text.trimEnd();
        return { ...found, commitMessage, trailers: parseCommitTrailers(commitMessage) };
      }
      return found;
    }
  }
  return null;
}

/** A quoted diff line: "> diff --git", "> @@ -1,2 +1,3 @@", or "> --- a/x" over "> +++ b/x". */
const QUOTED_DIFF = /^(?:>[ \t]?)+(?:diff --git |@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@|--- [^\n]*\r?\n(?:>[ \t]?)+\+\+\+ )/m;

/** True when `text` quotes a diff. One regex pass: runs on every reply in a patch thread. */
export function quotesDiff(text: string): boolean {
  return QUOTED_DIFF.test(text);
}
