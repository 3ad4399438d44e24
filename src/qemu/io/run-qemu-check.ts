import { existsSync, openSync, closeSync, constants as fsc } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ExternalError } from "../../errors.js";
import { SandboxUnavailableError, type BuildSandbox } from "../../kernel/build-sandbox.js";
import type { Logger } from "../../log/logger.js";
import { silentLogger } from "../../log/logger.js";
import { buildInitramfs } from "./build-initramfs.js";
import { bzImageRelease } from "../bzimage-release.js";
import type { GuestReport } from "../guest-report.js";
import { judgeVerdict, logExcerpt } from "../judge-verdict.js";
import type { CycleResult, QemuCheckResult, Reading, StepResult } from "../qemu-check-result.js";
import { cycleOrder, type QemuScenario, type ScenarioDevice } from "../qemu-scenario.js";
import { GuestSession, type GuestLaunch } from "./guest-session.js";
import type { QmpClient } from "./qmp-client.js";

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
  /**
   * Run qemu in this sandbox (unprivileged, no network, no writable path). Required for a
   * patched kernel; a prebuilt one without a usable sandbox boots unsandboxed, with a warning.
   */
  sandbox?: BuildSandbox | null;
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
          // The pid is qemu's, or the host pid of the sandbox holding it; either way its command
          // line names this run (-name irqtriage-<id>), which a reused pid's would not.
          const pid = Number((await readFile(pidfile, "utf8")).trim());
          const comm = await readFile(`/proc/${pid}/comm`, "utf8").catch(() => "");
          const argv = (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).split("\0");
          const ours = argv.includes(`irqtriage-${n.slice(RUN_PREFIX.length)}`) || comm.startsWith("qemu");
          if (pid > 1 && ours) process.kill(pid, "SIGKILL");
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

/** The sandbox qemu runs in, or null (prebuilt kernels only, when there is none). */
async function chooseSandbox(opts: QemuCheckOptions, log: Logger): Promise<BuildSandbox | null> {
  if (!opts.sandbox) {
    if (opts.patched) throw new SandboxUnavailableError("no sandbox was given to boot the patched kernel in");
    return null;
  }
  const p = await opts.sandbox.probe();
  if (p.ok) return opts.sandbox;
  if (opts.patched) throw new SandboxUnavailableError(p.reason);
  log.warn({ reason: p.reason }, "qemu: no sandbox, booting the prebuilt kernel as this user (qemu's own -sandbox on still applies)");
  return null;
}

interface RunPlan {
  opts: QemuCheckOptions;
  scenario: QemuScenario;
  cyclesPlanned: number;
  bootTimeoutMs: number;
  stepTimeoutMs: number;
  modulesDir: string | null;
  launch: GuestLaunch;
}

/**
 * Boot: the initramfs, then qemu. In accel "auto" with a usable /dev/kvm, a KVM guest that stays
 * silent is replaced by a TCG one. Returns when the boot (of the guest that stays) started.
 */
async function bootGuest(s: GuestSession, p: RunPlan): Promise<number> {
  const ird = await buildInitramfs({
    out: p.launch.initrd,
    modulesDir: p.modulesDir,
    modules: p.scenario.modules,
    ...(p.opts.busybox ? { busybox: p.opts.busybox } : {}),
  });
  if (ird.modules.missing.length) s.log.warn({ missing: ird.modules.missing }, "modules not found for the guest kernel");
  const wantAccel = p.opts.accel ?? "auto";
  const kvmOk = p.launch.sandbox ? p.launch.sandbox.deviceUsable("/dev/kvm") : kvmUsable();
  let bootStart = Date.now();
  if (wantAccel === "auto" && kvmOk && kvmBoots !== false) {
    // /dev/kvm can open and still not run guests (nested virtualisation without the CPU
    // features qemu asks for: the guest then spins without a byte of output). A KVM guest
    // prints within a second, so no output in kvmProbeMs means: fall back to TCG.
    await s.start(p.launch, "kvm");
    const gotOutput = await s.waitOutput(p.opts.kvmProbeMs ?? 8000);
    if (!gotOutput && (s.accel as string) === "kvm") {
      s.log.warn({ probeMs: p.opts.kvmProbeMs ?? 8000 }, "KVM guest silent: falling back to TCG");
      kvmBoots = false;
      await s.stopQemu();
      s.resetConsole();
      bootStart = Date.now();
      await s.start(p.launch, "tcg");
    } else if (gotOutput) kvmBoots = true;
  } else {
    await s.start(p.launch, wantAccel === "auto" ? "tcg" : wantAccel);
  }
  return bootStart;
}

/** Baseline: the guest's first report after boot. */
async function awaitBaseline(s: GuestSession, p: RunPlan, bootStart: number): Promise<{ baseline: Reading; ms: number }> {
  const first = await s.waitReport((r) => r.event === "baseline", 0, p.bootTimeoutMs, "baseline report after boot");
  const ms = Date.now() - bootStart;
  s.log.info({ ms, descriptors: first.descriptors, accel: s.accel, release: first.release }, "guest baseline");
  return { baseline: reading(first), ms };
}

/** One cycle: plug every device of the scenario in its order, then unplug them, each confirmed by the guest. */
async function runCycle(s: GuestSession, p: RunPlan, c: number): Promise<CycleResult> {
  const client = s.qmp as QmpClient;
  const byId = new Map(p.scenario.devices.map((d) => [d.id, d]));
  const order = cycleOrder(p.scenario, c);
  const cStart = Date.now();
  const steps: StepResult[] = [];
  const addrs = new Map<string, string | null>();
  let plugged: Reading | null = null;
  for (const id of order.plug) {
    const dev = byId.get(id) as ScenarioDevice;
    const sStart = Date.now();
    const from = s.reports.length;
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
    const r = await s.waitReport(
      (rep) =>
        addr !== null
          ? rep.devices.some((d) => d.addr === addr && d.bound && d.virtioBound)
          : rep.devices.filter((d) => d.bound && d.virtioBound).length >= want.length,
      from,
      p.stepTimeoutMs,
      `${id} (${dev.driver}) bound after device_add`,
    );
    steps.push({ action: "plug", device: id, addr, reading: reading(r), ms: Date.now() - sStart });
    plugged = reading(r);
  }
  let unplugged: Reading | null = null;
  for (const id of order.unplug) {
    const dev = byId.get(id) as ScenarioDevice;
    const sStart = Date.now();
    const from = s.reports.length;
    const addr = addrs.get(id) ?? null;
    const remaining = order.unplug.length - order.unplug.indexOf(id) - 1;
    await client.execute("device_del", { id });
    await client.waitEvent("DEVICE_DELETED", (d) => d["device"] === id, p.stepTimeoutMs, s.abort);
    const r = await s.waitReport(
      (rep) => (addr !== null ? !rep.devices.some((d) => d.addr === addr) : rep.devices.length <= remaining),
      from,
      p.stepTimeoutMs,
      `${id} gone after device_del`,
    );
    if (dev.driver === "virtio-blk-pci") await client.execute("blockdev-del", { "node-name": `nb-${id}` });
    steps.push({ action: "unplug", device: id, addr, reading: reading(r), ms: Date.now() - sStart });
    unplugged = reading(r);
  }
  const cycle: CycleResult = { plugged: plugged as Reading, unplugged: unplugged as Reading, steps, ms: Date.now() - cStart };
  s.log.info({ cycle: c + 1, plugged: cycle.plugged.descriptors, unplugged: cycle.unplugged.descriptors, ms: cycle.ms }, "qemu cycle");
  return cycle;
}

/** Judge: the verdict from what the guest reported, and the result as the reply and --json show it. */
function judgeRun(
  s: GuestSession,
  p: RunPlan,
  run: { baseline: Reading | null; cycles: CycleResult[]; failure: string | null; bootToFirstReportMs: number | null; release: string | null; started: number; logFile: string | null },
): QemuCheckResult {
  const reports: GuestReport[] = s.reports;
  const v = judgeVerdict({ baseline: run.baseline, cycles: run.cycles, cyclesPlanned: p.cyclesPlanned, reports, lines: s.lines, failure: run.failure });
  return {
    kernel: p.opts.kernel,
    patched: p.opts.patched,
    scenario: p.scenario.name,
    verdict: v.verdict,
    reasons: v.reasons,
    accel: s.accel,
    release: reports[0]?.release || run.release,
    baseline: run.baseline,
    cycles: run.cycles,
    cyclesPlanned: p.cyclesPlanned,
    complaints: v.complaints,
    logExcerpt: logExcerpt(s.lines, { failed: v.verdict === "inconclusive" }),
    timings: { bootToFirstReportMs: run.bootToFirstReportMs, cycleMs: run.cycles.map((c) => c.ms), totalMs: Date.now() - run.started },
    logFile: run.logFile,
  };
}

/**
 * Boot `kernel` in QEMU (q35), run the scenario's plug/unplug cycles over QMP while the guest
 * reports its IRQ state on the serial console, and judge the result: boot, baseline, cycles,
 * judge. Never throws for what happens inside the guest or to qemu (that is an "inconclusive"
 * verdict with the reason); throws ExternalError only when the run cannot even be prepared
 * (missing kernel, qemu, busybox, or no sandbox for a patched kernel). Always removes its qemu
 * process, socket, pidfile and temp dir.
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
  const sandbox = await chooseSandbox(opts, log);
  const tmpRoot = opts.tmpDir ?? os.tmpdir();
  await sweepStaleRuns(tmpRoot);
  const runDir = await mkdtemp(path.join(tmpRoot, RUN_PREFIX));
  // 0700 (mkdtemp) also for a sandboxed qemu: it reaches nothing in here, its files come in open.
  await writeFile(path.join(runDir, "owner"), String(process.pid));
  const runId = path.basename(runDir).slice(RUN_PREFIX.length);
  const rlog = log.child({ qemuRun: runId, scenario: scenario.name });
  const plan: RunPlan = {
    opts,
    scenario,
    cyclesPlanned,
    bootTimeoutMs,
    stepTimeoutMs,
    modulesDir,
    launch: {
      binary: opts.qemuBinary ?? "qemu-system-x86_64",
      kernel: opts.kernel,
      initrd: path.join(runDir, "initramfs.cpio"),
      append: scenario.append,
      rootPorts: scenario.rootPorts ?? Math.max(...scenario.devices.map((d) => d.port)),
      memoryMb: opts.memoryMb ?? 256,
      runId,
      runDir,
      sandbox,
    },
  };
  const s = new GuestSession(rlog, totalMs, opts.signal);
  const cycles: CycleResult[] = [];
  let baseline: Reading | null = null;
  let bootToFirstReportMs: number | null = null;
  let failure: string | null = null;
  try {
    const bootStart = await bootGuest(s, plan);
    ({ baseline, ms: bootToFirstReportMs } = await awaitBaseline(s, plan, bootStart));
    for (let c = 0; c < cyclesPlanned; c++) cycles.push(await runCycle(s, plan, c));
  } catch (err) {
    failure = s.describeFailure(err);
    if (failure === null) {
      await s.close(opts.logFile ?? null);
      await rm(runDir, { recursive: true, force: true });
      throw err;
    }
  }
  const logFile = await s.close(opts.logFile ?? null);
  await rm(runDir, { recursive: true, force: true });
  return judgeRun(s, plan, { baseline, cycles, failure, bootToFirstReportMs, release, started, logFile });
}
