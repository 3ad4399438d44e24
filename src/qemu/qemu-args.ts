/** Command line of the guest VM. Pure, so tests can check what would run. */
export interface QemuArgsOptions {
  kernel: string;
  initrd: string;
  /** Extra kernel command line from the scenario. */
  append: string;
  accel: "kvm" | "tcg" | "auto";
  rootPorts: number;
  /** QMP on a unix socket qemu listens on, or on an inherited, connected socket (fd). */
  qmpSocket?: string;
  qmpFd?: number;
  /** null: no pidfile (qemu in a pid namespace; its pid there is not the host's). */
  pidfile: string | null;
  memoryMb: number;
  /**
   * Console loglevel (default: the kernel's, 7). 5 still prints every WARN, BUG, Oops and
   * "nobody cared" but drops the info lines the log excerpt of a clean run is made of.
   */
  consoleLoglevel?: number;
  /** A unique `-name` so that a run's process can be found (tests poll for it). */
  name: string;
}

function qmp(o: QemuArgsOptions): string[] {
  if (o.qmpFd !== undefined) return ["-chardev", `socket,id=qmp,fd=${o.qmpFd},server=off`, "-mon", "chardev=qmp,mode=control"];
  if (o.qmpSocket !== undefined) return ["-qmp", `unix:${o.qmpSocket},server=on,wait=off`];
  throw new Error("qemuArgs: give qmpSocket or qmpFd");
}

export function qemuArgs(o: QemuArgsOptions): string[] {
  const accel = o.accel === "kvm" ? ["-accel", "kvm"] : o.accel === "tcg" ? ["-accel", "tcg"] : ["-accel", "kvm", "-accel", "tcg"];
  const ports: string[] = [];
  for (let i = 1; i <= o.rootPorts; i++) {
    // One root port per slot (addr 0x10+i) so hot-plug works per port and INTx routing is by slot.
    ports.push("-device", `pcie-root-port,id=rp${i},bus=pcie.0,chassis=${i},slot=${i},addr=0x${(0x10 + i - 1).toString(16)}`);
  }
  const append = [
    "console=ttyS0,115200",
    "panic=-1",
    "oops=panic",
    "rdinit=/init",
    o.consoleLoglevel !== undefined ? `loglevel=${o.consoleLoglevel}` : "",
    "tsc=reliable",
    "no_timer_check",
    o.append,
  ]
    .filter(Boolean)
    .join(" ");
  return [
    "-name",
    o.name,
    "-M",
    "q35",
    ...accel,
    "-m",
    String(o.memoryMb),
    "-smp",
    "1",
    "-nodefaults",
    "-no-user-config",
    "-display",
    "none",
    "-monitor",
    "none",
    "-serial",
    "stdio",
    "-nic",
    "none",
    "-no-reboot",
    // seccomp: no exec, no setuid, no obsolete syscalls, no scheduler/affinity games.
    "-sandbox",
    "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
    ...(o.pidfile !== null ? ["-pidfile", o.pidfile] : []),
    ...qmp(o),
    "-kernel",
    o.kernel,
    "-initrd",
    o.initrd,
    "-append",
    append,
    ...ports,
  ];
}
