import type { CliCommand } from "./cli-command.js";

/**
 * Subcommands by name, loaded lazily so that `irqtriage sim` does not load imapflow or
 * tree-sitter. Each module exports `command`.
 */
export const registry: Record<string, () => Promise<CliCommand>> = {
  run: async () => (await import("./commands/run.js")).command,
  demo: async () => (await import("./commands/demo.js")).command,
  daemon: async () => (await import("./commands/daemon.js")).command,
  status: async () => (await import("./commands/status.js")).command,
  replay: async () => (await import("./commands/replay.js")).command,
  scan: async () => (await import("./commands/scan.js")).command,
  qemu: async () => (await import("./commands/qemu.js")).command,
  sim: async () => (await import("./commands/sim.js")).command,
  "check-command": async () => (await import("./commands/check-command.js")).command,
};
