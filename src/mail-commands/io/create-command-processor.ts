import type { Config } from "../../config/config.js";
import type { Logger } from "../../log/logger.js";
import type { MailMessage } from "../../mail/mail-message.js";
import type { Store } from "../../store/store.js";
import { loadMaintainerAllowlist } from "./load-maintainer-allowlist.js";
import { processCommandMail, type CommandMailOutcome } from "./process-command-mail.js";
import { RateLimiter } from "../rate-limiter.js";
import { storeCommandContext, storeRateLimitStore } from "./store-command-context.js";
import type { DnsResolver } from "./verify-dkim.js";

export interface CommandProcessor {
  /** Handle one (already stored) mail; see processCommandMail. */
  process(mail: { msg: MailMessage; raw: Buffer }): Promise<CommandMailOutcome>;
  /** Re-read MAINTAINERS (after the mirror moved). */
  reloadMaintainers(): Promise<void>;
  /** Whether a maintainer asked for no more replies on this lineage (`#irqtriage quiet`). */
  isQuiet(lineage: string): Promise<boolean>;
}

/**
 * The commands part wired to the daemon's store: maintainer allowlist from the mirror, rate
 * limits and command state in the store. The one call the daemon makes at start.
 */
export async function createCommandProcessor(
  config: Config,
  store: Store,
  log: Logger,
  opts: { resolver?: DnsResolver; now?: () => Date } = {},
): Promise<CommandProcessor> {
  const now = opts.now ?? (() => new Date());
  const ctx = storeCommandContext(store, () => now().getTime());
  const rateLimiter = new RateLimiter(storeRateLimitStore(store), config.commands.rateLimit);
  let maintainers: string[] = [];
  const reloadMaintainers = async () => {
    maintainers = config.mirror.path
      ? await loadMaintainerAllowlist(config.mirror.path, config.mirror.branch, config.commands.maintainerSections, log)
      : [];
  };
  await reloadMaintainers();
  return {
    process: (mail) =>
      processCommandMail(mail, {
        config,
        ctx,
        log,
        maintainers,
        rateLimiter,
        now,
        ...(opts.resolver ? { resolver: opts.resolver } : {}),
      }),
    reloadMaintainers,
    isQuiet: (lineage) => ctx.isQuiet(lineage),
  };
}
