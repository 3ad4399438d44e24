import type { SafetyLimits, SafetyProblem } from "./safety-problem.js";

/** A patch over limits.maxPatchBytes is refused whole: git never sees it. */
export function checkPatchSize(text: string, limits: SafetyLimits): SafetyProblem | null {
  const bytes = Buffer.byteLength(text, "utf8");
  return bytes <= limits.maxPatchBytes ? null : tooLarge(bytes, limits);
}

export function tooLarge(bytes: number, limits: SafetyLimits): SafetyProblem {
  return {
    kind: "too-large",
    path: null,
    line: null,
    message: `patch is ${bytes} bytes, over the limit of ${limits.maxPatchBytes} bytes (limits.maxPatchBytes)`,
  };
}
