import { takeQuoted, unquoteGitPath } from "./unquote-git-path.js";

/**
 * The checks an untrusted patch must pass before git sees it (issue #2, "A patch is untrusted").
 * Pure: text in, problems out. The text is scanned the way `git apply` reads it: file headers
 * (`diff --git`, `---`/`+++`, extended headers) are looked at, hunk bodies are skipped by their
 * line counts so that a removed line such as "-- /etc/x" is not mistaken for a header.
 */
export type SafetyProblemKind =
  | "absolute-path"
  | "dot-dot"
  | "git-dir"
  | "symlink"
  | "submodule"
  | "binary"
  | "bad-quoting"
  | "too-large";

export interface SafetyProblem {
  kind: SafetyProblemKind;
  /** The path concerned, decoded and without git's a/ or b/ prefix (null for the size check). */
  path: string | null;
  /** 1-based line of the text where it was seen (null for the size check). */
  line: number | null;
  message: string;
}

export interface SafetyLimits {
  maxPatchBytes: number;
}

/** What a path is in its header, for messages ("rename target", "new file"...). */
type Role = "old" | "new" | "diff header" | "rename source" | "rename target" | "copy source" | "copy target";

// Characters HFS+ ignores in names, so ".g\u200cit" is ".git" there; strip them before comparing.
const IGNORABLE = /[\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]/g;

function isGitDirComponent(c: string): boolean {
  const bare = c.replace(IGNORABLE, "").toLowerCase();
  // ".git" plus NTFS spellings of it: trailing dots/spaces, the 8.3 short name, and stream suffixes.
  return /^\.git[. ]*$/.test(bare) || bare === "git~1" || /^\.git[. ]*::/.test(bare);
}

export function checkPatchSafety(text: string, limits: SafetyLimits): SafetyProblem[] {
  const problems: SafetyProblem[] = [];
  const seen = new Set<string>();
  const add = (p: SafetyProblem): void => {
    const key = `${p.kind}\0${p.path ?? ""}`;
    if (seen.has(key)) return;
    seen.add(key);
    problems.push(p);
  };

  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > limits.maxPatchBytes) {
    add({
      kind: "too-large",
      path: null,
      line: null,
      message: `patch is ${bytes} bytes, over the limit of ${limits.maxPatchBytes} bytes (limits.maxPatchBytes)`,
    });
  }

  /**
   * Checks one path. `stripPrefix`: the path carries git's a/ or b/ prefix (one leading
   * component that `git apply -p1` drops), as in `diff --git` and `---`/`+++` lines.
   */
  const checkPath = (written: string, lineNo: number, role: Role, stripPrefix: boolean): string | null => {
    const decoded = unquoteGitPath(written);
    if (decoded === null) {
      add({
        kind: "bad-quoting",
        path: written,
        line: lineNo,
        message: `${role} path ${written} is not a valid quoted path (line ${lineNo})`,
      });
      return null;
    }
    const how = written !== decoded ? ` (written as ${written})` : "";
    const label = `${role} path ${JSON.stringify(decoded)}${how}`;
    if (stripPrefix && decoded === "/dev/null") return decoded;
    // The path as git would write it in the tree: without the a/ or b/ prefix. Problems are
    // keyed on it so that "a/../x" and "b/../x" of one header are one problem.
    let inTree = decoded;
    if (stripPrefix && !decoded.startsWith("/")) {
      const slash = decoded.indexOf("/");
      inTree = slash >= 0 ? decoded.slice(slash + 1) : decoded;
    }
    if (inTree.startsWith("/")) {
      const stripped = inTree !== decoded ? " once its prefix is stripped" : "";
      add({ kind: "absolute-path", path: inTree, line: lineNo, message: `${label} is absolute${stripped} (line ${lineNo})` });
    }
    const parts = decoded.split("/");
    if (parts.includes("..")) {
      add({ kind: "dot-dot", path: inTree, line: lineNo, message: `${label} has a ".." component (line ${lineNo})` });
    }
    if (parts.some(isGitDirComponent)) {
      add({ kind: "git-dir", path: inTree, line: lineNo, message: `${label} points into .git/ (line ${lineNo})` });
    }
    return inTree;
  };

  const checkMode = (mode: string, file: string, lineNo: number, header: string): void => {
    const where = `${JSON.stringify(file)} (${header}, line ${lineNo})`;
    if (mode === "120000") {
      add({ kind: "symlink", path: file, line: lineNo, message: `symlink mode 120000 on ${where}` });
    } else if (mode === "160000") {
      add({ kind: "submodule", path: file, line: lineNo, message: `submodule (gitlink) mode 160000 on ${where}` });
    }
  };

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
      const names = splitDiffGitNames(line.slice("diff --git ".length));
      for (const n of names) {
        const inTree = checkPath(n, lineNo, "diff header", true);
        if (inTree !== null) current = inTree;
      }
      continue;
    }

    if (line.startsWith("--- ") && (lines[i + 1] ?? "").startsWith("+++ ")) {
      const oldName = stripTimestamp(line.slice(4));
      const newName = stripTimestamp(lines[i + 1]!.slice(4));
      checkPath(oldName, lineNo, "old", true);
      const inTree = checkPath(newName, lineNo + 1, "new", true);
      if (inTree !== null && inTree !== "/dev/null") current = inTree;
      i++;
      inGitHeader = false;
      continue;
    }

    if (line.startsWith("GIT binary patch")) {
      add({ kind: "binary", path: current, line: lineNo, message: `binary patch (GIT binary patch) for ${JSON.stringify(current)} (line ${lineNo})` });
      continue;
    }
    const bin = /^Binary files (.*) and (.*) differ$/.exec(line);
    if (bin) {
      add({ kind: "binary", path: current, line: lineNo, message: `binary patch (Binary files ... differ) for ${JSON.stringify(current)} (line ${lineNo})` });
      for (const n of [bin[1]!, bin[2]!]) checkPath(n, lineNo, "diff header", true);
      continue;
    }

    if (!inGitHeader) continue;
    const ext = /^(old mode|new mode|deleted file mode|new file mode) ([0-7]+)\s*$/.exec(line);
    if (ext) {
      checkMode(ext[2]!, current, lineNo, ext[1]!);
      continue;
    }
    const idx = /^index [0-9a-f]+\.\.[0-9a-f]+(?: ([0-7]+))?\s*$/.exec(line);
    if (idx) {
      if (idx[1] !== undefined) checkMode(idx[1], current, lineNo, "index");
      continue;
    }
    const mv = /^(rename from|rename to|rename old|rename new|copy from|copy to) (.+)$/.exec(line);
    if (mv) {
      const role: Role = mv[1]!.startsWith("copy")
        ? mv[1] === "copy from" ? "copy source" : "copy target"
        : mv[1] === "rename from" || mv[1] === "rename old" ? "rename source" : "rename target";
      checkPath(mv[2]!, lineNo, role, false);
      continue;
    }
    if (/^(similarity index|dissimilarity index) /.test(line)) continue;
    // Anything else ends the extended header block.
    inGitHeader = false;
  }
  return problems;
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
