import { takeQuoted } from "../unquote-git-path.js";
import type { PathRole } from "./safety-problem.js";

/** What the walk reports; `path` returns the path in the tree (null when it cannot be read). */
export interface PatchHeaderVisitor {
  path(written: string, line: number, role: PathRole, stripPrefix: boolean): string | null;
  mode(mode: string, file: string, line: number, header: string): void;
  binary(how: string, file: string, line: number): void;
}

/**
 * Walks a patch the way `git apply` reads it and reports every path, mode and binary marker of
 * its headers: file headers (`diff --git`, `---`/`+++`, extended headers) are looked at, hunk
 * bodies are skipped by their line counts, so that a removed line such as "-- /etc/x" is not
 * mistaken for a header.
 */
export function walkPatchHeaders(text: string, visit: PatchHeaderVisitor): void {
  const lines = text.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  /** The file the current header block is about, for mode and binary messages. */
  let current = "(unknown file)";
  let inGitHeader = false;
  let oldLeft = 0;
  let newLeft = 0;

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const lineNo = i + 1;

    if (oldLeft > 0 || newLeft > 0) {
      const c = line[0];
      if (c === " " || line === "") {
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
      // The counts lied; git apply will refuse it. Look at this line as a header again.
      oldLeft = 0;
      newLeft = 0;
    }

    const hunk = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@/.exec(line);
    if (hunk) {
      oldLeft = hunk[1] === undefined ? 1 : Number(hunk[1]);
      newLeft = hunk[2] === undefined ? 1 : Number(hunk[2]);
      inGitHeader = false;
      continue;
    }

    if (line.startsWith("diff --git ")) {
      inGitHeader = true;
      for (const n of splitDiffGitNames(line.slice("diff --git ".length))) {
        const inTree = visit.path(n, lineNo, "diff header", true);
        if (inTree !== null) current = inTree;
      }
      continue;
    }

    if (line.startsWith("--- ") && (lines[i + 1] ?? "").startsWith("+++ ")) {
      visit.path(stripTimestamp(line.slice(4)), lineNo, "old", true);
      const inTree = visit.path(stripTimestamp(lines[i + 1]!.slice(4)), lineNo + 1, "new", true);
      if (inTree !== null && inTree !== "/dev/null") current = inTree;
      i++;
      inGitHeader = false;
      continue;
    }

    if (line.startsWith("GIT binary patch")) {
      visit.binary("GIT binary patch", current, lineNo);
      continue;
    }
    const bin = /^Binary files (.*) and (.*) differ$/.exec(line);
    if (bin) {
      visit.binary("Binary files ... differ", current, lineNo);
      for (const n of [bin[1]!, bin[2]!]) visit.path(n, lineNo, "diff header", true);
      continue;
    }

    if (!inGitHeader) continue;
    const ext = /^(old mode|new mode|deleted file mode|new file mode) ([0-7]+)\s*$/.exec(line);
    if (ext) {
      visit.mode(ext[2]!, current, lineNo, ext[1]!);
      continue;
    }
    const idx = /^index [0-9a-f]+\.\.[0-9a-f]+(?: ([0-7]+))?\s*$/.exec(line);
    if (idx) {
      if (idx[1] !== undefined) visit.mode(idx[1], current, lineNo, "index");
      continue;
    }
    const mv = /^(rename from|rename to|rename old|rename new|copy from|copy to) (.+)$/.exec(line);
    if (mv) {
      const role: PathRole = mv[1]!.startsWith("copy")
        ? mv[1] === "copy from" ? "copy source" : "copy target"
        : mv[1] === "rename from" || mv[1] === "rename old" ? "rename source" : "rename target";
      visit.path(mv[2]!, lineNo, role, false);
      continue;
    }
    if (/^(similarity index|dissimilarity index) /.test(line)) continue;
    // Anything else ends the extended header block.
    inGitHeader = false;
  }
}

/** `--- a/foo.c\t2020-01-01 00:00:00` (traditional diff) names a/foo.c. */
function stripTimestamp(name: string): string {
  if (name.startsWith('"')) return takeQuoted(name)?.token ?? name;
  const tab = name.indexOf("\t");
  return tab >= 0 ? name.slice(0, tab) : name.replace(/\s+$/, "");
}

/**
 * The two names of `diff --git A B`. Quoted names are exact. Unquoted names may contain spaces;
 * git takes the split where both names agree after their prefix, and so do we. When no split
 * agrees we return the whole text as one name so its components are still checked.
 */
function splitDiffGitNames(rest: string): string[] {
  const q = takeQuoted(rest);
  if (q) {
    const second = takeQuoted(q.rest)?.token ?? q.rest;
    return [q.token, second];
  }
  const qi = rest.indexOf(' "');
  if (qi >= 0) return [rest.slice(0, qi), rest.slice(qi + 1)];
  const stripped = (s: string): string => s.slice(s.indexOf("/") + 1);
  for (let at = rest.indexOf(" "); at >= 0; at = rest.indexOf(" ", at + 1)) {
    const a = rest.slice(0, at);
    const b = rest.slice(at + 1);
    if (stripped(a) === stripped(b)) return [a, b];
  }
  return [rest];
}
