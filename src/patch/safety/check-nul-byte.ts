import type { SafetyProblem } from "./safety-problem.js";

/**
 * A NUL byte anywhere in a patch mail's text. In the commit message git cannot store it (git am
 * stops with "failed to write commit object", which names nothing); in a diff it would write
 * binary content through a text patch. Either way the patch is refused, saying where.
 */
export function checkNulByte(text: string): SafetyProblem | null {
  const at = text.indexOf("\0");
  if (at < 0) return null;
  let line = 1;
  for (let i = text.indexOf("\n"); i >= 0 && i < at; i = text.indexOf("\n", i + 1)) line++;
  const diffStart = text.search(/^(?:diff --git |--- |\+\+\+ |@@ )/m);
  const inDiff = diffStart >= 0 && diffStart < at;
  return {
    kind: "nul-byte",
    path: null,
    line,
    message: inDiff
      ? `a NUL byte at line ${line}, in the diff: a text patch cannot carry one (git would write binary content)`
      : `a NUL byte at line ${line}, in the commit message: git cannot store it in a commit`,
  };
}
