import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { ExternalError } from "../../errors.js";
import type { Logger } from "../../log/logger.js";

const run = promisify(execFile);

export interface PushBranchOptions {
  /** Repository that has `head`. */
  gitDir: string;
  head: string;
  /** Configured push URL (https://..., ssh, or a local path in tests); never from a mail. */
  url: string;
  branch: string;
  /** Token for https remotes, sent as an HTTP header through git's environment, not argv. */
  token: string | null;
  log: Logger;
  timeoutMs?: number;
}

/**
 * Force-push `head` to `refs/heads/<branch>` of the mirror: one branch per lineage, rewritten by
 * every revision. git runs with an argument array, hooks off, no prompts, and a clean environment;
 * the token travels in GIT_CONFIG_* variables so it never appears in a process listing.
 */
export async function pushBranch(o: PushBranchOptions): Promise<void> {
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(o.head)) throw new ExternalError(`not a commit id: ${o.head}`, "git");
  if (!/^[A-Za-z0-9._/-]+$/.test(o.branch) || o.branch.includes("..")) throw new ExternalError(`unsafe branch ${o.branch}`, "git");
  const env: NodeJS.ProcessEnv = {
    PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    HOME: process.env["HOME"] ?? "/nonexistent",
    GIT_TERMINAL_PROMPT: "0",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_ASKPASS: "/bin/false",
    SSH_ASKPASS: "/bin/false",
  };
  // https, or plain http only to loopback (a local proxy or a test server): never a token in clear over a network.
  if (o.token && (/^https:\/\//.test(o.url) || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//.test(o.url))) {
    const basic = Buffer.from(`x-access-token:${o.token}`).toString("base64");
    Object.assign(env, { GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: `http.${o.url}.extraheader`, GIT_CONFIG_VALUE_0: `AUTHORIZATION: basic ${basic}` });
  }
  const args = ["-c", "core.hooksPath=/dev/null", "push", "--force", "--no-verify", "--porcelain", "--", o.url, `${o.head}:refs/heads/${o.branch}`];
  try {
    const { stdout } = await run("git", args, { cwd: o.gitDir, env, timeout: o.timeoutMs ?? 600_000, maxBuffer: 16 * 1024 * 1024 });
    o.log.info({ branch: o.branch, head: o.head, result: stdout.trim().split("\n").slice(-2).join(" ") }, "mirror branch pushed");
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    // Never log the URL's credentials (a user:pass@ URL in the config).
    const detail = (e.stderr ?? e.message).replace(/\/\/[^/@\s]+@/g, "//***@");
    throw new ExternalError(`git push of ${o.branch} failed`, "git", detail);
  }
}
