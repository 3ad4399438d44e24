import { randomBytes } from "node:crypto";
import { existsSync, openSync, closeSync, constants as fsc } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ExternalError } from "../../errors.js";
import type { Logger } from "../../log/logger.js";
import { silentLogger } from "../../log/logger.js";
import { buildInitramfs } from "./build-initramfs.js";
import { bzImageRelease } from "../bzimage-release.js";
import { LineSplitter, parseGuestLine, type GuestReport } from "../guest-report.js";
import { judgeVerdict, logExcerpt } from "../judge-verdict.js";
import { qemuArgs } from "../qemu-args.js";
import type { CycleResult, QemuCheckResult, Reading, StepResult } from "../qemu-check-result.js";
import { QemuProcess } from "./qemu-process.js";
import { cycleOrder, type QemuScenario, type ScenarioDevice } from "../qemu-scenario.js";
import { QmpClient } from "./qmp-client.js";

export interface QemuCheckOptions {
  /** bzImage to boot. */
  kernel: string;
  /** true when `kernel` was built from the series' tree; false for a configured prebuilt kernel. */
  patched: boolean;
  scenario: QemuScenario;
  /** Default: the scenario's. */
  cycles?: number;
  /**
   * /lib/modules/<release> for a modular kernel; null for none; undefined = look for
   * /lib/modules/<release read from the bzImage>.
   */
  modulesDir?: string | null;
  qemuBinary?: string;
  accel?: "auto" | "kvm" | "tcg";
  memoryMb?: number;
  busybox?: string;
  /** Boot to the guest's first report. */
  bootTimeoutMs?: number;
  /** One plug or unplug, until the guest confirms. */
  stepTimeoutMs?: number;
  /** The whole run, whatever happens. */
  timeoutMs?: number;
  /** In accel "auto", how long a KVM guest may stay silent before falling back to TCG. */
  kvmProbeMs?: number;
  /** Copy the full serial log here. */
  logFile?: string | null;
  /** Parent of the run's temp dir (socket, pidfile, initramfs); default os.tmpdir(). */
  tmpDir?: string;
  log?: Logger;
  signal?: AbortSignal;
}

const RUN_PREFIX = "irqtriage-qemu-";

/**
 * Remove run dirs (socket, pidfile, initramfs) left by an irqtriage process that was killed
 * without a chance to clean up (kill -9). Its qemu died with it (pdeathsig); a dir is stale when
 * the pid in its `owner` file is gone. Returns the removed paths.
 */
export async function sweepStaleRuns(tmpDir: string = os.tmpdir()): Promise<string[]> {
  const removed: string[] = [];
  let names: string[] = [];
  try {
    names = (await readdir(tmpDir)).filter((n) => n.startsWith(RUN_PREFIX));
  } catch {
    return removed;
  }
  for (const n of names) {
    const dir = path.join(tmpDir, n);
    let owner = 0;
    try {
      owner = Number((await readFile(path.join(dir, "owner"), "utf8")).trim());
    } catch {
      continue; // not ours, or still being created
    }
    let alive = false;
    try {
      process.kill(owner, 0);
      // A killed owner that its parent has not reaped yet is a zombie: signal 0 still succeeds.
      const stat = await readFile(`/proc/${owner}/stat`, "utf8").catch(() => "");
      alive = !/^\d+ \(.*\) Z/s.test(stat);
    } catch {
      alive = false;
    }
    if (!alive) {
      const pidfile = path.join(dir, "qemu.pid");
      if (existsSync(pidfile)) {
        try {
          // pdeathsig should have killed it already; make sure (and only when it is still qemu).
          const pid = Number((await readFile(pidfile, "utf8")).trim());
          const comm = await readFile(`/proc/${pid}/comm`, "utf8").catch(() => "");
          if (pid > 1 && comm.startsWith("qemu")) process.kill(pid, "SIGKILL");
        } catch {
          // gone
        }
      }
      await rm(dir, { recursive: true, force: true });
      removed.push(dir);
    }
  }
  return removed;
}

/** Whether KVM guests produced output in this process (null: not tried yet). */
let kvmBoots: boolean | null = null;

/** True when /dev/kvm can be opened read-write by this process. */
export function kvmUsable(dev = "/dev/kvm"): boolean {
  try {
    closeSync(openSync(dev, fsc.O_RDWR));
    return true;
  } catch {
    return false;
  }
}

function reading(r: GuestReport): Reading {
  return { descriptors: r.descriptors, controllers: r.controllers, devices: r.devices };
}

export interface PciDev {
  bus: number;
  slot: number;
  function: number;
  qdev_id?: string;
  pci_bridge?: { bus?: { secondary?: number }; devices?: PciDev[] };
}

/** The guest address of a QEMU device id, from query-pci (buses as the guest numbered them). */
export function findPciAddr(buses: Array<{ bus: number; devices: PciDev[] }>, id: string): string | null {
  const walk = (devs: PciDev[]): string | null => {
    for (const d of devs) {
      if (d.qdev_id === id) {
        const h = (n: number, w: number): string => n.toString(16).padStart(w, "0");
        return `0000:${h(d.bus, 2)}:${h(d.slot, 2)}.${d.function}`;
      }
      const sub = d.pci_bridge?.devices;
      if (sub) {
        const r = walk(sub);
        if (r) return r;
      }
    }
    return null;
  };
  for (const b of buses) {
    const r = walk(b.devices);
    if (r) return r;
  }
  return null;
}

/**
 * Boot `kernel` in QEMU (q35), run the scenario's plug/unplug cycles over QMP while the guest
 * reports its IRQ state on the serial console, and judge the result. Never throws for what
 * happens inside the guest or to qemu (that is an "inconclusive" verdict with the reason); throws
 * ExternalError only when the run cannot even be prepared (missing kernel, qemu, busybox).
 * Always removes its qemu process, socket, pidfile and temp dir.
 */
export async function runQemuCheck(opts: QemuCheckOptions): Promise<QemuCheckResult> {
  const log = opts.log ?? silentLogger();
  const scenario = opts.scenario;
  const cyclesPlanned = opts.cycles ?? scenario.cycles;
  const bootTimeoutMs = opts.bootTimeoutMs ?? 90_000;
  const stepTimeoutMs = opts.stepTimeoutMs ?? 30_000;
  const totalMs = opts.timeoutMs ?? bootTimeoutMs + cyclesPlanned * scenario.devices.length * 2 * stepTimeoutMs + 10_000;
  const started = Date.now();
  if (!existsSync(opts.kernel)) throw new ExternalError(`kernel image not found: ${opts.kernel}`, "qemu");
  const image = await readFile(opts.kernel);
  const release = bzImageRelease(image);
  let modulesDir = opts.modulesDir;
  if (modulesDir === undefined) {
    const guess = release ? `/lib/modules/${release}` : null;
    modulesDir = guess && existsSync(path.join(guess, "modules.dep")) ? guess : null;
  }
  const tmpRoot = opts.tmpDir ?? os.tmpdir();
  await sweepStaleRuns(tmpRoot);
  const runDir = await mkdtemp(path.join(tmpRoot, RUN_PREFIX));
  await writeFile(path.join(runDir, "owner"), String(process.pid));
  const runId = randomBytes(6).toString("hex");
  const rlog = log.child({ qemuRun: runId, scenario: scenario.name });
  const lines: string[] = [];
  const reports: GuestReport[] = [];
  const splitter = new LineSplitter();
  let notify: Array<() => void> = [];
  const wake = (): void => {
    const n = notify;
    notify = [];
    for (const f of n) f();
  };
  const onLine = (line: string): void => {
    if (lines.length < 100_000) lines.push(line);
    const parsed = parseGuestLine(line);
    if (parsed?.kind === "report") {
      reports.push(parsed.report);
      rlog.debug({ seq: parsed.report.seq, descriptors: parsed.report.descriptors }, "guest report");
    } else if (parsed?.kind === "error") rlog.warn({ guest: parsed.error.message }, "guest error");
    else if (parsed?.kind === "bad") rlog.debug({ text: parsed.text.slice(0, 120) }, "mangled guest report");
  };

  let qemu: QemuProcess | null = null;
  let qmp: QmpClient | null = null;
  /** Resolve true at the first console line, false after `ms` without one. */
  const waitOutput = (ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      const t = setTimeout(() => resolve(lines.length > 0), ms);
      const check = (): void => {
        if (lines.length > 0 || qemu?.hasExited || abort.aborted) {
          clearTimeout(t);
          resolve(lines.length > 0);
        } else notify.push(check);
      };
      check();
    });
  const stopQemu = async (): Promise<void> => {
    const c = qmp as QmpClient | null;
    c?.close();
    const q = qemu as QemuProcess | null;
    if (q) await q.stop(500);
  };
  const deadline = AbortSignal.timeout(totalMs);
  const signals = [deadline, ...(opts.signal ? [opts.signal] : [])];
  const abort = AbortSignal.any(signals);
  const onAbort = (): void => wake();
  abort.addEventListener("abort", onAbort);

  /** Resolve with the first report at index >= from that satisfies `pred`. */
  const waitReport = (pred: (r: GuestReport) => boolean, from: number, timeoutMs: number, what: string): Promise<GuestReport> =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        finish(new ExternalError(`timed out after ${timeoutMs} ms waiting for the guest: ${what}`, "qemu"));
      }, timeoutMs);
      const finish = (err: Error | null, r?: GuestReport): void => {
        clearTimeout(t);
        if (err) reject(err);
        else resolve(r as GuestReport);
      };
      const check = (): void => {
        for (let i = from; i < reports.length; i++) {
          const r = reports[i] as GuestReport;
          if (pred(r)) return finish(null, r);
        }
        from = Math.max(from, reports.length);
        if (qemu?.hasExited) return finish(new ExternalError(`qemu ${qemu.exitDescription} while waiting for: ${what}`, "qemu"));
        if (abort.aborted) {
          const why = deadline.aborted ? `run time limit of ${totalMs} ms reached` : "run aborted";
          return finish(new ExternalError(`${why} while waiting for: ${what}`, "qemu"));
        }
        notify.push(check);
      };
      check();
    });

  const cycles: CycleResult[] = [];
  let baseline: Reading | null = null;
  let bootToFirstReportMs: number | null = null;
  let failure: string | null = null;
  let accel: QemuCheckResult["accel"] = "unknown";
  let logFile: string | null = null;
  try {
    const initrd = path.join(runDir, "initramfs.cpio");
    const ird = await buildInitramfs({
      out: initrd,
      modulesDir,
      modules: scenario.modules,
      ...(opts.busybox ? { busybox: opts.busybox } : {}),
    });
    if (ird.modules.missing.length) rlog.warn({ missing: ird.modules.missing }, "modules not found for the guest kernel");
    const wantAccel = opts.accel ?? "auto";
    const qmpSocket = path.join(runDir, "qmp.sock");
    const pidfile = path.join(runDir, "qemu.pid");
    const rootPorts = scenario.rootPorts ?? Math.max(...scenario.devices.map((d) => d.port));
    const start = async (accelArg: "kvm" | "tcg" | "auto"): Promise<void> => {
      const args = qemuArgs({
        kernel: opts.kernel,
        initrd,
        append: scenario.append,
        accel: accelArg,
        rootPorts,
        qmpSocket,
        pidfile,
        memoryMb: opts.memoryMb ?? 256,
        name: `irqtriage-${runId}`,
      });
      qemu = new QemuProcess({
        binary: opts.qemuBinary ?? "qemu-system-x86_64",
        args,
        pidfile,
        log: rlog,
        onConsole: (chunk) => {
          for (const l of splitter.push(chunk)) onLine(l);
          wake();
        },
      });
      const q = qemu;
      void q.exited.then(() => {
        for (const l of splitter.flush()) onLine(l);
        wake();
      });
      qmp = await QmpClient.connect(qmpSocket, { timeoutMs: 15_000, signal: abort, log: rlog });
      try {
        const kvm = await qmp.execute<{ enabled: boolean }>("query-kvm");
        accel = kvm.enabled ? "kvm" : "tcg";
      } catch {
        accel = "unknown";
      }
    };
    let bootStart = Date.now();
    if (wantAccel === "auto" && kvmUsable() && kvmBoots !== false) {
      // /dev/kvm can open and still not run guests (nested virtualisation without the CPU
      // features qemu asks for: the guest then spins without a byte of output). A KVM guest
      // prints within a second, so no output in kvmProbeMs means: fall back to TCG.
      await start("kvm");
      const gotOutput = await waitOutput(opts.kvmProbeMs ?? 8000);
      if (!gotOutput && (accel as string) === "kvm") {
        rlog.warn({ probeMs: opts.kvmProbeMs ?? 8000 }, "KVM guest silent: falling back to TCG");
        kvmBoots = false;
        await stopQemu();
        lines.length = 0;
        reports.length = 0;
        bootStart = Date.now();
        await start("tcg");
      } else if (gotOutput) kvmBoots = true;
    } else {
      await start(wantAccel === "auto" ? "tcg" : wantAccel);
    }
    const client = qmp as unknown as QmpClient;
    const first = await waitReport((r) => r.event === "baseline", 0, bootTimeoutMs, "baseline report after boot");
    bootToFirstReportMs = Date.now() - bootStart;
    baseline = reading(first);
    rlog.info({ ms: bootToFirstReportMs, descriptors: first.descriptors, accel, release: first.release }, "guest baseline");
    const byId = new Map(scenario.devices.map((d) => [d.id, d]));
    for (let c = 0; c < cyclesPlanned; c++) {
      const order = cycleOrder(scenario, c);
      const cStart = Date.now();
      const steps: StepResult[] = [];
      const addrs = new Map<string, string | null>();
      let plugged: Reading | null = null;
      for (const id of order.plug) {
        const dev = byId.get(id) as ScenarioDevice;
        const sStart = Date.now();
        const from = reports.length;
        if (dev.driver === "virtio-blk-pci") {
          await client.execute("blockdev-add", { driver: "null-co", "node-name": `nb-${id}`, size: 64 << 20, "read-zeroes": true });
        }
        await client.execute("device_add", {
          driver: dev.driver,
          id,
          bus: `rp${dev.port}`,
          ...(dev.driver === "virtio-blk-pci" ? { drive: `nb-${id}` } : {}),
          ...(dev.props ?? {}),
        });
        const buses = await client.execute<Array<{ bus: number; devices: PciDev[] }>>("query-pci");
        const addr = findPciAddr(buses, id);
        addrs.set(id, addr);
        const want = [...addrs.values()];
        const r = await waitReport(
          (rep) =>
            addr !== null
              ? rep.devices.some((d) => d.addr === addr && d.bound && d.virtioBound)
              : rep.devices.filter((d) => d.bound && d.virtioBound).length >= want.length,
          from,
          stepTimeoutMs,
          `${id} (${dev.driver}) bound after device_add`,
        );
        steps.push({ action: "plug", device: id, addr, reading: reading(r), ms: Date.now() - sStart });
        plugged = reading(r);
      }
      let unplugged: Reading | null = null;
      for (const id of order.unplug) {
        const dev = byId.get(id) as ScenarioDevice;
        const sStart = Date.now();
        const from = reports.length;
        const addr = addrs.get(id) ?? null;
        const remaining = order.unplug.length - order.unplug.indexOf(id) - 1;
        await client.execute("device_del", { id });
        await client.waitEvent("DEVICE_DELETED", (d) => d["device"] === id, stepTimeoutMs, abort);
        const r = await waitReport(
          (rep) => (addr !== null ? !rep.devices.some((d) => d.addr === addr) : rep.devices.length <= remaining),
          from,
          stepTimeoutMs,
          `${id} gone after device_del`,
        );
        if (dev.driver === "virtio-blk-pci") await client.execute("blockdev-del", { "node-name": `nb-${id}` });
        steps.push({ action: "unplug", device: id, addr, reading: reading(r), ms: Date.now() - sStart });
        unplugged = reading(r);
      }
      const cycle: CycleResult = { plugged: plugged as Reading, unplugged: unplugged as Reading, steps, ms: Date.now() - cStart };
      cycles.push(cycle);
      rlog.info(
        { cycle: c + 1, plugged: cycle.plugged.descriptors, unplugged: cycle.unplugged.descriptors, ms: cycle.ms },
        "qemu cycle",
      );
    }
  } catch (err) {
    if (err instanceof ExternalError || (err as Error).name === "AbortError" || (err as Error).name === "TimeoutError") {
      failure = (err as Error).message;
      const qp = qemu as QemuProcess | null;
      if (qp?.hasExited && !failure.includes("qemu")) failure += ` (qemu ${qp.exitDescription})`;
      const stderr = qp?.stderr.trim();
      if (stderr) failure += `; qemu said: ${stderr.split("\n").slice(-3).join(" | ")}`;
      rlog.warn({ failure }, "qemu check did not complete");
    } else {
      await cleanup();
      throw err;
    }
  }
  await cleanup();

  async function cleanup(): Promise<void> {
    abort.removeEventListener("abort", onAbort);
    if (qmp && qemu && !qemu.hasExited) {
      try {
        await Promise.race([qmp.execute("quit").catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
      } catch {
        // qemu may close the socket before answering
      }
    }
    qmp?.close();
    if (qemu) {
      const q = qemu;
      await Promise.race([q.exited, new Promise((r) => setTimeout(r, 2000))]);
      await q.stop(500);
    }
    if (opts.logFile && !logFile) {
      await writeFile(opts.logFile, lines.join("\n") + "\n");
      logFile = opts.logFile;
    }
    await rm(runDir, { recursive: true, force: true });
  }

  const v = judgeVerdict({ baseline, cycles, cyclesPlanned, reports, lines, failure });
  return {
    kernel: opts.kernel,
    patched: opts.patched,
    scenario: scenario.name,
    verdict: v.verdict,
    reasons: v.reasons,
    accel,
    release: reports[0]?.release || release,
    baseline,
    cycles,
    cyclesPlanned,
    complaints: v.complaints,
    logExcerpt: logExcerpt(lines, { failed: v.verdict === "inconclusive" }),
    timings: { bootToFirstReportMs, cycleMs: cycles.map((c) => c.ms), totalMs: Date.now() - started },
    logFile,
  };
}
