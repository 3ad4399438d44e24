import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pino, type Logger } from "pino";
import type { Config } from "../../src/config/config.js";
import { validateConfig } from "../../src/config/validate-config.js";
import { silentLogger } from "../../src/log/logger.js";
import { parseMessage } from "../../src/mail/parse-message.js";
import type { MailMessage } from "../../src/mail/mail-message.js";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
export const corpusDir = path.resolve(repoRoot, "../shared/corpus/genirq-refcount-2020");
export const corpusPresent = existsSync(corpusDir);
export const seriesDir = path.join(repoRoot, "fixtures/mail/series");

/** The .eml files of a folder, in name order (the order a list would have sent them). */
export function emlFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".eml"))
    .sort()
    .map((f) => path.join(dir, f));
}

export async function parseFiles(files: string[]): Promise<MailMessage[]> {
  const out: MailMessage[] = [];
  for (const f of files) out.push(await parseMessage(readFileSync(f), f, { keepRaw: true }));
  return out;
}

/** Defaults plus overrides, validated like a config file. */
export function testConfig(over: Record<string, unknown>): Config {
  const res = validateConfig(over);
  if (!res.ok) throw new Error(res.problems.join("\n"));
  return res.config;
}

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Logs to stderr when IRQTRIAGE_TEST_LOG is set (debugging), silent otherwise. */
export function testLogger(): Logger {
  const level = process.env["IRQTRIAGE_TEST_LOG"];
  return level ? pino({ level }, pino.destination(2)) : silentLogger();
}

type Falsy = null | undefined | false | 0 | "";
export async function waitFor<T>(what: string, fn: () => T | Falsy | Promise<T | Falsy>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A one-patch series touching kernel/irq (relevant), as a list would deliver it. */
export function onePatchMail(i: number, opts: { author?: string; stamp?: string } = {}): string {
  const author = opts.author ?? `dev${i % 7}@example.org`;
  const stamp = opts.stamp ?? "t";
  const id = `${stamp}-${i}@example.org`;
  const date = new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60)).toUTCString().replace("GMT", "+0000");
  return [
    `From: Dev ${i} <${author}>`,
    "To: linux-kernel@vger.kernel.org",
    "Cc: Thomas Gleixner <tglx@linutronix.de>",
    `Subject: [PATCH] genirq: fix refcount in mapping path number ${stamp}${i}`,
    `Date: ${date}`,
    `Message-ID: <${id}>`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
    `Drop the extra reference taken in the lookup path (${stamp} ${i}).`,
    "",
    `Signed-off-by: Dev ${i} <${author}>`,
    "---",
    " kernel/irq/irqdomain.c | 2 +-",
    " 1 file changed, 1 insertion(+), 1 deletion(-)",
    "",
    "diff --git a/kernel/irq/irqdomain.c b/kernel/irq/irqdomain.c",
    "index 1111111..2222222 100644",
    "--- a/kernel/irq/irqdomain.c",
    "+++ b/kernel/irq/irqdomain.c",
    "@@ -10,7 +10,7 @@ static int irq_domain_lookup(struct irq_domain *d)",
    " \tint virq;",
    " ",
    " \tvirq = irq_find_mapping(d, hwirq);",
    "-\tirq_dispose_mapping(virq);",
    `+\tirq_dispose_mapping(virq); /* ${stamp}${i} */`,
    " \treturn virq;",
    " }",
    " ",
    "-- ",
    "2.39.0",
    "",
  ].join("\r\n");
}

/** A plain discussion mail (not a patch) in reply to `parent`. */
export function chatterMail(i: number, parent: string, stamp = "c"): string {
  return [
    `From: Reviewer ${i} <rev${i % 5}@example.org>`,
    "To: linux-kernel@vger.kernel.org",
    `Subject: Re: some discussion ${stamp}${i}`,
    `Date: ${new Date(Date.UTC(2026, 0, 2)).toUTCString().replace("GMT", "+0000")}`,
    `Message-ID: <${stamp}-${i}@example.org>`,
    `In-Reply-To: <${parent}>`,
    `References: <${parent}>`,
    "",
    `I agree with this (${i}).`,
    "",
  ].join("\r\n");
}
