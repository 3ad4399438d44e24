import type { PatchFile } from "./extract-patch.js";

/**
 * Where the diff of a text is, found by walking its lines as offsets: the same decisions as
 * findDiffStart/findDiffEnd (extract-patch.ts) over `text.split("\n")`, without that array (a
 * 40 MiB patch is 600,000 lines: the array and its strings were 25 MB). Used for large texts.
 */
export interface DiffRegion {
  /** Offset where the diff's first line starts. */
  start: number;
  /** Offset just past the diff: where the first line after it starts (text.length + 1 at the end). */
  end: number;
  /** Offset of the first "---" line above the diff (the end of the commit message), or -1. */
  separator: number;
}

const HEADER_LINE =
  /^(diff --git |index [0-9a-f]|--- |\+\+\+ |old mode |new mode |deleted file mode |new file mode |similarity index |dissimilarity index |rename from |rename to |copy from |copy to |Binary files |GIT binary patch|Index: |={20,}$)/;
const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/** Line cursor over a string: line `at` is text[at .. next(at) - 1). */
function next(text: string, at: number): number {
  const nl = text.indexOf("\n", at);
  return nl < 0 ? text.length + 1 : nl + 1;
}
function line(text: string, at: number): string {
  return at > text.length ? "" : text.slice(at, next(text, at) - 1);
}

export function scanDiffRegion(text: string): DiffRegion | null {
  let separator = -1;
  let start = -1;
  for (let at = 0; at <= text.length; at = next(text, at)) {
    const l = line(text, at);
    const n1 = next(text, at);
    if (l.startsWith("diff --git ") && / b\//.test(l)) {
      start = at;
      break;
    }
    if (l.startsWith("--- ") && line(text, n1).startsWith("+++ ") && HUNK.test(line(text, next(text, n1)))) {
      start = at;
      break;
    }
    if (l.startsWith("Index: ") && /^={20,}$/.test(line(text, n1))) {
      start = at;
      break;
    }
    if (separator < 0 && l === "---") separator = at;
    if (n1 > text.length) break;
  }
  if (start < 0) return null;
  return { start, end: scanDiffEnd(text, start), separator };
}

function scanDiffEnd(text: string, start: number): number {
  let at = start;
  let oldLeft = 0;
  let newLeft = 0;
  let binary = false;
  while (at <= text.length) {
    const l = line(text, at);
    if (oldLeft > 0 || newLeft > 0) {
      const c = l.charAt(0);
      if (c === " " || l === "") {
        oldLeft--;
        newLeft--;
      } else if (c === "-") oldLeft--;
      else if (c === "+") newLeft--;
      else if (c !== "\\") {
        // The counts lied; the diff ends here (the safety check reports lying hunks): this line
        // is looked at again as a header.
        oldLeft = newLeft = 0;
        continue;
      }
      at = next(text, at);
      continue;
    }
    if (l.startsWith("\\ No newline") || l.startsWith("GIT binary patch")) {
      if (l.startsWith("GIT binary patch")) binary = true;
      at = next(text, at);
      continue;
    }
    const h = HUNK.exec(l);
    if (h) {
      oldLeft = h[2] === undefined ? 1 : Number(h[2]);
      newLeft = h[4] === undefined ? 1 : Number(h[4]);
      at = next(text, at);
      continue;
    }
    if (binary && (l === "" || /^(literal|delta) \d+$|^[A-Za-z][0-9A-Za-z+/=`~!@#$%^&*()_{};<>?|-]*$/.test(l))) {
      at = next(text, at);
      continue;
    }
    binary = false;
    if (HEADER_LINE.test(l)) {
      at = next(text, at);
      continue;
    }
    break;
  }
  // Blank lines git adds after the last hunk are not part of the diff: while the line before
  // `at` is empty (its "\n" follows another "\n").
  let end = at;
  while (!binary && end - 1 > start && text.charCodeAt(end - 2) === 0x0a) end--;
  return end;
}

/**
 * The files of a diff region from its headers alone (paths, new/deleted, hunk headers; no
 * changed lines), walking it by offsets. See diffFilesFromHeaders.
 */
export function scanDiffFiles(text: string, region: DiffRegion): PatchFile[] {
  // Only header lines are looked at: hunk bodies are skipped by their counts as they are read.
  const files: PatchFile[] = [];
  let cur: PatchFile | null = null;
  let oldLeft = 0;
  let newLeft = 0;
  const open = (oldPath: string | null, newPath: string | null): PatchFile => {
    cur = { path: newPath ?? oldPath ?? "", oldPath, newPath, added: [], removed: [], newFile: false, deletedFile: false, hunks: [] };
    files.push(cur);
    return cur;
  };
  const clean = (p: string | undefined): string | null => (!p || p === "/dev/null" ? null : p.replace(/^[ab]\//, ""));
  for (let at = region.start; at < region.end && at <= text.length; at = next(text, at)) {
    const l = line(text, at);
    if (oldLeft > 0 || newLeft > 0) {
      const c = l.charAt(0);
      if (c === " " || l === "") {
        oldLeft--;
        newLeft--;
        continue;
      }
      if (c === "-") {
        oldLeft--;
        continue;
      }
      if (c === "+") {
        newLeft--;
        continue;
      }
      if (c === "\\") continue;
      oldLeft = newLeft = 0;
    }
    const h = HUNK.exec(l);
    if (h) {
      oldLeft = h[2] === undefined ? 1 : Number(h[2]);
      newLeft = h[4] === undefined ? 1 : Number(h[4]);
      (cur ?? open(null, null)).hunks.push(l);
      continue;
    }
    const git = /^diff --git a\/(.+) b\/(.+)$/.exec(l);
    if (git) {
      open(git[1]!, git[2]!);
      continue;
    }
    const n1 = next(text, at);
    if (l.startsWith("--- ") && line(text, n1).startsWith("+++ ")) {
      const oldPath = clean(l.slice(4).split("\t")[0]);
      const newPath = clean(line(text, n1).slice(4).split("\t")[0]);
      const f: PatchFile = cur !== null && (cur as PatchFile).hunks.length === 0 ? (cur as PatchFile) : open(oldPath, newPath);
      f.oldPath = oldPath;
      f.newPath = newPath;
      f.path = newPath ?? oldPath ?? f.path;
      f.newFile ||= oldPath === null;
      f.deletedFile ||= newPath === null;
      at = n1;
      continue;
    }
    if (cur === null) continue;
    const c: PatchFile = cur;
    if (l.startsWith("new file mode ")) c.newFile = true;
    else if (l.startsWith("deleted file mode ")) c.deletedFile = true;
    else if (l.startsWith("rename from ")) c.oldPath = l.slice("rename from ".length);
    else if (l.startsWith("rename to ")) c.path = c.newPath = l.slice("rename to ".length);
  }
  return files;
}
