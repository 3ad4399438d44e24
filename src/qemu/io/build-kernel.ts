import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, existsSync } from "node:fs";
import { lstat, mkdir, readdir, readFile, realpath, rename, rm, unlink, writeFile, rmdir } from "node:fs/promises";
import path from "node:path";
import type { QemuConfig } from "../../config/sections/qemu.js";
import { ExternalError, InputError } from "../../errors.js";
import { SandboxUnavailableError, type BuildSandbox, type SandboxLimits } from "../../kernel/build-sandbox.js";
import { gitEnv, runGit } from "../../kernel/io/run-git.js";
import type { Logger } from "../../log/logger.js";
import { silentLogger } from "../../log/logger.js";
import { classifyBuildFailure, type BuildOutcome } from "../build-outcome.js";
import { parseConfigFragment, verifyKernelConfig, type FragmentOption } from "../kernel-config.js";

/** Per-process limits of the build sandbox (the time limit is `timeoutMs`, for the whole build). */
export interface BuildLimits {
  /** RLIMIT_AS of each process (gcc's cc1 needs a few hundred MiB). */
  memoryMb: number;
  /** RLIMIT_NPROC: processes and threads at once. */
  maxProcesses: number;
  /** RLIMIT_FSIZE: the largest file the build may write (vmlinux of this config: ~20 MiB). */
  maxFileMb: number;
  /** The private /tmp. */
  tmpMb: number;
}

export const DEFAULT_BUILD_LIMITS: BuildLimits = { memoryMb: 2048, maxProcesses: 512, maxFileMb: 2048, tmpMb: 512 };

export function buildLimitsOf(q: QemuConfig): BuildLimits {
  const s = q.sandbox;
  return { memoryMb: s.buildMemoryMb, maxProcesses: s.buildMaxProcesses, maxFileMb: s.buildMaxFileMb, tmpMb: s.buildTmpMb };
}

/** Where the sandbox sees the build: fixed, so no host path shows in make's output or a reply. */
const IN = { src: "/kbuild/src", out: "/kbuild/out", ccache: "/kbuild/ccache", fragment: "/kbuild/fragment.config" } as const;
/** The build log keeps at most this much (a $(shell) loop could print forever). */
const LOG_CAP = 16 << 20;
const KEEP_IMAGES = 8;

export interface BuildKernelOptions {
  /** The tree to build: a git worktree of the mirror (series applied, committed or not). */
  worktree: string;
  /** The kernel mirror (git repository) the worktree belongs to; only read. */
  mirror: string;
  /** Base revision of the series (the build tree is kept per base commit). */
  base: string;
  /** `<stateDir>/kbuild/<base sha>/{src,out}` and `<stateDir>/ccache` live here. */
  stateDir: string;
  /** Config fragment merged on top of tinyconfig (rules/qemu/kernel-x86_64.config). */
  fragment: string;
  /** Every make runs inside it; without one nothing is built. */
  sandbox: BuildSandbox;
  limits?: Partial<BuildLimits>;
  /** make -j; default 2. */
  jobs?: number;
  /** Use ccache when it is installed (default true). */
  ccache?: boolean;
  /** The whole build, every step together. */
  timeoutMs?: number;
  log?: Logger;
  signal?: AbortSignal;
}

export interface KernelBuild {
  /** A copy of the bzImage outside the sandbox's reach, named by its content. */
  image: string;
  base: string;
  srcDir: string;
  buildDir: string;
  /** Files of the worktree that differ from the base (what the series changed). */
  changedFiles: string[];
  /** Files written into (or removed from) the persistent build tree for this build. */
  synced: string[];
  /** Fragment options Kconfig did not set as asked (dependencies missing, renamed symbols). */
  configMissing: Array<FragmentOption & { actual: string | null }>;
  configRegenerated: boolean;
  /** The O= dir already had a build: make only rebuilt what changed. */
  incremental: boolean;
  ccache: boolean;
  /** Everything the make steps printed (capped at 16 MiB). */
  logFile: string;
  ms: number;
}

/** A make step that failed or was stopped by a limit: `outcome` says which, in reply words. */
export class KernelBuildError extends ExternalError {
  override name = KernelBuildError.name;
  constructor(
    readonly outcome: BuildOutcome,
    detail: string,
  ) {
    super(outcome.reason, "make", detail);
  }
}

interface RunResult {
  code: number | null;
  out: string;
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number; signal?: AbortSignal; input?: NodeJS.ReadableStream; stdoutTo?: NodeJS.WritableStream }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // Own process group, so a timeout/abort stops make and every compiler under it; the
    // pdeathsig wrapper stops make when irqtriage itself is killed.
    const wrapped = existsSync("/usr/bin/setpriv") ? ["/usr/bin/setpriv", ["--pdeathsig", "TERM", "--", cmd, ...args]] as const : [cmd, args] as const;
    const child = spawn(wrapped[0], [...wrapped[1]], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      detached: true,
      stdio: [opts.input ? "pipe" : "ignore", "pipe", "pipe"],
    });
    let out = "";
    const keep = (c: Buffer): void => {
      out += c.toString("utf8");
      if (out.length > 200_000) out = out.slice(-100_000);
    };
    if (opts.stdoutTo) child.stdout?.pipe(opts.stdoutTo);
    else child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    if (opts.input && child.stdin) opts.input.pipe(child.stdin);
    const killGroup = (): void => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGTERM");
      } catch {
        // gone
      }
    };
    const timer = setTimeout(killGroup, opts.timeoutMs);
    opts.signal?.addEventListener("abort", killGroup, { once: true });
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(new ExternalError(`${cmd} could not start: ${e.message}`, cmd));
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", killGroup);
      resolve({ code, out });
    });
  });
}

async function must(what: string, p: Promise<RunResult>): Promise<string> {
  const r = await p;
  if (r.code !== 0) throw new ExternalError(`${what} failed (exit ${r.code})`, what.split(" ")[0] ?? what, r.out.slice(-4000));
  return r.out;
}

/** A tiny mkdir lock so two builds on the same base do not share an O= dir at once. */
async function withLock<T>(dir: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const lock = path.join(dir, ".lock");
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(path.join(lock, "pid"), String(process.pid));
      break;
    } catch {
      let holder = 0;
      try {
        holder = Number(await readFile(path.join(lock, "pid"), "utf8"));
      } catch {
        holder = 0;
      }
      let alive = false;
      try {
        if (holder > 0) process.kill(holder, 0);
        alive = holder > 0;
      } catch {
        alive = false;
      }
      if (!alive) {
        await rm(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new ExternalError(`build dir ${dir} is locked by pid ${holder}`, "make");
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(path.join(lock, "pid"), { force: true });
    await rmdir(lock).catch(() => undefined);
  }
}

function safeRel(p: string): string {
  if (!p || path.isAbsolute(p) || p.split("/").some((s) => s === ".." || s === ".git")) {
    throw new InputError(`refusing to sync path ${JSON.stringify(p)} into the build tree`, p);
  }
  return p;
}

async function readRegular(file: string): Promise<Buffer | null> {
  let st;
  try {
    st = await lstat(file);
  } catch {
    return null;
  }
  if (st.isSymbolicLink()) throw new InputError(`symlink in the tree: ${file}`, file);
  if (!st.isFile()) return null;
  return readFile(file);
}

/**
 * Make `srcDir` (a copy of the base) equal to `worktree` on the files a series changes now or a
 * previous series changed (`previous`, reverted to the base this time). Files are rewritten only
 * when their content differs, so make sees new mtimes exactly where the source changed.
 * `baseContent` gives a file's content at the base (null: not in the base); without it the
 * worktree is taken as the truth for the previous series' files too, which holds for a full
 * checkout only: a sparse worktree (the pipeline's) does not have them on disk.
 * Returns the paths written or removed.
 */
export async function syncChangedFiles(
  worktree: string,
  srcDir: string,
  previous: readonly string[],
  changed: readonly string[],
  baseContent?: (rel: string) => Promise<Buffer | null>,
): Promise<string[]> {
  const synced: string[] = [];
  const now = new Set(changed.map(safeRel));
  for (const rel of [...new Set([...previous, ...changed].map(safeRel))].sort()) {
    const want = !now.has(rel) && baseContent ? await baseContent(rel) : await readRegular(path.join(worktree, rel));
    const dest = path.join(srcDir, rel);
    const have = await readRegular(dest);
    if (want === null && have !== null) {
      await unlink(dest);
      synced.push(rel);
    } else if (want !== null && (have === null || !have.equals(want))) {
      await mkdir(path.dirname(dest), { recursive: true });
      await writeFile(dest, want);
      synced.push(rel);
    }
  }
  return synced;
}

/**
 * Read a file the sandbox wrote, as root, without following the sandbox's symlinks out of the
 * build folder (arch/ -> /etc would otherwise hand us /etc/shadow). Race-free: by now every
 * process of the sandbox is gone with its pid namespace.
 */
async function readBuildOutput(buildDir: string, rel: string): Promise<Buffer> {
  const root = await realpath(buildDir);
  const real = await realpath(path.join(buildDir, rel));
  if (!real.startsWith(root + path.sep)) throw new ExternalError(`${rel} of the build points outside the build folder`, "make");
  const st = await lstat(real);
  if (!st.isFile()) throw new ExternalError(`${rel} of the build is not a regular file`, "make");
  return readFile(real);
}

/** Keep the newest images; a series booting an older one has it open already (QEMU gets a copy). */
async function pruneImages(kdir: string, keep: string): Promise<void> {
  const images = (await readdir(kdir)).filter((n) => n.startsWith("bzImage-") && n !== path.basename(keep));
  const dated = await Promise.all(images.map(async (n) => ({ n, t: (await lstat(path.join(kdir, n))).mtimeMs })));
  dated.sort((a, b) => b.t - a.t);
  for (const { n } of dated.slice(KEEP_IMAGES - 1)) await rm(path.join(kdir, n), { force: true });
}

/**
 * Build a bzImage of the worktree out of tree. One persistent source copy and O= dir per base
 * commit: the source copy is the base (git archive), and for each build only the files the series
 * changed (plus those a previous series changed, reverted to base) are rewritten, and only when
 * their content differs. Untouched files keep their mtimes, so make recompiles just what the
 * series touched. (Building from the per-series worktree directly would not work: a fresh
 * checkout gives every file a new mtime and the whole kernel would rebuild.)
 *
 * The copy and the sync are irqtriage's own writes, outside the sandbox. Every make step
 * (tinyconfig, merge_config.sh, olddefconfig, bzImage) runs inside `opts.sandbox`, which sees
 * the source read-only at /kbuild/src and may write only the O= dir and the ccache. Nothing is
 * built when the sandbox is not available (SandboxUnavailableError): there is no fallback.
 */
export async function buildKernel(opts: BuildKernelOptions): Promise<KernelBuild> {
  const log = opts.log ?? silentLogger();
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? 30 * 60_000;
  const probe = await opts.sandbox.probe();
  if (!probe.ok) throw new SandboxUnavailableError(probe.reason);
  const lim = { ...DEFAULT_BUILD_LIMITS, ...opts.limits };
  const git = (args: string[], cwd: string): Promise<string> => must(`git ${args[0]}`, run("git", args, { cwd, timeoutMs: 120_000, ...(opts.signal ? { signal: opts.signal } : {}) }));
  const base = (await git(["rev-parse", "--verify", "--quiet", `${opts.base}^{commit}`], opts.mirror)).trim();
  if (!/^[0-9a-f]{40}$/.test(base)) throw new ExternalError(`cannot resolve base ${opts.base} in ${opts.mirror}`, "git");
  const kdir = path.resolve(opts.stateDir, "kbuild", base);
  const srcDir = path.join(kdir, "src");
  const buildDir = path.join(kdir, "out");
  const ccacheDir = path.resolve(opts.stateDir, "ccache");
  await mkdir(kdir, { recursive: true });
  return withLock(kdir, timeoutMs, async () => {
    const marker = path.join(kdir, "src.complete");
    if (!existsSync(marker)) {
      log.info({ base, srcDir }, "kbuild: extracting base tree");
      await rm(srcDir, { recursive: true, force: true });
      await mkdir(srcDir, { recursive: true });
      // Streamed (runGit buffers output); same sanitized environment as every other git call.
      const archive = spawn("git", ["archive", "--format=tar", base], { cwd: opts.mirror, env: gitEnv(), stdio: ["ignore", "pipe", "pipe"] });
      const tar = run("tar", ["-x", "-C", srcDir], { timeoutMs: 600_000, input: archive.stdout, ...(opts.signal ? { signal: opts.signal } : {}) });
      const [gitCode, tarRes] = await Promise.all([new Promise<number | null>((r) => archive.once("close", r)), tar]);
      if (gitCode !== 0 || tarRes.code !== 0) throw new ExternalError("git archive | tar failed", "git", tarRes.out.slice(-2000));
      await writeFile(marker, base + "\n");
    }
    // What the series changed: committed on top of base, uncommitted, untracked.
    const diff = await git(["diff", "--name-only", "--no-renames", "-z", base], opts.worktree);
    const untracked = await git(["ls-files", "-o", "--exclude-standard", "-z"], opts.worktree);
    const changed = [...new Set([...diff.split("\0"), ...untracked.split("\0")].filter(Boolean).map(safeRel))].sort();
    const appliedFile = path.join(kdir, "applied.json");
    const previous: string[] = existsSync(appliedFile) ? (JSON.parse(await readFile(appliedFile, "utf8")) as string[]).map(safeRel) : [];
    const baseContent = async (rel: string): Promise<Buffer | null> => {
      const listed = await runGit(["ls-tree", "-z", base, "--", `:(literal)${rel}`], { cwd: opts.mirror });
      if (!listed.stdout) return null;
      return (await runGit(["cat-file", "blob", `${base}:${rel}`], { cwd: opts.mirror })).stdoutBytes;
    };
    const synced = await syncChangedFiles(opts.worktree, srcDir, previous, changed, baseContent);
    await writeFile(appliedFile, JSON.stringify(changed));
    const fragmentText = await readFile(opts.fragment, "utf8");
    const hash = createHash("sha256").update(fragmentText).digest("hex");
    // Next to the build dir, not in it: the sandbox may write there, irqtriage's own files are out of its reach.
    const hashFile = path.join(kdir, "fragment.sha256");
    const incremental = existsSync(path.join(buildDir, "vmlinux"));
    // Only /usr is visible inside: a ccache elsewhere could not run there.
    const useCcache = (opts.ccache ?? true) && existsSync("/usr/bin/ccache");
    const env: Record<string, string> = {
      PATH: "/usr/bin:/bin",
      LC_ALL: "C",
      // ccache wants a home; the private, empty /tmp is one.
      HOME: "/tmp",
      // Fixed build stamps: ccache hits on init/version.c and reproducible images.
      KBUILD_BUILD_TIMESTAMP: "irqtriage",
      KBUILD_BUILD_USER: "irqtriage",
      KBUILD_BUILD_HOST: "irqtriage",
      ...(useCcache ? { CCACHE_DIR: IN.ccache } : {}),
    };
    const mounts = [
      { host: srcDir, at: IN.src, writable: false },
      { host: buildDir, at: IN.out, writable: true },
      ...(useCcache ? [{ host: ccacheDir, at: IN.ccache, writable: true }] : []),
    ];
    const logFile = path.join(kdir, "build.log");
    const logStream = createWriteStream(logFile, { flags: "w" });
    let logged = 0;
    const deadline = started + timeoutMs;
    const inSandbox = async (step: string, argv: string[]): Promise<void> => {
      const limits: SandboxLimits = {
        timeoutMs: Math.max(1000, deadline - Date.now()),
        memoryBytes: lim.memoryMb * 1024 * 1024,
        maxProcesses: lim.maxProcesses,
        maxFileBytes: lim.maxFileMb * 1024 * 1024,
        tmpBytes: lim.tmpMb * 1024 * 1024,
      };
      logStream.write(`### ${step}\n`);
      const r = await opts.sandbox.run(
        { argv, cwd: IN.out, env, mounts, files: [{ host: path.resolve(opts.fragment), at: IN.fragment }], limits },
        {
          ...(opts.signal ? { signal: opts.signal } : {}),
          onOutput: (c) => {
            if (logged < LOG_CAP) logStream.write(c);
            else if (logged - c.length < LOG_CAP) logStream.write("\n### log truncated\n");
            logged += c.length;
          },
        },
      );
      if (r.stopped === "aborted") throw new ExternalError(`kernel build aborted during ${step}`, "make");
      if (r.code === 0 && !r.stopped) return;
      const outcome = classifyBuildFailure({
        step,
        code: r.code,
        signal: r.signal,
        timedOut: r.stopped === "timeout",
        tail: r.tail,
        limits: { timeoutMs, memoryBytes: limits.memoryBytes, maxProcesses: limits.maxProcesses },
      });
      log.warn({ base, step, kind: outcome.kind, firstError: outcome.firstError, ms: Date.now() - started }, "kbuild: " + outcome.reason);
      throw new KernelBuildError(outcome, r.tail.slice(-4000));
    };
    const make = (args: string[]): Promise<void> =>
      inSandbox(`make ${args.filter((a) => !a.startsWith("-j")).join(" ")}`, ["make", "-C", IN.src, `O=${IN.out}`, ...(useCcache ? ["CC=ccache gcc"] : []), ...args]);
    try {
      let configRegenerated = false;
      const prevHash = existsSync(hashFile) ? (await readFile(hashFile, "utf8")).trim() : "";
      if (prevHash !== hash || !existsSync(path.join(buildDir, ".config"))) {
        await make(["tinyconfig"]);
        // merge_config.sh makes its temp file in the working directory: the O= dir.
        await inSandbox("merge_config.sh", [`${IN.src}/scripts/kconfig/merge_config.sh`, "-m", "-O", IN.out, `${IN.out}/.config`, IN.fragment]);
        await make(["olddefconfig"]);
        await writeFile(hashFile, hash + "\n");
        configRegenerated = true;
      }
      const configText = (await readBuildOutput(buildDir, ".config")).toString("utf8");
      const configMissing = verifyKernelConfig(parseConfigFragment(fragmentText), configText);
      if (configMissing.length) log.warn({ missing: configMissing.map((m) => m.name) }, "kbuild: fragment options not set");
      log.info({ base, synced: synced.length, incremental, ccache: useCcache }, "kbuild: make bzImage");
      await make([`-j${opts.jobs ?? 2}`, "bzImage"]);
      const bytes = await readBuildOutput(buildDir, "arch/x86/boot/bzImage").catch((err: unknown) => {
        throw new ExternalError(`make bzImage succeeded but gave no bzImage: ${(err as Error).message}`, "make");
      });
      const image = path.join(kdir, `bzImage-${createHash("sha256").update(bytes).digest("hex").slice(0, 16)}`);
      if (!existsSync(image)) {
        await writeFile(image + ".tmp", bytes);
        await rename(image + ".tmp", image);
      }
      await pruneImages(kdir, image);
      const ms = Date.now() - started;
      log.info({ base, ms }, "kbuild: done");
      return { image, base, srcDir, buildDir, changedFiles: changed, synced, configMissing, configRegenerated, incremental, ccache: useCcache, logFile, ms };
    } finally {
      await new Promise<void>((r) => logStream.end(r));
    }
  });
}
