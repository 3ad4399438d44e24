import { ExternalError } from "../errors.js";

/**
 * The port every `make` of a kernel build, and every QEMU guest of a patched kernel, runs
 * through. A patch can put `$(shell ...)` into a Kconfig file or a Makefile: whatever runs inside
 * must find no network, no secret, no host path it could write but the build folder, and limits
 * on time, memory and processes. The implementation (bubblewrap) is in `io/`; only the
 * composition roots choose it.
 */

/** A host folder or file bound into the sandbox at a fixed path. */
export interface SandboxMount {
  host: string;
  /** Where the sandbox sees it (absolute). Fixed paths keep host paths out of build output. */
  at: string;
  /** Writable mounts are the only host paths the sandbox can change. */
  writable: boolean;
}

/**
 * A host file the sandbox gets a read-only copy of, passed as an open file: no path to it needs to
 * be reachable by the sandbox user (a state folder under /root works).
 */
export interface SandboxFile {
  host: string;
  at: string;
}

export interface SandboxLimits {
  /** Wall clock for the whole command; then every process inside is killed. */
  timeoutMs: number;
  /** RLIMIT_AS of each process inside, in bytes (null: none). */
  memoryBytes: number | null;
  /** RLIMIT_NPROC inside (processes and threads of the sandbox user; null: none). */
  maxProcesses: number | null;
  /** RLIMIT_FSIZE: the largest file a process inside may write (null: none). */
  maxFileBytes: number | null;
  /** Size of the private /tmp (a tmpfs). */
  tmpBytes: number;
}

export interface SandboxCommand {
  /** argv[0] is looked up on the sandbox's PATH (/usr/bin:/bin) or is absolute inside it. */
  argv: readonly string[];
  /** Working directory inside. */
  cwd: string;
  /** The whole environment inside; only names in SANDBOX_ENV_NAMES are accepted. */
  env: Readonly<Record<string, string>>;
  mounts: readonly SandboxMount[];
  files?: readonly SandboxFile[];
  /** Character devices passed through (QEMU's /dev/kvm). Missing ones are left out. */
  devices?: readonly string[];
  limits: SandboxLimits;
}

export interface SandboxResult {
  code: number | null;
  signal: string | null;
  /** Why irqtriage stopped it, or null when it ended by itself. */
  stopped: "timeout" | "aborted" | null;
  /** The last output (stdout and stderr interleaved), at most about 256 KB. */
  tail: string;
  ms: number;
}

export interface SandboxRunOptions {
  signal?: AbortSignal;
  /** Every chunk of output, in order (the build log). */
  onOutput?(chunk: Buffer): void;
}

/**
 * How to start a sandboxed process the caller drives itself (QEMU: console on stdout, QMP on the
 * extra pipes). Spawn `file args` with stdio `["pipe", "pipe", "pipe", ...stdio]`, then `close()`.
 */
export interface SandboxSpawnPlan {
  file: string;
  args: string[];
  /** The environment of the spawned sandbox launcher itself (PATH only: no secret reaches bwrap). */
  env: Record<string, string>;
  /** stdio entries from fd 3 on: "pipe" for each pipe asked for, then host fds of the files. */
  stdio: Array<"pipe" | number>;
  /** Close the host fds of the plan (after the spawn). */
  close(): void;
}

export type SandboxProbe =
  | { ok: true; version: string; uid: number; gid: number }
  | { ok: false; reason: string };

export interface BuildSandbox {
  readonly name: string;
  /** Whether the sandbox can run here (once per process). The reason names the Debian package. */
  probe(): Promise<SandboxProbe>;
  /**
   * Run a command to its end (or its time limit). Writable mounts are created when missing and
   * made the sandbox user's. Throws SandboxUnavailableError when the sandbox cannot run at all.
   */
  run(cmd: SandboxCommand, opts?: SandboxRunOptions): Promise<SandboxResult>;
  /** The command line for a process the caller spawns and talks to itself; limits but the time apply. */
  plan(cmd: SandboxCommand, opts: { pipes: number }): Promise<SandboxSpawnPlan>;
  /** Whether the sandbox user can open this device read-write (e.g. /dev/kvm). */
  deviceUsable(dev: string): boolean;
}

/** No sandbox, so no build: a patched kernel is never built or booted outside one. */
export class SandboxUnavailableError extends ExternalError {
  override name = SandboxUnavailableError.name;
  constructor(reason: string) {
    super(`the build sandbox is not available: ${reason}; patched kernels are only built and booted inside it`, "bwrap", reason);
  }
}

/**
 * Environment names a sandboxed command may get. Everything else (the IMAP/SMTP passwords, the
 * GitHub token, SSH agents, the caller's HOME) is refused here, so no caller can pass
 * process.env through by mistake.
 */
const SANDBOX_ENV = /^(PATH|LC_ALL|LANG|HOME|TMPDIR|TERM|KBUILD_[A-Z0-9_]+|KCONFIG_[A-Z0-9_]+|CCACHE_[A-Z0-9_]+|ARCH)$/;

export function checkSandboxEnv(env: Readonly<Record<string, string>>): void {
  for (const [k, v] of Object.entries(env)) {
    if (!SANDBOX_ENV.test(k)) throw new Error(`environment variable ${k} is not allowed in the build sandbox`);
    if (v.includes("\0")) throw new Error(`environment variable ${k} holds a NUL byte`);
  }
}
