/** What kind of hostile thing a patch holds (one check each, see check-patch-safety.ts). */
export type SafetyProblemKind =
  | "absolute-path"
  | "dot-dot"
  | "git-dir"
  | "control-char"
  | "nul-byte"
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
export type PathRole = "old" | "new" | "diff header" | "rename source" | "rename target" | "copy source" | "copy target";
