import { PassThrough } from "node:stream";
import type { CliIO } from "../../src/cli/cli-command.js";
import { main } from "../../src/cli/main.js";

export interface CapturedIO extends CliIO {
  out(): string;
  err(): string;
}

/** CliIO for running `main()` in-process, with stdout and stderr captured as text. */
export function captureIO(opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): CapturedIO {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = "";
  let e = "";
  stdout.on("data", (b: Buffer) => (o += b.toString()));
  stderr.on("data", (b: Buffer) => (e += b.toString()));
  return {
    stdout,
    stderr,
    env: opts.env ?? {},
    cwd: opts.cwd ?? process.cwd(),
    isTTY: false,
    signal: new AbortController().signal,
    out: () => o,
    err: () => e,
  };
}

/** Run the CLI in-process; returns its exit code and what it printed. */
export async function runCli(argv: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = captureIO(opts);
  const code = await main(argv, io);
  return { code, stdout: io.out(), stderr: io.err() };
}
