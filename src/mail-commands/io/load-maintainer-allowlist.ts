import { LocalGitMirror } from "../../kernel/io/local-git-mirror.js";
import { readIrqMaintainers } from "../../kernel/read-irq-maintainers.js";
import type { Logger } from "../../log/logger.js";

/**
 * The M:/R: addresses of `sections` of MAINTAINERS as committed at `rev` in the mirror (the
 * kernel part's parser; the committed file, so a local edit of the checkout cannot widen the
 * allowlist). A mirror without the file gives [] and a warning: the config allowlist still works.
 * Call it at start and when the mirror moves; the result goes to processCommandMail.
 */
export async function loadMaintainerAllowlist(mirrorPath: string, rev: string, sections: readonly string[], log: Logger): Promise<string[]> {
  if (sections.length === 0) return [];
  try {
    const addrs = await readIrqMaintainers(new LocalGitMirror({ path: mirrorPath, log }), rev, sections);
    if (addrs.length === 0) log.warn({ mirror: mirrorPath, rev, sections }, "no maintainer addresses found in MAINTAINERS; config allowlist only");
    else log.info({ mirror: mirrorPath, rev, count: addrs.length }, "maintainer allowlist loaded");
    return addrs.sort();
  } catch (err) {
    log.warn({ mirror: mirrorPath, rev, err: (err as Error).message }, "cannot read MAINTAINERS from the mirror; config allowlist only");
    return [];
  }
}
