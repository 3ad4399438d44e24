import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

// Integration tests spawn the real CLI (bin/irqtriage.js runs dist/), so build once per run.
export default function setup(): void {
  const root = fileURLToPath(new URL("..", import.meta.url));
  execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
}
