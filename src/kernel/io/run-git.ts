import { spawn } from "node:child_process";
import path from "node:path";
import { ExternalError } from "../../errors.js";

/** The identity git uses for commits the bot makes (git am keeps the mail's author). */
export const BOT_COMMITTER = { name: "irqtriage", email: "irqtriage@localhost" } as const;

export interface RunGitOptions {
  /** Directory git runs in (`git -C` is not used so that relative paths in args are clear). */
  cwd: string;
  /** Bytes for git's stdin (a mailbox for `git am`). */
  input?: Buffer | string;
  /** Kill git after this long; default 120 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Base environment to sanitize; default process.env. */
  env?: NodeJS.ProcessEnv;
  /**
   * Allow the file:// transport (local clones of a mirror). Every other transport stays
   * forbidden: git must never reach the network because of something a patch or mail says.
   */
  allowFileProtocol?: boolean;
  /**
   * Transports a configured remote may use (`#irqtriage test` fetching a tree named in the
   * config, never in a mail): file, https, ssh or git. ext:: and the rest stay forbidden.
   */
  protocols?: readonly ("file" | "https" | "ssh" | "git")[];
  /** Exit codes that are not failures (e.g. 1 for `cat-file -e` "no such object"). */
  okCodes?: readonly number[];
  /** Largest output kept per stream; default 64 MiB (a diff of the whole tree fits). */
  maxOutputBytes?: number;
}

export interface GitOutput {
  code: number;
  stdout: string;
  /** stdout as bytes (file contents at a revision need not be UTF-8). */
  stdoutBytes: Buffer;
  stderr: string;
}

/**
 * Options that apply to every git the bot runs. Hooks are off because a worktree of an untrusted
 * series must not run code from anywhere; protocol.allow=never keeps git off the network (fetch,
 * submodules, lazy-fetch of promisor objects); gc/maintenance stay off so a triage run never
 * repacks the shared mirror behind someone's back.
 */
function fixedConfig(allowFileProtocol: boolean, protocols: readonly string[]): string[] {
  const c = [
    "core.hooksPath=/dev/null",
    "protocol.allow=never",
    "core.fsmonitor=false",
    "core.pager=cat",
    "color.ui=false",
    "gc.auto=0",
    "maintenance.auto=false",
    "commit.gpgSign=false",
    "advice.detachedHead=false",
  ];
  if (allowFileProtocol) c.push("protocol.file.allow=always");
  for (const p of protocols) c.push(`protocol.${p}.allow=always`);
  return c.flatMap((kv) => ["-c", kv]);
}

/**
 * The environment git sees: the caller's minus every GIT_* variable (a GIT_DIR or GIT_INDEX_FILE
 * inherited from a hook or a test harness would redirect git to another repository), minus the
 * user's and system's git config (their aliases, hooks and url rewrites are not ours), with a
 * fixed committer and the C locale so that messages we parse are in English.
 */
export function gitEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) {
    if (v === undefined || k.startsWith("GIT_") || k === "LANG" || k.startsWith("LC_")) continue;
    env[k] = v;
  }
  env["LC_ALL"] = "C";
  env["GIT_TERMINAL_PROMPT"] = "0";
  env["GIT_ASKPASS"] = "/bin/false";
  env["SSH_ASKPASS"] = "/bin/false";
  env["GIT_CONFIG_NOSYSTEM"] = "1";
  env["GIT_CONFIG_GLOBAL"] = "/dev/null";
  env["GIT_COMMITTER_NAME"] = BOT_COMMITTER.name;
  env["GIT_COMMITTER_EMAIL"] = BOT_COMMITTER.email;
  env["GIT_EDITOR"] = "true";
  env["GIT_PAGER"] = "cat";
  return env;
}

/** The git command run ("mailinfo", "am"): the first argument that is not an option. */
function subcommand(args: readonly string[]): string {
  return args.find((a) => !a.startsWith("-")) ?? "";
}

/**
 * What a mail may say about a failed git: the command, the exit code and git's own error lines,
 * with every local path taken out here, where it is known which words are paths: the folder git
 * ran in and the path arguments become their last component, and any other absolute path git
 * printed is cut to its last component ("…/0.msg"). The arguments themselves are not repeated.
 */
export function gitMailText(args: readonly string[], cwd: string, rc: number, stderr: string): string {
  const known = [cwd, ...args.filter((a) => path.isAbsolute(a))].sort((a, b) => b.length - a.length);
  const scrub = (line: string): string => {
    let out = line;
    for (const p of known) out = out.split(p).join(p === cwd ? "." : path.basename(p));
    return out.replace(/(^|[\s'"`(=:])\/(?:[^\s'"`)/]+\/)+([^\s'"`)/]*)/g, (_m, pre: string, last: string) => `${pre}…/${last}`);
  };
  const said = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /^(?:error|fatal|warning):/.test(l))
    .slice(-2)
    .map(scrub);
  return `git ${subcommand(args)} failed (exit ${rc})${said.length ? `: ${said.join(" ")}` : ""}`;
}

/**
 * Runs git with an argument vector (never a shell), captured output and a deadline. A non-zero
 * exit that is not in `okCodes` throws ExternalError carrying git's stderr.
 */
export function runGit(args: readonly string[], opts: RunGitOptions): Promise<GitOutput> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const maxOut = opts.maxOutputBytes ?? 64 * 1024 * 1024;
  const okCodes = opts.okCodes ?? [0];
  const fullArgs = [...fixedConfig(opts.allowFileProtocol ?? false, opts.protocols ?? []), ...args];
  const what = `git ${args.slice(0, 3).join(" ")}`;

  return new Promise<GitOutput>((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new ExternalError(`${what}: aborted before start`, "git"));
      return;
    }
    const child = spawn("git", fullArgs, {
      cwd: opts.cwd,
      env: gitEnv(opts.env),
      stdio: ["pipe", "pipe", "pipe"],
      shell: false,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    let killedFor: string | null = null;

    const kill = (why: string): void => {
      if (killedFor !== null) return;
      killedFor = why;
      child.kill("SIGKILL");
    };
    const timer = setTimeout(() => kill(`timed out after ${timeoutMs} ms`), timeoutMs);
    const onAbort = (): void => kill("aborted");
    opts.signal?.addEventListener("abort", onAbort, { once: true });

    child.stdout.on("data", (b: Buffer) => {
      outLen += b.length;
      if (outLen > maxOut) kill(`stdout over ${maxOut} bytes`);
      else out.push(b);
    });
    child.stderr.on("data", (b: Buffer) => {
      errLen += b.length;
      if (errLen <= maxOut) err.push(b);
    });
    // git may exit before reading all of stdin (e.g. on a usage error); that is not our error.
    child.stdin.on("error", () => {});
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();

    child.on("error", (e) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      reject(new ExternalError(`${what}: could not start git: ${e.message}`, "git"));
    });
    child.on("close", (code, sig) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      const stdoutBytes = Buffer.concat(out);
      const stdout = stdoutBytes.toString("utf8");
      const stderr = Buffer.concat(err).toString("utf8");
      if (killedFor !== null) {
        reject(new ExternalError(`${what}: ${killedFor}`, "git", stderr, `git ${subcommand(args)} stopped: ${killedFor}`));
        return;
      }
      const rc = code ?? (sig ? 128 : -1);
      if (!okCodes.includes(rc)) {
        const first = stderr.trim().split("\n").slice(-3).join(" | ");
        reject(new ExternalError(`${what} failed (exit ${rc}): ${first}`, "git", stderr + stdout, gitMailText(args, opts.cwd, rc, stderr)));
        return;
      }
      resolve({ code: rc, stdout, stdoutBytes, stderr });
    });
  });
}
