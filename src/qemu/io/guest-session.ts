import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { Duplex } from "node:stream";
import { ExternalError } from "../../errors.js";
import type { BuildSandbox, SandboxLimits } from "../../kernel/build-sandbox.js";
import type { Logger } from "../../log/logger.js";
import { LineSplitter, parseGuestLine, type GuestReport } from "../guest-report.js";
import { qemuArgs } from "../qemu-args.js";
import type { QemuCheckResult } from "../qemu-check-result.js";
import { QemuProcess } from "./qemu-process.js";
import { QmpClient } from "./qmp-client.js";

/** What a guest is started from. */
export interface GuestLaunch {
  binary: string;
  kernel: string;
  initrd: string;
  append: string;
  rootPorts: number;
  memoryMb: number;
  /** `-name irqtriage-<runId>`: how a run's process is found again (stale-run sweep, tests). */
  runId: string;
  /** The run's own folder (socket, pidfile, initramfs), removed at the end. */
  runDir: string;
  /** null: qemu runs as irqtriage's user, QMP on a socket in runDir. */
  sandbox: BuildSandbox | null;
}

/** Where a sandboxed guest sees its inputs (copies handed over as files: no host path). */
const IN_VM = { kernel: "/vm/bzImage", initrd: "/vm/initramfs.cpio" } as const;

/**
 * Limits of a sandboxed qemu. Its address space is the guest's RAM plus TCG's 1 GiB translation
 * buffer plus libraries (1.5 GiB measured for a 256 MiB guest), so 3 GiB of headroom; it writes
 * no file; threads count as processes (the block thread pool alone may start 64).
 */
function qemuLimits(memoryMb: number, timeoutMs: number): SandboxLimits {
  return { timeoutMs, memoryBytes: (memoryMb + 3072) * 1024 * 1024, maxProcesses: 256, maxFileBytes: 64 << 20, tmpBytes: 16 << 20 };
}

/**
 * One guest run: the qemu process, its QMP connection, and what its serial console said (lines,
 * and the IRQTRIAGE reports among them), with waits on both that end on a timeout, on qemu's exit
 * and on the run's time limit or abort.
 */
export class GuestSession {
  readonly lines: string[] = [];
  readonly reports: GuestReport[] = [];
  qemu: QemuProcess | null = null;
  qmp: QmpClient | null = null;
  accel: QemuCheckResult["accel"] = "unknown";
  readonly deadline: AbortSignal;
  readonly abort: AbortSignal;
  private readonly splitter = new LineSplitter();
  private notify: Array<() => void> = [];
  private readonly onAbort = (): void => this.wake();

  constructor(
    readonly log: Logger,
    readonly totalMs: number,
    signal?: AbortSignal,
  ) {
    this.deadline = AbortSignal.timeout(totalMs);
    this.abort = AbortSignal.any([this.deadline, ...(signal ? [signal] : [])]);
    this.abort.addEventListener("abort", this.onAbort);
  }

  private wake(): void {
    const n = this.notify;
    this.notify = [];
    for (const f of n) f();
  }

  private onLine(line: string): void {
    if (this.lines.length < 100_000) this.lines.push(line);
    const parsed = parseGuestLine(line);
    if (parsed?.kind === "report") {
      this.reports.push(parsed.report);
      this.log.debug({ seq: parsed.report.seq, descriptors: parsed.report.descriptors }, "guest report");
    } else if (parsed?.kind === "error") this.log.warn({ guest: parsed.error.message }, "guest error");
    else if (parsed?.kind === "bad") this.log.debug({ text: parsed.text.slice(0, 120) }, "mangled guest report");
  }

  /** Forget the console of a guest that was stopped (KVM fallback): the next one starts afresh. */
  resetConsole(): void {
    this.lines.length = 0;
    this.reports.length = 0;
  }

  /** Start qemu with this accelerator and connect QMP; `accel` is what qemu reports it uses. */
  async start(l: GuestLaunch, accelArg: "kvm" | "tcg" | "auto"): Promise<void> {
    const onConsole = (chunk: string): void => {
      for (const line of this.splitter.push(chunk)) this.onLine(line);
      this.wake();
    };
    const common = { append: l.append, accel: accelArg, rootPorts: l.rootPorts, memoryMb: l.memoryMb, name: `irqtriage-${l.runId}` };
    let q: QemuProcess;
    if (l.sandbox) {
      // No writable path at all: kernel and initramfs come in as read-only copies, QMP over the
      // socketpair on fd 3, the console on stdout.
      const args = qemuArgs({ ...common, kernel: IN_VM.kernel, initrd: IN_VM.initrd, qmpFd: 3, pidfile: null });
      const plan = await l.sandbox.plan(
        {
          argv: [l.binary, ...args],
          cwd: "/",
          env: { PATH: "/usr/bin:/bin", LC_ALL: "C", HOME: "/tmp" },
          mounts: [],
          files: [
            { host: l.kernel, at: IN_VM.kernel },
            { host: l.initrd, at: IN_VM.initrd },
          ],
          devices: accelArg === "tcg" ? [] : ["/dev/kvm"],
          limits: qemuLimits(l.memoryMb, this.totalMs),
        },
        { pipes: 1 },
      );
      q = this.qemu = new QemuProcess({ binary: l.binary, args, plan, pidfile: null, log: this.log, onConsole });
      // For the stale-run sweep: the host pid of the sandbox (its pid namespace holds qemu).
      if (q.child.pid) await writeFile(path.join(l.runDir, "qemu.pid"), String(q.child.pid));
    } else {
      const pidfile = path.join(l.runDir, "qemu.pid");
      const qmpSocket = path.join(l.runDir, "qmp.sock");
      const args = qemuArgs({ ...common, kernel: l.kernel, initrd: l.initrd, qmpSocket, pidfile });
      q = this.qemu = new QemuProcess({ binary: l.binary, args, pidfile, log: this.log, onConsole });
    }
    void q.exited.then(() => {
      for (const line of this.splitter.flush()) this.onLine(line);
      this.wake();
    });
    this.qmp = l.sandbox
      ? await QmpClient.attach(q.child.stdio[3] as Duplex, { timeoutMs: 15_000, log: this.log })
      : await QmpClient.connect(path.join(l.runDir, "qmp.sock"), { timeoutMs: 15_000, signal: this.abort, log: this.log });
    try {
      const kvm = await this.qmp.execute<{ enabled: boolean }>("query-kvm");
      this.accel = kvm.enabled ? "kvm" : "tcg";
    } catch {
      this.accel = "unknown";
    }
  }

  async stopQemu(): Promise<void> {
    this.qmp?.close();
    if (this.qemu) await this.qemu.stop(500);
  }

  /** Resolve true at the first console line, false after `ms` without one. */
  waitOutput(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(this.lines.length > 0), ms);
      const check = (): void => {
        if (this.lines.length > 0 || this.qemu?.hasExited || this.abort.aborted) {
          clearTimeout(t);
          resolve(this.lines.length > 0);
        } else this.notify.push(check);
      };
      check();
    });
  }

  /** Resolve with the first report at index >= from that satisfies `pred`. */
  waitReport(pred: (r: GuestReport) => boolean, from: number, timeoutMs: number, what: string): Promise<GuestReport> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        finish(new ExternalError(`timed out after ${timeoutMs} ms waiting for the guest: ${what}`, "qemu"));
      }, timeoutMs);
      const finish = (err: Error | null, r?: GuestReport): void => {
        clearTimeout(t);
        if (err) reject(err);
        else resolve(r as GuestReport);
      };
      const check = (): void => {
        for (let i = from; i < this.reports.length; i++) {
          const r = this.reports[i] as GuestReport;
          if (pred(r)) return finish(null, r);
        }
        from = Math.max(from, this.reports.length);
        if (this.qemu?.hasExited) return finish(new ExternalError(`qemu ${this.qemu.exitDescription} while waiting for: ${what}`, "qemu"));
        if (this.abort.aborted) {
          const why = this.deadline.aborted ? `run time limit of ${this.totalMs} ms reached` : "run aborted";
          return finish(new ExternalError(`${why} while waiting for: ${what}`, "qemu"));
        }
        this.notify.push(check);
      };
      check();
    });
  }

  /**
   * What stopped the run, in words, when it is something a guest run can run into (qemu or the
   * guest failing, timeouts, an abort); null for a bug of ours, which the caller rethrows.
   */
  describeFailure(err: unknown): string | null {
    const e = err as Error;
    if (!(err instanceof ExternalError || e.name === "AbortError" || e.name === "TimeoutError")) return null;
    let failure = e.message;
    const qp = this.qemu;
    if (qp?.hasExited && !failure.includes("qemu")) failure += ` (qemu ${qp.exitDescription})`;
    const stderr = qp?.stderr.trim();
    if (stderr) failure += `; qemu said: ${stderr.split("\n").slice(-3).join(" | ")}`;
    this.log.warn({ failure }, "qemu check did not complete");
    return failure;
  }

  /** Quit qemu (politely, then not), close QMP, keep the serial log if asked. Returns the log file. */
  async close(logFile: string | null): Promise<string | null> {
    this.abort.removeEventListener("abort", this.onAbort);
    if (this.qmp && this.qemu && !this.qemu.hasExited) {
      try {
        await Promise.race([this.qmp.execute("quit").catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
      } catch {
        // qemu may close the socket before answering
      }
    }
    this.qmp?.close();
    if (this.qemu) {
      const q = this.qemu;
      await Promise.race([q.exited, new Promise((r) => setTimeout(r, 2000))]);
      await q.stop(500);
    }
    if (logFile) {
      await writeFile(logFile, this.lines.join("\n") + "\n");
      return logFile;
    }
    return null;
  }
}
