import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The folder holding package.json, rules/ and fixtures/, whether running from src/ (tests) or
 * dist/ (the CLI): both sit one level below it.
 */
export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export const rulesDir = path.join(packageRoot, "rules");
export const fixturesDir = path.join(packageRoot, "fixtures");
