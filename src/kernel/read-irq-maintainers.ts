import type { GitMirror } from "../types/git-mirror.js";
import { IRQ_SECTIONS, parseMaintainers, sectionMaintainerAddresses } from "./parse-maintainers.js";

/**
 * M:/R: addresses of the IRQ sections of MAINTAINERS as committed at `rev` in the mirror (the
 * committed file, not the checkout, so a local edit cannot widen the allowlist). Empty when the
 * mirror has no MAINTAINERS file.
 */
export async function readIrqMaintainers(
  mirror: GitMirror,
  rev = "HEAD",
  titles: readonly string[] = IRQ_SECTIONS,
): Promise<string[]> {
  const bytes = await mirror.readFile(rev, "MAINTAINERS");
  if (!bytes) return [];
  return sectionMaintainerAddresses(parseMaintainers(bytes.toString("utf8")), titles);
}
