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
    /**
     * What may be said about it in a mail: made where the error is made, by the code that knows
     * which of its words are local paths, and without them. Absent: nothing specific.
     */
    readonly mailText: string | null = null,
  ) {
    super(message);
  }
}

/**
 * The text a reply may carry for an error: the mail-safe text its maker gave (ExternalError's
 * `mailText`, an InputError's message: that is about the mail itself), else a generic sentence.
 * `err.message` is for logs and the run's own output, never for mail: it may name local paths.
 */
export function mailTextOf(err: unknown): string {
  if (err instanceof ExternalError && err.mailText) return err.mailText;
  if (err instanceof InputError) return err.message;
  return `an internal error (${err instanceof ExternalError ? `${err.tool} failed; ` : ""}the details are in irqtriage's log)`;
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
