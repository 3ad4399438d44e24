import { readFile } from "node:fs/promises";
import path from "node:path";
import { loadConfig } from "../../config/io/load-config.js";
import { ExitCode } from "../../errors.js";
import { createLogger } from "../../log/logger.js";
import { fixturesDir } from "../../package-root.js";
import { ensureDemoMirror } from "../../pipeline/ensure-demo-mirror.js";
import { runTriage } from "../../pipeline/run-triage.js";
import { optBool, optString } from "../args.js";
import type { CliCommand } from "../cli-command.js";
import { applyCommonOverrides, printTriageSummary } from "../triage-output.js";

export const command: CliCommand = {
  name: "demo",
  summary: "run the whole triage on the shipped fixture mailbox and kernel tree (npm start)",
  help: `usage: irqtriage demo [--state <dir>] [--config <file>] [--quiet] [--json]

Turns fixtures/kernel-tree/ into a git mirror in <state>/demo-mirror (once), reads the fixture
mailbox (fixtures/mail/series/: a v1 -> v2 -> v3 series with reviews and trailers, resends,
net-next, an attachment patch, a pull request, an incomplete series; fixtures/mail/bad/: broken
and hostile mails), triages it exactly like "irqtriage run", writes the replies into
<state>/outbox and prints them. Running it again writes no second reply to the same revision.

  --state <dir>    state folder (default: .irqtriage)
  --quiet          print the summary only, not the reply texts
  --json           print the run's JSON result instead
`,
  options: {
    state: { type: "string" },
    config: { type: "string" },
    quiet: { type: "boolean" },
    json: { type: "boolean" },
  },
  allowPositionals: false,
  async run(args, io) {
    const config = await loadConfig(optString(args, "config"), io.env, io.cwd);
    applyCommonOverrides(config, args, io.cwd);
    const log = createLogger({ env: io.env });
    if (!config.mirror.path) {
      config.mirror.path = await ensureDemoMirror(path.join(fixturesDir, "kernel-tree"), path.join(config.stateDir, "demo-mirror"));
    }
    const outcome = await runTriage({
      paths: [path.join(fixturesDir, "mail", "series"), path.join(fixturesDir, "mail", "bad")],
      config,
      log,
      signal: io.signal,
    });
    if (optBool(args, "json")) {
      io.stdout.write(JSON.stringify(outcome.result, null, 2) + "\n");
      return ExitCode.ok;
    }
    io.stdout.write(`irqtriage demo: mirror ${config.mirror.path}\n`);
    printTriageSummary(outcome, io.stdout);
    if (!optBool(args, "quiet")) {
      for (const rr of outcome.revisions) {
        if (!rr.result.reply) continue;
        const text = await readFile(rr.result.reply, "utf8");
        io.stdout.write(`\n${"=".repeat(72)}\n${rr.result.reply}\n${"=".repeat(72)}\n${text.replace(/\r\n/g, "\n")}`);
      }
    }
    io.stdout.write(
      outcome.written.length
        ? `\n${outcome.written.length} new replies in ${path.dirname(outcome.written[0] as string)}\n`
        : "\nno new replies: every revision was answered by an earlier run (delete the outbox to redo)\n",
    );
    return ExitCode.ok;
  },
};
