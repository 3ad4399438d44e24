import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { lstat, mkdir, readFile, rm, unlink, writeFile, rmdir } from "node:fs/promises";
import path from "node:path";
import { ExternalError, InputError } from "../../errors.js";
import { gitEnv } from "../../kernel/io/run-git.js";
import type { Logger } from "../../log/logger.js";
import { silentLogger } from "../../log/logger.js";
import { parseConfigFragment, verifyKernelConfig, type FragmentOption } from "../kernel-config.js";

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
  /** make -j; default 2. */
  jobs?: number;
  /** Use ccache when it is installed (default true). */
  ccache?: boolean;
  timeoutMs?: number;
  log?: Logger;
  signal?: AbortSignal;
}

export interface KernelBuild {
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
  ms: number;
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

function hasCommand(cmd: string): boolean {
  return (process.env["PATH"] ?? "/usr/bin:/bin").split(":").some((d) => d && existsSync(path.join(d, cmd)));
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
 * Returns the paths written or removed.
 */
export async function syncChangedFiles(worktree: string, srcDir: string, previous: readonly string[], changed: readonly string[]): Promise<string[]> {
  const synced: string[] = [];
  for (const rel of [...new Set([...previous, ...changed].map(safeRel))].sort()) {
    // Unchanged files of the worktree equal the base, so the worktree is the truth for all.
    const want = await readRegular(path.join(worktree, rel));
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
 * Build a bzImage of the worktree out of tree. One persistent source copy and O= dir per base
 * commit: the source copy is the base (git archive), and for each build only the files the series
 * changed (plus those a previous series changed, reverted to base) are rewritten, and only when
 * their content differs. Untouched files keep their mtimes, so make recompiles just what the
 * series touched. (Building from the per-series worktree directly would not work: a fresh
 * checkout gives every file a new mtime and the whole kernel would rebuild.)
 */
export async function buildKernel(opts: BuildKernelOptions): Promise<KernelBuild> {
  const log = opts.log ?? silentLogger();
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? 30 * 60_000;
  const git = (args: string[], cwd: string): Promise<string> => must(`git ${args[0]}`, run("git", args, { cwd, timeoutMs: 120_000, ...(opts.signal ? { signal: opts.signal } : {}) }));
  const base = (await git(["rev-parse", "--verify", "--quiet", `${opts.base}^{commit}`], opts.mirror)).trim();
  if (!/^[0-9a-f]{40}$/.test(base)) throw new ExternalError(`cannot resolve base ${opts.base} in ${opts.mirror}`, "git");
  const kdir = path.resolve(opts.stateDir, "kbuild", base);
  const srcDir = path.join(kdir, "src");
  const buildDir = path.join(kdir, "out");
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
    const synced = await syncChangedFiles(opts.worktree, srcDir, previous, changed);
    await writeFile(appliedFile, JSON.stringify(changed));
    const fragmentText = await readFile(opts.fragment, "utf8");
    const hash = createHash("sha256").update(fragmentText).digest("hex");
    const hashFile = path.join(buildDir, ".irqtriage-fragment");
    const incremental = existsSync(path.join(buildDir, "vmlinux"));
    const useCcache = (opts.ccache ?? true) && hasCommand("ccache");
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      CCACHE_DIR: path.resolve(opts.stateDir, "ccache"),
      // Fixed build stamps: ccache hits on init/version.c and reproducible images.
      KBUILD_BUILD_TIMESTAMP: "irqtriage",
      KBUILD_BUILD_USER: "irqtriage",
      KBUILD_BUILD_HOST: "irqtriage",
    };
    const make = (args: string[]): Promise<string> =>
      must(
        `make ${args.join(" ")}`,
        run("make", ["-C", srcDir, `O=${buildDir}`, ...(useCcache ? ["CC=ccache gcc"] : []), ...args], {
          env,
          timeoutMs,
          ...(opts.signal ? { signal: opts.signal } : {}),
        }),
      );
    let configRegenerated = false;
    const prevHash = existsSync(hashFile) ? (await readFile(hashFile, "utf8")).trim() : "";
    if (prevHash !== hash || !existsSync(path.join(buildDir, ".config"))) {
      await mkdir(buildDir, { recursive: true });
      await make(["tinyconfig"]);
      await must(
        "merge_config.sh",
        run(path.join(srcDir, "scripts/kconfig/merge_config.sh"), ["-m", "-O", buildDir, path.join(buildDir, ".config"), path.resolve(opts.fragment)], {
          cwd: srcDir,
          env,
          timeoutMs: 120_000,
        }),
      );
      await make(["olddefconfig"]);
      await writeFile(hashFile, hash + "\n");
      configRegenerated = true;
    }
    const configMissing = verifyKernelConfig(parseConfigFragment(fragmentText), await readFile(path.join(buildDir, ".config"), "utf8"));
    if (configMissing.length) log.warn({ missing: configMissing.map((m) => m.name) }, "kbuild: fragment options not set");
    log.info({ base, synced: synced.length, incremental, ccache: useCcache }, "kbuild: make bzImage");
    await make([`-j${opts.jobs ?? 2}`, "bzImage"]);
    const image = path.join(buildDir, "arch/x86/boot/bzImage");
    if (!existsSync(image)) throw new ExternalError("make bzImage succeeded but no bzImage", "make");
    const ms = Date.now() - started;
    log.info({ base, ms }, "kbuild: done");
    return { image, base, srcDir, buildDir, changedFiles: changed, synced, configMissing, configRegenerated, incremental, ccache: useCcache, ms };
  });
}
