/**
 * The guest's side of the serial protocol, parsed. The init script (guest-init.ts) prints one line
 * per observation, `IRQTRIAGE <json>`, interleaved with the kernel's own console output. Pure.
 */
export interface GuestDevice {
  /** PCI address in the guest, e.g. "0000:01:00.0". */
  addr: string;
  /** "vendor:device" without 0x, e.g. "1af4:1041". */
  id: string;
  /** A PCI driver is bound (the `driver` link exists). */
  bound: boolean;
  /** The virtio child device ("virtio0") when there is one. */
  virtio: string | null;
  /** A virtio driver (virtio_net, virtio_blk) is bound to that child. */
  virtioBound: boolean;
  /** Lines of /proc/interrupts whose actions name this device's virtio child. */
  irqLines: number;
  /** Entries of msi_irqs/ (MSI/MSI-X vectors allocated to the device). */
  msiVectors: number;
  /** The legacy `irq` attribute (shared INTx line when MSI is off). */
  irq: number;
}

export interface GuestReport {
  event: "baseline" | "change";
  seq: number;
  /** `uname -r` of the guest kernel. */
  release: string;
  /** Entries of /sys/kernel/irq: allocated IRQ descriptors. */
  descriptors: number;
  /** Lines of /proc/interrupts per irq chip name ("IO-APIC", "PCI-MSI", ...). */
  controllers: Record<string, number>;
  /** Entries of /sys/kernel/debug/irq/domains, or null when the kernel has no irq debugfs. */
  domains: string[] | null;
  devices: GuestDevice[];
}

export interface GuestError {
  event: "error";
  message: string;
}

export type GuestLine = { kind: "report"; report: GuestReport } | { kind: "error"; error: GuestError } | { kind: "bad"; text: string };

export const REPORT_PREFIX = "IRQTRIAGE ";

function num(v: unknown, dflt = 0): number {
  return typeof v === "number" && Number.isFinite(v) ? v : dflt;
}

function parseDevice(v: unknown): GuestDevice | null {
  if (!v || typeof v !== "object") return null;
  const o = v as Record<string, unknown>;
  if (typeof o["addr"] !== "string") return null;
  return {
    addr: o["addr"],
    id: typeof o["id"] === "string" ? o["id"] : "",
    bound: o["bound"] === 1 || o["bound"] === true,
    virtio: typeof o["virtio"] === "string" && o["virtio"] !== "" ? o["virtio"] : null,
    virtioBound: o["vbound"] === 1 || o["vbound"] === true,
    irqLines: num(o["irqlines"]),
    msiVectors: num(o["msi"]),
    irq: num(o["irq"]),
  };
}

/**
 * Parse one console line. Returns null for ordinary kernel output; a `bad` entry when a line
 * carries the prefix but not a valid report (a console write interleaved with kernel output, or
 * a truncated line), so the caller can log it instead of silently dropping it.
 */
export function parseGuestLine(line: string): GuestLine | null {
  const at = line.indexOf(REPORT_PREFIX);
  if (at < 0) return null;
  const text = line.slice(at + REPORT_PREFIX.length).trim();
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { kind: "bad", text };
  }
  if (!v || typeof v !== "object") return { kind: "bad", text };
  const o = v as Record<string, unknown>;
  if (o["event"] === "error") return { kind: "error", error: { event: "error", message: String(o["message"] ?? "") } };
  if ((o["event"] !== "baseline" && o["event"] !== "change") || typeof o["descriptors"] !== "number") {
    return { kind: "bad", text };
  }
  const controllers: Record<string, number> = {};
  const c = o["controllers"];
  if (c && typeof c === "object") {
    for (const [k, n] of Object.entries(c as Record<string, unknown>)) if (typeof n === "number") controllers[k] = n;
  }
  const d = o["domains"];
  const domains = Array.isArray(d) ? d.filter((x): x is string => typeof x === "string") : null;
  const devs = Array.isArray(o["devices"]) ? o["devices"].map(parseDevice).filter((x): x is GuestDevice => x !== null) : [];
  return {
    kind: "report",
    report: {
      event: o["event"],
      seq: num(o["seq"]),
      release: typeof o["release"] === "string" ? o["release"] : "",
      descriptors: o["descriptors"],
      controllers,
      domains,
      devices: devs,
    },
  };
}

/** Splits a byte stream into lines, keeping the partial tail for the next chunk. */
export class LineSplitter {
  private tail = "";
  push(chunk: string): string[] {
    const text = this.tail + chunk;
    const parts = text.split(/\r?\n/);
    this.tail = parts.pop() ?? "";
    return parts.map((l) => l.replace(/\r/g, ""));
  }
  flush(): string[] {
    const t = this.tail;
    this.tail = "";
    return t ? [t] : [];
  }
}
