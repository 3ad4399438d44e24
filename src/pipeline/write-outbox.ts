import { createHash } from "node:crypto";
import { link, mkdir, open, unlink } from "node:fs/promises";
import path from "node:path";
import type { OutgoingReply } from "../types/outgoing-reply.js";

/** File name for a reply key: readable prefix plus a hash, so keys never collide or escape. */
export function outboxFileName(key: string): string {
  const readable = key.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[._-]+/, "").slice(0, 80);
  const h = createHash("sha256").update(key).digest("hex").slice(0, 12);
  return `${readable}.${h}.eml`;
}

/**
 * Write a reply into the outbox exactly once per key: if `<key>.eml` exists, nothing is written
 * and the existing path is returned with `created: false`. The write goes to a temp file first
 * and is linked into place, so a crash never leaves half a reply under the final name.
 */
export async function writeOutbox(dir: string, reply: OutgoingReply): Promise<{ path: string; created: boolean }> {
  await mkdir(dir, { recursive: true });
  const final = path.join(dir, outboxFileName(reply.key));
  const tmp = path.join(dir, `.tmp-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  const fh = await open(tmp, "wx", 0o644);
  try {
    await fh.writeFile(reply.eml, "utf8");
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    // link() fails with EEXIST when the reply is already there: the first writer wins.
    await link(tmp, final);
    return { path: final, created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return { path: final, created: false };
    throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}
