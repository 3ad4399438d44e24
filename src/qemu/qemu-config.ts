/** The `qemu` section of the config file (QEMU checks, issue 5). Pure. */
export interface QemuConfig {
  /** Run QEMU checks in the triage pipeline. */
  enabled: boolean;
  /**
   * A prebuilt kernel image to boot instead of building the series' tree. Every report then says
   * the guest did not run the patched kernel (`patched: false`).
   */
  kernel: string | null;
  /** Config fragment merged on top of tinyconfig; relative paths are from the package root. */
  fragment: string;
  /** Default scenario (rules/qemu/scenarios/<name>.yaml). */
  scenario: string;
  /** Plug/unplug cycles; null = the scenario's own number. */
  cycles: number | null;
  accel: "auto" | "kvm" | "tcg";
  binary: string;
  busybox: string;
  memoryMb: number;
  bootTimeoutMs: number;
  stepTimeoutMs: number;
  buildTimeoutMs: number;
  buildJobs: number;
}

export const qemuConfigSchema = {
  type: "object",
  additionalProperties: false,
  default: {},
  properties: {
    enabled: { type: "boolean", default: false },
    kernel: { type: ["string", "null"], default: null },
    fragment: { type: "string", minLength: 1, default: "rules/qemu/kernel-x86_64.config" },
    scenario: { type: "string", pattern: "^[a-z0-9][a-z0-9-]{0,40}$", default: "msi-hotplug" },
    cycles: { type: ["integer", "null"], minimum: 1, maximum: 100, default: null },
    accel: { enum: ["auto", "kvm", "tcg"], default: "auto" },
    binary: { type: "string", minLength: 1, default: "qemu-system-x86_64" },
    busybox: { type: "string", minLength: 1, default: "/bin/busybox" },
    memoryMb: { type: "integer", minimum: 64, maximum: 4096, default: 256 },
    bootTimeoutMs: { type: "integer", minimum: 1000, default: 90_000 },
    stepTimeoutMs: { type: "integer", minimum: 500, default: 30_000 },
    buildTimeoutMs: { type: "integer", minimum: 10_000, default: 1_800_000 },
    buildJobs: { type: "integer", minimum: 1, maximum: 64, default: 2 },
  },
} as const;
