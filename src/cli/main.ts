import { parseArgs } from "node:util";
import { ExitCode, exitCodeFor, UsageError } from "../errors.js";
import type { CliCommand, CliIO } from "./cli-command.js";
import { registry } from "./registry.js";

function topHelp(commands: CliCommand[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    "irqtriage: patch-mail triage for the Linux IRQ mapping layer",
    "",
    "usage: irqtriage <command> [options]     irqtriage <command> --help",
    "",
    "commands:",
    ...lines,
    "",
    "exit codes: 0 ok, 1 findings reported, 2 usage or bad input, 3 config error,",
    "            4 an outside tool or server failed, 70 internal error",
    "",
  ].join("\n");
}

/** Run the CLI with explicit argv and IO; returns the exit code. */
export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    const cmds = await Promise.all(Object.values(registry).map((load) => load()));
    io.stdout.write(topHelp(cmds));
    return name ? ExitCode.ok : ExitCode.usage;
  }
  const load = registry[name];
  if (!load) {
    io.stderr.write(`irqtriage: unknown command "${name}" (try irqtriage --help)\n`);
    return ExitCode.usage;
  }
  const cmd = await load();
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout.write(cmd.help.endsWith("\n") ? cmd.help : cmd.help + "\n");
    return ExitCode.ok;
  }
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: cmd.options, allowPositionals: cmd.allowPositionals, strict: true });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    return await cmd.run({ values: parsed.values, positionals: parsed.positionals }, io);
  } catch (err) {
    const code = exitCodeFor(err);
    const e = err as Error;
    io.stderr.write(`irqtriage ${name}: ${e.name === "Error" ? "" : e.name + ": "}${e.message}\n`);
    if (code === ExitCode.internal && e.stack) io.stderr.write(e.stack + "\n");
    if (code === ExitCode.usage && err instanceof UsageError) io.stderr.write(`(see irqtriage ${name} --help)\n`);
    return code;
  }
}

/** Entry point of bin/irqtriage.js. */
export async function runFromProcess(): Promise<void> {
  const ac = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (ac.signal.aborted) process.exit(130);
    ac.abort(new Error(`received ${sig}`));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const code = await main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    isTTY: Boolean(process.stdout.isTTY),
    signal: ac.signal,
  });
  process.exitCode = code;
}
