/**
 * The M: (maintainer) and R: (reviewer) addresses of the named sections of a kernel MAINTAINERS
 * file, lower-cased. Pure. A section starts at a title line (not "X:\t...") and runs to the next
 * blank line; only exact title matches count, so "IRQCHIP DRIVERS" does not pull in every
 * "... IRQCHIP DRIVER" section of a vendor.
 */
export function maintainerAddresses(text: string, sections: readonly string[]): string[] {
  const wanted = new Set(sections.map((s) => s.trim().toUpperCase()));
  const out = new Set<string>();
  let inWanted = false;
  let inSection = false;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "") {
      inSection = false;
      inWanted = false;
      continue;
    }
    const field = /^([A-Z]):\s*(.*)$/.exec(line);
    if (!inSection && !field) {
      inSection = true;
      inWanted = wanted.has(line.trim().toUpperCase());
      continue;
    }
    if (!inWanted || !field) continue;
    const [, tag, value = ""] = field;
    if (tag !== "M" && tag !== "R") continue;
    const addr = /<([^<>\s]+@[^<>\s]+)>/.exec(value)?.[1] ?? /^([^\s<>]+@[^\s<>]+)$/.exec(value.trim())?.[1];
    if (addr) out.add(addr.toLowerCase());
  }
  return [...out].sort();
}
