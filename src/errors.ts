/**
 * The few error classes irqtriage throws on purpose. What each means to the outside (exit code,
 * retry, reply) is decided in one place: `exitCodeFor()` below and the daemon's job runner.
 */
export class UsageError extends Error {
  override name = UsageError.name;
}

export class ConfigError extends Error {
  override name = ConfigError.name;
  constructor(
    message: string,
    readonly problems: string[] = [],
  ) {
    super(problems.length ? `${message}:\n  ${problems.join("\n  ")}` : message);
  }
}

/** Bad input from the outside world (a mail, a patch, a command). Recorded, never fatal. */
export class InputError extends Error {
  override name = InputError.name;
  constructor(
    message: string,
    readonly source: string,
  ) {
    super(message);
  }
}

/** An outside tool or server failed (git, qemu, IMAP, SMTP). Worth a retry. */
export class ExternalError extends Error {
  override name = ExternalError.name;
  constructor(
    message: string,
    readonly tool: string,
    readonly detail: string = "",
  ) {
    super(message);
  }
}

export const ExitCode = {
  ok: 0,
  /** The command ran and found something (a leak, an imbalance, a violation). */
  findings: 1,
  usage: 2,
  config: 3,
  external: 4,
  internal: 70,
} as const;

export function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError) return ExitCode.usage;
  if (err instanceof ConfigError) return ExitCode.config;
  if (err instanceof ExternalError) return ExitCode.external;
  if (err instanceof InputError) return ExitCode.usage;
  return ExitCode.internal;
}
