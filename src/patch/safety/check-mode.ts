import type { SafetyProblem } from "./safety-problem.js";

/** Symlink (120000) and submodule (160000) modes: a patch may create neither. */
export function checkMode(mode: string, file: string, line: number, header: string): SafetyProblem | null {
  const where = `${JSON.stringify(file)} (${header}, line ${line})`;
  if (mode === "120000") return { kind: "symlink", path: file, line, message: `symlink mode 120000 on ${where}` };
  if (mode === "160000") return { kind: "submodule", path: file, line, message: `submodule (gitlink) mode 160000 on ${where}` };
  return null;
}

/** A binary patch ("GIT binary patch", "Binary files ... differ"): git would write bytes we cannot check. */
export function binaryProblem(how: string, file: string, line: number): SafetyProblem {
  return { kind: "binary", path: file, line, message: `binary patch (${how}) for ${JSON.stringify(file)} (line ${line})` };
}
