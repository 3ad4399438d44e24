import { createHash } from "node:crypto";

/**
 * A finding id a maintainer can type in `#irqtriage ignore <id>`: lower case, digits and dashes
 * (the command grammar's `findingIdPattern`), readable, and stable for the same unit across
 * revisions, so an ignore given on v2 still matches on v3.
 */
export function publicFindingId(prefix: string, key: string, label: string): string {
  const slug = label
    .toLowerCase()
    .replace(/\.[ch]$/, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
  const h = createHash("sha256").update(key).digest("hex").slice(0, 6);
  return `${prefix}-${slug ? slug + "-" : ""}${h}`;
}

/** The public id of a balance change (unit id + file name), as listed in the reply. */
export function balanceFindingId(c: { id: string; unit: string }): string {
  const file = c.unit.split("#")[0] ?? c.unit;
  return publicFindingId("bal", c.id, file.split("/").pop() ?? file);
}
