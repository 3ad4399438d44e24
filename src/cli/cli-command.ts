import type { ParseArgsConfig } from "node:util";

/** Streams and environment a command runs with; tests pass their own. */
export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** true when stdout is a terminal (progress bars, colours). */
  isTTY: boolean;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
}

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

export interface ParsedArgs {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

/**
 * One subcommand. `help` is printed for `irqtriage <name> --help`; `run` returns the exit code
 * (see ExitCode in src/errors.ts) and throws only the error classes in src/errors.ts.
 */
export interface CliCommand {
  name: string;
  summary: string;
  help: string;
  options: OptionSpec;
  allowPositionals: boolean;
  run(args: ParsedArgs, io: CliIO): Promise<number>;
}
