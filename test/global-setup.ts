import { spawnSync } from "node:child_process";
import { readdirSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

// Integration tests spawn the real CLI (bin/irqtriage.js runs dist/), so build when src/ is newer
// than the last build. tsc still emits when some file has a type error; `npm run typecheck` is
// the gate for types, so a type error here is reported but does not stop the tests.
export default function setup(): void {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const stamp = path.join(root, "dist", ".buildstamp");
  let built = 0;
  try {
    built = statSync(stamp).mtimeMs;
  } catch {
    built = 0;
  }
  if (built >= newestMtime(path.join(root, "src"))) return;
  const r = spawnSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: root, encoding: "utf8" });
  if (r.status !== 0) process.stderr.write(`global-setup: tsc reported errors (dist/ still emitted):\n${r.stdout.slice(0, 4000)}\n`);
  mkdirSync(path.join(root, "dist"), { recursive: true });
  writeFileSync(stamp, new Date().toISOString());
}
