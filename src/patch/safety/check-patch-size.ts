import type { SafetyLimits, SafetyProblem } from "./safety-problem.js";

/** A patch over limits.maxPatchBytes is refused whole: git never sees it. */
export function checkPatchSize(text: string, limits: SafetyLimits): SafetyProblem | null {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes <= limits.maxPatchBytes) return null;
  return {
    kind: "too-large",
    path: null,
    line: null,
    message: `patch is ${bytes} bytes, over the limit of ${limits.maxPatchBytes} bytes (limits.maxPatchBytes)`,
  };
}
