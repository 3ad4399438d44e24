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
    sandbox: {
      type: "object",
      additionalProperties: false,
      default: {},
      description:
        "The bubblewrap sandbox every kernel build step and every guest of a patched kernel runs in (Debian package bubblewrap; without it no patched kernel is built).",
      properties: {
        uid: {
          type: "integer",
          minimum: 1,
          maximum: 4294967294,
          default: 65534,
          description: "Unprivileged uid builds and guests run as when irqtriage runs as root (a dedicated system user is better than nobody); a non-root irqtriage runs them as itself.",
        },
        gid: { type: "integer", minimum: 1, maximum: 4294967294, default: 65534, description: "Its gid." },
        buildMemoryMb: { type: "integer", minimum: 256, maximum: 65536, default: 2048, description: "RLIMIT_AS of each process of a build (per process, not in total)." },
        buildMaxProcesses: { type: "integer", minimum: 16, maximum: 65536, default: 512, description: "RLIMIT_NPROC inside a build: processes and threads at once." },
        buildMaxFileMb: { type: "integer", minimum: 16, maximum: 65536, default: 2048, description: "RLIMIT_FSIZE: the largest file a build may write." },
        buildTmpMb: { type: "integer", minimum: 16, maximum: 65536, default: 512, description: "Size of the build's private /tmp (tmpfs)." },
      },
    },
  },
} as const;

export type QemuConfig = FromSchema<typeof qemuSection>;
