import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import { createCommandProcessor, type CommandProcessor } from "../mail-commands/io/create-command-processor.js";
import { storeCommandContext } from "../mail-commands/io/store-command-context.js";
import { openStore } from "../store/open-store.js";
import type { Store } from "../store/store.js";
import type { DnsResolver } from "../mail-commands/io/verify-dkim.js";
import { buildPipeline, type Pipeline } from "./build-pipeline.js";
import { storePreviousAnswer } from "./store-previous-answer.js";

export interface DaemonParts {
  store: Store;
  /** The same pipeline `irqtriage run` uses, with the daemon's limits, helper process and the maintainers' ignores. */
  pipeline: Pipeline;
  /** Command mails (null when commands.enabled is off). */
  commands: CommandProcessor | null;
  /** Whether a maintainer set a lineage quiet (also without the command processor). */
  isQuiet(lineage: string): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * What the daemon, `replay` and the benchmarks run on, built in one place: the store (or the
 * given one), the pipeline, and the command processor on that store.
 */
export async function buildDaemonParts(config: Config, log: Logger, opts: { store?: Store; resolver?: DnsResolver; now?: () => Date } = {}): Promise<DaemonParts> {
  const store = opts.store ?? (await openStore({ stateDir: config.stateDir }));
  const ctx = storeCommandContext(store);
  const pipeline = await buildPipeline({
    config,
    log,
    daemon: true,
    ignores: (lineage) => ctx.listIgnores(lineage),
    previousAnswer: storePreviousAnswer(store, config.reply.from),
  });
  const commands = config.commands.enabled
    ? await createCommandProcessor(config, store, log, { ...(opts.resolver ? { resolver: opts.resolver } : {}), ...(opts.now ? { now: opts.now } : {}) })
    : null;
  return {
    store,
    pipeline,
    commands,
    isQuiet: (lineage) => ctx.isQuiet(lineage),
    async close() {
      await pipeline.close();
      if (!opts.store) await store.close();
    },
  };
}
