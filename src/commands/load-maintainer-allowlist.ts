import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Logger } from "../log/logger.js";
import { maintainerAddresses } from "./maintainer-addresses.js";

const run = promisify(execFile);

/**
 * Read MAINTAINERS from the mirror at `rev` (via `git show`, so the mirror's checkout is never
 * touched) and return the M:/R: addresses of `sections`. A mirror without the file gives [] and
 * a warning: the config allowlist still works.
 */
export async function loadMaintainerAllowlist(
  mirror: string,
  rev: string,
  sections: readonly string[],
  log: Logger,
): Promise<string[]> {
  if (sections.length === 0) return [];
  try {
    const { stdout } = await run("git", ["-c", "core.hooksPath=/dev/null", "show", `${rev}:MAINTAINERS`], {
      cwd: mirror,
      maxBuffer: 64 * 1024 * 1024,
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", GIT_CONFIG_NOSYSTEM: "1", HOME: "/nonexistent" },
    });
    const addrs = maintainerAddresses(stdout, sections);
    log.info({ mirror, rev, sections, count: addrs.length }, "maintainer allowlist loaded");
    return addrs;
  } catch (err) {
    log.warn({ mirror, rev, err: (err as Error).message }, "no MAINTAINERS in the mirror; config allowlist only");
    return [];
  }
}
