import { checkMode, binaryProblem } from "./safety/check-mode.js";
import { PATH_CHECKS, type PatchPath } from "./safety/check-path.js";
import { checkNulByte } from "./safety/check-nul-byte.js";
import { checkPatchSize, tooLarge } from "./safety/check-patch-size.js";
import type { PathRole, SafetyLimits, SafetyProblem } from "./safety/safety-problem.js";
import { walkPatchHeaders } from "./safety/walk-patch-headers.js";
import { unquoteGitPath } from "./unquote-git-path.js";

export type { SafetyLimits, SafetyProblem, SafetyProblemKind } from "./safety/safety-problem.js";

/**
 * The checks an untrusted patch must pass before git sees it (issue #2, "A patch is untrusted").
 * Pure: text in, problems out, one per kind and path. The size (safety/check-patch-size.ts), a
 * NUL byte (safety/check-nul-byte.ts);
 * then every path of every header, as walkPatchHeaders finds them, decoded from git's C-quoting
 * (bad quoting is a problem of its own) through PATH_CHECKS (absolute, "..", .git, control
 * characters: safety/check-path.ts); modes and binary markers (safety/check-mode.ts).
 */
export function checkPatchSafety(text: string, limits: SafetyLimits): SafetyProblem[] {
  const problems: SafetyProblem[] = [];
  const seen = new Set<string>();
  const add = (p: SafetyProblem | null): void => {
    if (!p) return;
    const key = `${p.kind}\0${p.path ?? ""}`;
    if (seen.has(key)) return;
    seen.add(key);
    problems.push(p);
  };

  const size = checkPatchSize(text, limits);
  add(size);
  add(checkNulByte(text));
  // Refused whole already: the walk over every line of a huge text would only cost memory.
  if (size) return problems;
  walkPatchHeaders(text, {
    path(written: string, line: number, role: PathRole, stripPrefix: boolean): string | null {
      const p = readPath(written, line, role, stripPrefix);
      if ("problem" in p) {
        add(p.problem);
        return null;
      }
      if (stripPrefix && p.decoded === "/dev/null") return p.decoded;
      for (const check of PATH_CHECKS) add(check(p));
      return p.inTree;
    },
    mode: (mode, file, line, header) => add(checkMode(mode, file, line, header)),
    binary: (how, file, line) => add(binaryProblem(how, file, line)),
  });
  return problems;
}

/**
 * checkPatchSafety of texts that git sees as one (a mail's body and its text attachments, joined
 * by line ends), without joining them when they are over the limit anyway.
 */
export function checkPatchTexts(texts: readonly string[], limits: SafetyLimits): SafetyProblem[] {
  let bytes = Math.max(0, texts.length - 1);
  for (const t of texts) bytes += Buffer.byteLength(t, "utf8");
  if (bytes <= limits.maxPatchBytes) return checkPatchSafety(texts.join("\n"), limits);
  const problems: SafetyProblem[] = [tooLarge(bytes, limits)];
  for (const t of texts) {
    const nul = checkNulByte(t);
    if (nul) {
      problems.push(nul);
      break;
    }
  }
  return problems;
}

/**
 * A header path decoded. `stripPrefix`: it carries git's a/ or b/ prefix (one leading component
 * that `git apply -p1` drops), as in `diff --git` and `---`/`+++` lines. Problems are keyed on
 * the path in the tree, so that "a/../x" and "b/../x" of one header are one problem.
 */
function readPath(written: string, line: number, role: PathRole, stripPrefix: boolean): PatchPath | { problem: SafetyProblem } {
  const decoded = unquoteGitPath(written);
  if (decoded === null) {
    return { problem: { kind: "bad-quoting", path: written, line, message: `${role} path ${written} is not a valid quoted path (line ${line})` } };
  }
  let inTree = decoded;
  if (stripPrefix && !decoded.startsWith("/")) {
    const slash = decoded.indexOf("/");
    inTree = slash >= 0 ? decoded.slice(slash + 1) : decoded;
  }
  return { written, decoded, inTree, role, line };
}
