import type { FromSchema } from "json-schema-to-ts";

/** `qemu`: boot the patched kernel and hot-plug devices. */
export const qemuSection = {
  type: "object",
  additionalProperties: false,
  default: {},
  properties: {
    enabled: { type: "boolean", default: false, description: "Run QEMU checks in the triage pipeline." },
    kernel: {
      type: ["string", "null"],
      default: null,
      description: "A prebuilt kernel image to boot instead of building the series; every report then says the guest did not run the patched kernel.",
    },
    fragment: { type: "string", minLength: 1, default: "rules/qemu/kernel-x86_64.config", description: "Config fragment merged on top of tinyconfig; relative paths are from the package root." },
    scenario: { type: "string", pattern: "^[a-z0-9][a-z0-9-]{0,40}$", default: "msi-hotplug", description: "Default scenario (rules/qemu/scenarios/<name>.yaml)." },
    cycles: { type: ["integer", "null"], minimum: 1, maximum: 100, default: null, description: "Plug/unplug cycles; null = the scenario's own number." },
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

export type QemuConfig = FromSchema<typeof qemuSection>;
