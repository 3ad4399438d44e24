import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseMessage } from "../../src/mail/parse-message.js";
import type { MailMessage } from "../../src/mail/mail-message.js";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
export const corpusDir = path.resolve(repoRoot, "../shared/corpus/genirq-refcount-2020");
export const seriesFixtureDir = path.join(repoRoot, "fixtures/mail/series");

/** Parse every .eml of a folder (sorted by name) with the project's own parser. */
export async function loadEmlDir(dir: string): Promise<MailMessage[]> {
  const files = readdirSync(dir).filter((f) => f.endsWith(".eml")).sort();
  const out: MailMessage[] = [];
  for (const f of files) out.push(await parseMessage(readFileSync(path.join(dir, f)), path.join(dir, f), { keepRaw: true }));
  return out;
}

/** Build a mail from headers and a body (for small unit cases). */
export async function mail(headers: Record<string, string>, body: string, source = "test"): Promise<MailMessage> {
  const head = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join("\r\n");
  const raw = Buffer.from(`${head}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${body.replace(/\r?\n/g, "\r\n")}`);
  return parseMessage(raw, source, { keepRaw: true });
}
