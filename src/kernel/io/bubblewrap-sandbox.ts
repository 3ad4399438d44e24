import { spawn, spawnSync } from "node:child_process";
import { accessSync, closeSync, constants as fsc, existsSync, lstatSync, openSync, readlinkSync, statSync } from "node:fs";
import { lchown, lstat, mkdir, readdir } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../../log/logger.js";
import { silentLogger } from "../../log/logger.js";
import {
  SandboxUnavailableError,
  type BuildSandbox,
  type SandboxCommand,
  type SandboxProbe,
  type SandboxResult,
  type SandboxRunOptions,
  type SandboxSpawnPlan,
} from "../build-sandbox.js";
import { bwrapArgs, type BwrapHost, type SandboxUser } from "../bwrap-args.js";

export interface BubblewrapOptions {
  /** The unprivileged user the sandbox runs as when irqtriage is root (default nobody, 65534). */
  uid?: number;
  gid?: number;
  /** bwrap binary; default: the first `bwrap` on PATH. */
  bwrap?: string;
  log?: Logger;
  /** For finding bwrap; default process.env. Never passed to the sandbox. */
  env?: NodeJS.ProcessEnv;
}

/** The launcher's own environment: bwrap and setpriv get nothing of ours (no secret in /proc/<pid>/environ). */
const LAUNCH_ENV = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } as const;
const TAIL_BYTES = 256 * 1024;
const SYSTEM_PATHS = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];
/** awk and cc are /etc/alternatives symlinks on Debian; ld.so.cache only speeds up loading. */
const ETC_PATHS = ["/etc/alternatives", "/etc/ld.so.cache"];

function which(cmd: string, env: NodeJS.ProcessEnv): string | null {
  for (const d of [...(env["PATH"] ?? "").split(":"), "/usr/bin", "/bin"]) {
    if (!d) continue;
    const p = path.join(d, cmd);
    try {
      accessSync(p, fsc.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return null;
}

function systemLayout(): BwrapHost["system"] {
  const out: Array<{ path: string; symlink: string | null }> = [];
  for (const p of SYSTEM_PATHS) {
    let st;
    try {
      st = lstatSync(p);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) out.push({ path: p, symlink: readlinkSync(p) });
    else if (st.isDirectory()) out.push({ path: p, symlink: null });
  }
  return out;
}

function versionOf(text: string): number[] {
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : [0, 0, 0];
}

/** Whether uid/gid/groups may do `want` (bits of rwx for "other") on a file with this stat. */
function permits(st: { uid: number; gid: number; mode: number }, user: SandboxUser, want: number): boolean {
  if (st.uid === user.uid) return ((st.mode >> 6) & want) === want;
  if (st.gid === user.gid || user.groups.includes(st.gid)) return ((st.mode >> 3) & want) === want;
  return (st.mode & want) === want;
}

/**
 * bubblewrap (Debian's `bubblewrap`) as the build sandbox. When irqtriage runs as root, the
 * sandbox runs as an unprivileged uid (setpriv before bwrap); otherwise as irqtriage's own uid in
 * a user namespace. Limits: wall clock (killed with every process inside, through its pid
 * namespace), and per-process rlimits (address space, processes, file size) set by prlimit.
 */
export class BubblewrapSandbox implements BuildSandbox {
  readonly name = "bubblewrap";
  private probed: Promise<SandboxProbe> | null = null;
  private host: Omit<BwrapHost, "user"> | null = null;
  private readonly log: Logger;
  private readonly user: SandboxUser;

  constructor(private readonly opts: BubblewrapOptions = {}) {
    this.log = opts.log ?? silentLogger();
    const root = process.getuid?.() === 0;
    const uid = root ? (opts.uid ?? 65534) : (process.getuid?.() ?? 65534);
    const gid = root ? (opts.gid ?? 65534) : (process.getgid?.() ?? 65534);
    if (root && (uid === 0 || gid === 0)) throw new Error("the build sandbox must not run as uid or gid 0");
    this.user = { uid, gid, groups: [], switchUser: root };
  }

  probe(): Promise<SandboxProbe> {
    this.probed ??= this.doProbe();
    return this.probed;
  }

  private async doProbe(): Promise<SandboxProbe> {
    const env = this.opts.env ?? process.env;
    const bwrap = this.opts.bwrap ?? which("bwrap", env);
    if (!bwrap || !existsSync(bwrap)) return { ok: false, reason: "bubblewrap is not installed (apt-get install bubblewrap)" };
    const prlimit = "/usr/bin/prlimit";
    const setpriv = "/usr/bin/setpriv";
    if (!existsSync(prlimit) || (this.user.switchUser && !existsSync(setpriv))) {
      return { ok: false, reason: "prlimit/setpriv are missing (apt-get install util-linux)" };
    }
    const v = spawnSync(bwrap, ["--version"], { encoding: "utf8", env: LAUNCH_ENV, timeout: 10_000 });
    const version = (v.stdout ?? "").trim() || "unknown";
    const [major = 0, minor = 0] = versionOf(version);
    this.host = { bwrap, setpriv, prlimit, system: systemLayout(), etc: ETC_PATHS, disableUserns: major > 0 || minor >= 8 };
    // A trial run: user namespaces may be disabled (sysctl, AppArmor) even with bwrap installed.
    const trial = bwrapArgs(
      { argv: ["true"], cwd: "/", env: { PATH: "/usr/bin:/bin" }, mounts: [], limits: { timeoutMs: 10_000, memoryBytes: null, maxProcesses: null, maxFileBytes: null, tmpBytes: 1 << 20 } },
      { ...this.host, user: this.user },
      [],
    );
    const t = spawnSync(trial.file, trial.args, { encoding: "utf8", env: LAUNCH_ENV, timeout: 10_000 });
    if (t.status !== 0) {
      const why = (t.stderr || t.error?.message || `exit ${t.status}`).trim().split("\n").slice(-2).join(" ");
      return { ok: false, reason: `bwrap cannot set up its namespaces here (${why}); it needs unprivileged user namespaces` };
    }
    this.log.debug({ version, uid: this.user.uid, switchUser: this.user.switchUser }, "build sandbox ready");
    return { ok: true, version, uid: this.user.uid, gid: this.user.gid };
  }

  private async ready(): Promise<Omit<BwrapHost, "user">> {
    const p = await this.probe();
    if (!p.ok || !this.host) throw new SandboxUnavailableError(p.ok ? "not probed" : p.reason);
    return this.host;
  }

  /** The user for this command: the device's group is added so that the sandbox can open /dev/kvm. */
  private userFor(cmd: SandboxCommand): SandboxUser {
    const groups = new Set(this.user.groups);
    if (this.user.switchUser) {
      for (const d of cmd.devices ?? []) {
        try {
          const st = statSync(d);
          if (((st.mode >> 3) & 6) === 6) groups.add(st.gid);
        } catch {
          // absent: left out
        }
      }
    }
    return { ...this.user, groups: [...groups] };
  }

  deviceUsable(dev: string): boolean {
    try {
      if (!this.user.switchUser) {
        accessSync(dev, fsc.R_OK | fsc.W_OK);
        return true;
      }
      // As in userFor: the device's group is given to the sandbox user when that group may use it.
      const st = statSync(dev);
      const groups = ((st.mode >> 3) & 6) === 6 ? [...this.user.groups, st.gid] : this.user.groups;
      return permits(st, { ...this.user, groups }, 6);
    } catch {
      return false;
    }
  }

  /**
   * Writable mounts: created when missing and (as root) handed to the sandbox user, once: a tree
   * built before the sandbox existed is root's. Every mount must be reachable by that user,
   * because bwrap resolves it with the user's rights; say which folder is in the way.
   */
  private async prepare(cmd: SandboxCommand, user: SandboxUser): Promise<void> {
    for (const m of cmd.mounts) {
      if (m.writable) {
        await mkdir(m.host, { recursive: true });
        if (user.switchUser) {
          const st = await lstat(m.host);
          if (st.uid !== user.uid || st.gid !== user.gid) {
            this.log.info({ dir: m.host, uid: user.uid }, "build sandbox: handing the folder to the sandbox user");
            await chownTree(m.host, user.uid, user.gid);
          }
        }
      }
      if (user.switchUser) checkReachable(m.host, user, m.writable);
    }
  }

  private async open(cmd: SandboxCommand, firstFd: number): Promise<{ user: SandboxUser; file: string; args: string[]; fds: number[] }> {
    const host = await this.ready();
    const user = this.userFor(cmd);
    const devices = (cmd.devices ?? []).filter((d) => existsSync(d));
    await this.prepare(cmd, user);
    const fds: number[] = [];
    try {
      for (const f of cmd.files ?? []) fds.push(openSync(f.host, fsc.O_RDONLY | fsc.O_NOFOLLOW));
      const { file, args } = bwrapArgs({ ...cmd, devices }, { ...host, user }, fds.map((_, i) => firstFd + i));
      return { user, file, args, fds };
    } catch (err) {
      for (const fd of fds) closeSync(fd);
      throw err;
    }
  }

  async plan(cmd: SandboxCommand, opts: { pipes: number }): Promise<SandboxSpawnPlan> {
    const { file, args, fds } = await this.open(cmd, 3 + opts.pipes);
    let closed = false;
    return {
      file,
      args,
      env: { ...LAUNCH_ENV },
      stdio: [...Array.from({ length: opts.pipes }, () => "pipe" as const), ...fds],
      close: () => {
        if (closed) return;
        closed = true;
        for (const fd of fds) closeSync(fd);
      },
    };
  }

  async run(cmd: SandboxCommand, opts: SandboxRunOptions = {}): Promise<SandboxResult> {
    const { file, args, fds } = await this.open(cmd, 3);
    const started = Date.now();
    return new Promise<SandboxResult>((resolve, reject) => {
      let child;
      try {
        // Own process group: a kill reaches bwrap, and its pid namespace takes everything inside.
        child = spawn(file, args, { env: { ...LAUNCH_ENV }, detached: true, stdio: ["ignore", "pipe", "pipe", ...fds] });
      } finally {
        for (const fd of fds) closeSync(fd);
      }
      let tail = "";
      let stopped: SandboxResult["stopped"] = null;
      const onData = (c: Buffer): void => {
        opts.onOutput?.(c);
        tail += c.toString("utf8");
        if (tail.length > TAIL_BYTES * 2) tail = tail.slice(-TAIL_BYTES);
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", onData);
      const kill = (why: "timeout" | "aborted"): void => {
        stopped ??= why;
        try {
          if (child.pid) process.kill(-child.pid, "SIGKILL");
        } catch {
          // gone
        }
      };
      const timer = setTimeout(() => kill("timeout"), cmd.limits.timeoutMs);
      const onAbort = (): void => kill("aborted");
      if (opts.signal?.aborted) onAbort();
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      child.once("error", (e) => {
        clearTimeout(timer);
        opts.signal?.removeEventListener("abort", onAbort);
        reject(new SandboxUnavailableError(`${file} could not start: ${e.message}`));
      });
      child.once("close", (code, signal) => {
        clearTimeout(timer);
        opts.signal?.removeEventListener("abort", onAbort);
        resolve({ code, signal, stopped, tail: tail.length > TAIL_BYTES ? tail.slice(-TAIL_BYTES) : tail, ms: Date.now() - started });
      });
    });
  }
}

/** lchown every entry (symlinks themselves, never their targets). */
async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await lchown(dir, uid, gid);
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await chownTree(p, uid, gid);
    else await lchown(p, uid, gid);
  }
}

function checkReachable(target: string, user: SandboxUser, writable: boolean): void {
  const abs = path.resolve(target);
  const parts = abs.split("/").filter(Boolean);
  for (let i = 0; i <= parts.length; i++) {
    const p = "/" + parts.slice(0, i).join("/");
    const st = statSync(p);
    const last = i === parts.length;
    const want = last ? (st.isDirectory() ? (writable ? 7 : 5) : writable ? 6 : 4) : 1;
    if (!permits(st, user, want)) {
      const mode = (st.mode & 0o7777).toString(8).padStart(4, "0");
      throw new SandboxUnavailableError(
        `uid ${user.uid} cannot reach ${abs}: ${p} is mode ${mode}, owner ${st.uid}:${st.gid} (make it traversable, e.g. chmod o+x ${p}, or put the state folder elsewhere)`,
      );
    }
  }
}
