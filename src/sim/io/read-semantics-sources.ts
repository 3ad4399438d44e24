import { readFile } from "node:fs/promises";
import path from "node:path";
import { semanticsSourceFiles } from "../detect-semantics.js";
import type { SemanticsSpec } from "../sim-types.js";

/**
 * Reads the files the detection rules look at from a kernel tree (missing files are left out:
 * a tree without arch/powerpc simply has no ppc overlay). Paths never leave `tree`.
 */
export async function readSemanticsSources(tree: string, semantics: SemanticsSpec[]): Promise<Record<string, string>> {
  const root = path.resolve(tree);
  const files: Record<string, string> = {};
  for (const rel of semanticsSourceFiles(semantics)) {
    const abs = path.resolve(root, rel);
    if (!abs.startsWith(root + path.sep)) continue;
    try {
      files[rel] = await readFile(abs, "utf8");
    } catch {
      // absent in this tree
    }
  }
  return files;
}
