import path from "node:path";
import { existsSync } from "node:fs";
import { loadConfig } from "../../config/io/load-config.js";
import { ExitCode, UsageError } from "../../errors.js";
import { createLogger } from "../../log/logger.js";
import { runTriageJob } from "../../daemon/run-triage-job.js";
import { buildDaemonParts } from "../../pipeline/build-daemon-parts.js";
import { openStore } from "../../store/open-store.js";
import { optBool, optString } from "../args.js";
import { applyDaemonOverrides } from "./daemon.js";
import type { CliCommand } from "../cli-command.js";

const help = `usage: irqtriage replay <msgid> [--state <dir> | --config <file>] [--mirror <dir>] [--now] [--reply]

Re-runs the series whose thread holds <msgid> (a Message-ID, with or without <>). By default
it queues a triage job that the running daemon picks up; --now runs it in this process and
prints the outcome. Results are recorded again; a revision already answered gets no second
reply unless --reply is given (the same as a maintainer's "#irqtriage retest").
`;

export const command: CliCommand = {
  name: "replay",
  summary: "re-run the series of a message (queued for the daemon, or --now)",
  help,
  allowPositionals: true,
  options: {
    state: { type: "string" },
    config: { type: "string" },
    mirror: { type: "string" },
    now: { type: "boolean" },
    reply: { type: "boolean" },
  },
  async run(args, io) {
    const msgid = args.positionals[0]?.trim().replace(/^<|>$/g, "");
    if (!msgid || args.positionals.length !== 1) throw new UsageError("give exactly one Message-ID");
    // The daemon's own context: the same flags and environment (IRQTRIAGE_MIRROR, ...).
    const config = applyDaemonOverrides(await loadConfig(optString(args, "config"), io.env, io.cwd), args, io.env, io.cwd);
    if (!existsSync(path.join(config.stateDir, "irqtriage.sqlite"))) throw new UsageError(`no daemon state in ${config.stateDir}`);
    const store = await openStore({ stateDir: config.stateDir });
    try {
      const root = await store.threadRootOf(msgid);
      if (!root) {
        io.stderr.write(`irqtriage replay: no message <${msgid}> in the store\n`);
        return ExitCode.usage;
      }
      const now = Date.now();
      const token = `replay-${now}-${msgid}`;
      if (!optBool(args, "now")) {
        const jobId = optBool(args, "reply")
          ? ((await store.requestRetest({ msgid, requestedBy: token, now }))?.jobId ?? null)
          : await store.enqueueJob({ kind: "triage", key: root, runAt: now, now });
        io.stdout.write(JSON.stringify({ queued: jobId, thread: root }) + "\n");
        return ExitCode.ok;
      }
      // In this process, and only here (no daemon job as well): a retest token is still
      // recorded, so the reply stays exactly-once, and maintainers' quiet is honoured.
      if (optBool(args, "reply")) await store.requestRetest({ msgid, requestedBy: token, now, enqueue: false });
      const log = createLogger({ env: io.env, name: "irqtriage-replay" });
      const parts = await buildDaemonParts(config, log, { store });
      try {
        const out = await runTriageJob(root, optBool(args, "reply") ? [token] : [], {
          store,
          pipeline: parts.pipeline.run,
          config,
          log,
          signal: io.signal,
          isQuiet: parts.isQuiet,
        });
        io.stdout.write(JSON.stringify({ thread: root, ...out }, null, 2) + "\n");
      } finally {
        await parts.close();
      }
      return ExitCode.ok;
    } finally {
      await store.close();
    }
  },
};
