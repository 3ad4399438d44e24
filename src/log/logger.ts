import { pino, type Logger } from "pino";

export type { Logger };

/**
 * Structured logs go to stderr so that stdout stays for results (`--json`). Level from
 * IRQTRIAGE_LOG (default "info" for the daemon, "warn" for one-shot commands).
 */
export function createLogger(opts: { level?: string; env?: NodeJS.ProcessEnv; name?: string } = {}): Logger {
  const env = opts.env ?? process.env;
  const level = env["IRQTRIAGE_LOG"] ?? opts.level ?? "warn";
  return pino({ name: opts.name ?? "irqtriage", level }, pino.destination({ fd: 2, sync: true }));
}

/** A logger that drops everything, for tests and pure callers that want one. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
