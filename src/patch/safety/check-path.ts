import type { PathRole, SafetyProblem } from "./safety-problem.js";

/** One path of a patch header, decoded (C-quoting undone), as the path checks see it. */
export interface PatchPath {
  /** As written in the header (maybe C-quoted). */
  written: string;
  decoded: string;
  /** Without git's a/ or b/ prefix when the header carries one: the path in the tree. */
  inTree: string;
  role: PathRole;
  line: number;
}

// Characters HFS+ ignores in names, so ".g\u200cit" is ".git" there; strip them before comparing.
const IGNORABLE = /[\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]/g;
// eslint-disable-next-line no-control-regex -- control characters are what this looks for
const CONTROL = /[\x00-\x1f\x7f]/;

function isGitDirComponent(c: string): boolean {
  const bare = c.replace(IGNORABLE, "").toLowerCase();
  // ".git" plus NTFS spellings of it: trailing dots/spaces, the 8.3 short name, and stream suffixes.
  return /^\.git[. ]*$/.test(bare) || bare === "git~1" || /^\.git[. ]*::/.test(bare);
}

function label(p: PatchPath): string {
  const how = p.written !== p.decoded ? ` (written as ${p.written})` : "";
  return `${p.role} path ${JSON.stringify(p.decoded)}${how}`;
}

/** An absolute path, before or after its a/ b/ prefix is stripped. */
export function checkAbsolutePath(p: PatchPath): SafetyProblem | null {
  if (!p.inTree.startsWith("/")) return null;
  const stripped = p.inTree !== p.decoded ? " once its prefix is stripped" : "";
  return { kind: "absolute-path", path: p.inTree, line: p.line, message: `${label(p)} is absolute${stripped} (line ${p.line})` };
}

/** A ".." component anywhere. */
export function checkDotDot(p: PatchPath): SafetyProblem | null {
  if (!p.decoded.split("/").includes("..")) return null;
  return { kind: "dot-dot", path: p.inTree, line: p.line, message: `${label(p)} has a ".." component (line ${p.line})` };
}

/** A component that is .git on some file system (any case, NTFS and HFS+ spellings). */
export function checkGitDir(p: PatchPath): SafetyProblem | null {
  if (!p.decoded.split("/").some(isGitDirComponent)) return null;
  return { kind: "git-dir", path: p.inTree, line: p.line, message: `${label(p)} points into .git/ (line ${p.line})` };
}

/**
 * A CR, LF, TAB, NUL or other control character in a name: such a file name would end up in
 * our reply's lines and in tools' output, and no kernel file has one.
 */
export function checkControlChars(p: PatchPath): SafetyProblem | null {
  const m = CONTROL.exec(p.decoded);
  if (!m) return null;
  const c = m[0].charCodeAt(0);
  const name = c === 0x0d ? "CR" : c === 0x0a ? "LF" : c === 0x09 ? "TAB" : c === 0 ? "NUL" : `control character 0x${c.toString(16).padStart(2, "0")}`;
  return { kind: "control-char", path: p.inTree, line: p.line, message: `${label(p)} holds a ${name} (line ${p.line})` };
}

/** Every check a path must pass, in the order problems are reported. */
export const PATH_CHECKS: readonly ((p: PatchPath) => SafetyProblem | null)[] = [checkAbsolutePath, checkDotDot, checkGitDir, checkControlChars];
