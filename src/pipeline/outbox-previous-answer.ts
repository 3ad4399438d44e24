import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Finding } from "../types/finding.js";
import type { PreviousAnswer } from "./triage-messages.js";

/** What `irqtriage run` keeps beside each reply it writes: enough for the next revision to compare. */
export interface ReplySidecar {
  key: string;
  lineage: string;
  version: number;
  rfc: boolean;
  messageId: string;
  findings: Finding[];
}

/** `<reply>.eml.json` beside the reply (written once, with the reply). */
export async function writeReplySidecar(emlPath: string, data: ReplySidecar): Promise<void> {
  await writeFile(`${emlPath}.json`, JSON.stringify(data, null, 1) + "\n", { flag: "wx" }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "EEXIST") throw err;
  });
}

/**
 * Previous answers from an outbox folder: the batch counterpart of the daemon's store, so that
 * a `run` over v3 compares with the v2 reply an earlier `run` wrote.
 */
export async function outboxPreviousAnswer(dir: string): Promise<(lineage: string) => Promise<PreviousAnswer | null>> {
  const best = new Map<string, ReplySidecar>();
  let names: string[] = [];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith(".eml.json"));
  } catch {
    // no outbox yet
  }
  for (const n of names) {
    let s: ReplySidecar;
    try {
      s = JSON.parse(await readFile(path.join(dir, n), "utf8")) as ReplySidecar;
    } catch {
      continue; // a damaged sidecar only loses the comparison
    }
    const cur = best.get(s.lineage);
    if (!cur || s.version > cur.version || (s.version === cur.version && cur.rfc && !s.rfc)) best.set(s.lineage, s);
  }
  return async (lineage) => {
    const s = best.get(lineage);
    return s ? { version: s.version, rfc: s.rfc, findings: s.findings, messageId: s.messageId } : null;
  };
}
