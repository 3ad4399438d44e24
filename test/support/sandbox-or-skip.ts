import type { SandboxProbe } from "../../src/kernel/build-sandbox.js";
import { BubblewrapSandbox } from "../../src/kernel/io/bubblewrap-sandbox.js";

/**
 * The real build sandbox, or why there is none. With CI=true a missing bubblewrap fails the
 * test file (naming the Debian package); a local run skips, visibly.
 */
export async function sandboxOrSkip(what: string): Promise<{ sandbox: BubblewrapSandbox; probe: SandboxProbe }> {
  const sandbox = new BubblewrapSandbox();
  const probe = await sandbox.probe();
  if (!probe.ok) {
    if (process.env["CI"] === "true") throw new Error(`${what} needs the build sandbox: ${probe.reason}`);
    console.warn(`skipped ${what}: ${probe.reason}`);
  }
  return { sandbox, probe };
}
