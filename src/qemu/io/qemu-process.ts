import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import type { SandboxSpawnPlan } from "../../kernel/build-sandbox.js";
import type { Logger } from "../../log/logger.js";

/**
 * The live guests of this process. On exit (normal, uncaught error, or the CLI's SIGINT/SIGTERM
 * path) every one is SIGKILLed synchronously. `kill -9` of irqtriage cannot run handlers, so each
 * qemu is also started under `setpriv --pdeathsig KILL`: the kernel kills it when its parent dies.
 */
const live = new Set<QemuProcess>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", () => {
    for (const q of live) q.killNow();
  });
}

export interface QemuSpawnOptions {
  binary: string;
  args: string[];
  /**
   * Run qemu through this sandbox plan instead (its command line already holds binary and args;
   * extra pipes and files follow stdio 0-2). bwrap dies with us (--die-with-parent) and takes its
   * pid namespace, so qemu, with it.
   */
  plan?: SandboxSpawnPlan;
  /** qemu's own pidfile; null when qemu runs in a pid namespace (its pid there is not ours). */
  pidfile: string | null;
  log: Logger;
  /** Called with each chunk of the serial console (qemu's stdout). */
  onConsole(chunk: string): void;
  /** Wrap with setpriv --pdeathsig (default: when /usr/bin/setpriv exists). */
  pdeathsig?: boolean;
}

export class QemuProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  stderr = "";

  constructor(private readonly opts: QemuSpawnOptions) {
    const useSetpriv = !opts.plan && (opts.pdeathsig ?? existsSync("/usr/bin/setpriv"));
    const [cmd, argv] = opts.plan
      ? [opts.plan.file, opts.plan.args]
      : useSetpriv
        ? ["/usr/bin/setpriv", ["--pdeathsig", "KILL", "--", opts.binary, ...opts.args]]
        : [opts.binary, opts.args];
    hookExit();
    // stdin stays a pipe we never write: the serial console is output only for us.
    this.child = opts.plan
      ? spawn(cmd, argv, { env: opts.plan.env, stdio: ["pipe", "pipe", "pipe", ...opts.plan.stdio] })
      : spawn(cmd, argv, { stdio: ["pipe", "pipe", "pipe"] });
    opts.plan?.close();
    live.add(this);
    this.child.stdout?.setEncoding("utf8");
    this.child.stdout?.on("data", (c: string) => opts.onConsole(c));
    this.child.stderr?.setEncoding("utf8");
    this.child.stderr?.on("data", (c: string) => {
      if (this.stderr.length < 20_000) this.stderr += c;
    });
    this.exited = new Promise((resolve) => {
      this.child.once("error", (err) => {
        this.stderr += `spawn failed: ${err.message}\n`;
        this.exitInfo = { code: -1, signal: null };
        live.delete(this);
        resolve(this.exitInfo);
      });
      this.child.once("exit", (code, signal) => {
        this.exitInfo = { code, signal };
        live.delete(this);
        resolve(this.exitInfo);
      });
    });
    opts.log.debug({ pid: this.child.pid, cmd, argv }, "qemu started");
  }

  get hasExited(): boolean {
    return this.exitInfo !== null;
  }

  get exitDescription(): string {
    const e = this.exitInfo;
    if (!e) return "running";
    return e.signal ? `killed by ${e.signal}` : `exited with code ${e.code}`;
  }

  /** Synchronous SIGKILL of qemu (by its pidfile too, in case setpriv's pid is not qemu's). */
  killNow(): void {
    if (this.hasExited) return;
    try {
      if (this.opts.pidfile && existsSync(this.opts.pidfile)) {
        const pid = Number(readFileSync(this.opts.pidfile, "utf8").trim());
        if (pid > 1) process.kill(pid, "SIGKILL");
      }
    } catch {
      // already gone
    }
    this.child.kill("SIGKILL");
  }

  /** Kill and wait for the exit (bounded). */
  async stop(graceMs = 2000): Promise<void> {
    if (this.hasExited) return;
    this.child.kill("SIGTERM");
    const t = setTimeout(() => this.killNow(), graceMs);
    await this.exited;
    clearTimeout(t);
    this.killNow();
  }
}
