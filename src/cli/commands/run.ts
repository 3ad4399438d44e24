import { loadConfig } from "../../config/io/load-config.js";
import { ExitCode, UsageError } from "../../errors.js";
import { createLogger } from "../../log/logger.js";
import { runTriage } from "../../pipeline/run-triage.js";
import { optBool, optString } from "../args.js";
import type { CliCommand } from "../cli-command.js";
import { applyCommonOverrides, printTriageSummary } from "../triage-output.js";

export const command: CliCommand = {
  name: "run",
  summary: "triage mail from mbox / maildir / .eml files: series, relevance, apply, replies",
  help: `usage: irqtriage run <paths...> [--mirror <git dir>] [--branch <rev>] [--outbox <dir>]
                     [--state <dir>] [--config <file>] [--no-stages] [--json]

Reads every message in the given mbox files, maildirs, .eml files or folders of .eml files
(streamed), threads them, tracks patch series across revisions, picks those relevant to IRQ
mapping (rules/relevance.yaml), applies each relevant revision to the kernel mirror in a
throwaway worktree, runs the later stages (mapping balance, simulation; QEMU when enabled in the
config), and writes one reply per relevant revision into the outbox. A revision that already
has a reply in the outbox gets no second one.

  --mirror <dir>   kernel mirror (a local git repository); without it nothing is applied
  --branch <rev>   base when a series has no usable base-commit: trailer (default: master)
  --outbox <dir>   where replies go (default: <state>/outbox)
  --state <dir>    state folder (default: .irqtriage)
  --config <file>  config file (YAML or JSON); also $IRQTRIAGE_CONFIG
  --no-stages      only series, relevance and apply (skip analysis, simulation, QEMU)
  --json           print {"series": [...], "errors": [...]} (see README, "JSON contract")

Exit status: 0 when the mail was read (bad messages are recorded in "errors", not fatal),
2 on usage errors or unreadable paths, 3 on config errors, 4 when git fails.
`,
  options: {
    mirror: { type: "string" },
    branch: { type: "string" },
    outbox: { type: "string" },
    state: { type: "string" },
    config: { type: "string" },
    "no-stages": { type: "boolean" },
    json: { type: "boolean" },
  },
  allowPositionals: true,
  async run(args, io) {
    if (args.positionals.length === 0) throw new UsageError("give at least one mbox, maildir, .eml file or folder");
    const config = await loadConfig(optString(args, "config"), io.env, io.cwd);
    applyCommonOverrides(config, args, io.cwd);
    const log = createLogger({ env: io.env });
    const outcome = await runTriage({
      paths: args.positionals,
      config,
      log,
      signal: io.signal,
      ...(optBool(args, "no-stages") ? { stages: [] } : {}),
    });
    if (optBool(args, "json")) io.stdout.write(JSON.stringify(outcome.result, null, 2) + "\n");
    else printTriageSummary(outcome, io.stdout);
    return ExitCode.ok;
  },
};
