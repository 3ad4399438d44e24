import { execFile, spawnSync } from "node:child_process";
import { mkdtemp, rm, mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { simpleParser } from "mailparser";
import { generateLkmlMbox } from "./generate-lkml-mbox.js";
import { readMail } from "../mail/io/read-mail.js";

const run = promisify(execFile);

/** Messages in the generated mbox (issue 2: 100,000). IRQTRIAGE_BENCH_MESSAGES overrides. */
const MESSAGES = Number(process.env["IRQTRIAGE_BENCH_MESSAGES"] ?? 100_000);

/**
 * `npm run bench -- ingest`: generates a seeded LKML-like mbox, times `git mailsplit` on it and
 * the ingest -> thread/series -> relevance pipeline (in a child process, for an honest peak RSS),
 * and prints both next to the issue's targets (>= 10,000 msgs/s, <= 3x git mailsplit, <= 500 MB).
 */
export async function bench(log: (line: string) => void): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "irqtriage-ingest-bench-"));
  try {
    const mbox = path.join(dir, "lkml.mbox");
    let t = performance.now();
    const gen = await generateLkmlMbox(mbox, { messages: MESSAGES, seed: 20201109 });
    log(`generated ${gen.messages} messages, ${(gen.bytes / 1e6).toFixed(1)} MB in ${((performance.now() - t) / 1000).toFixed(1)} s ` +
      `(patches ${gen.patches}, replies to patches ${gen.patchReplies}, multipart ${gen.multipart}, QP ${gen.quotedPrintable}, base64 ${gen.base64})`);

    const splitDir = path.join(dir, "split");
    await mkdir(splitDir);
    t = performance.now();
    const ms = spawnSync("git", ["mailsplit", `-o${splitDir}`, mbox], { encoding: "utf8" });
    const mailsplitS = (performance.now() - t) / 1000;
    if (ms.status !== 0) log(`git mailsplit failed: ${ms.stderr}`);
    else log(`git mailsplit: ${ms.stdout.trim()} messages in ${mailsplitS.toFixed(2)} s (${Math.round(MESSAGES / mailsplitS)} msgs/s)`);
    await rm(splitDir, { recursive: true, force: true });

    const worker = fileURLToPath(new URL("./ingest-bench-worker.js", import.meta.url));
    const root = fileURLToPath(new URL("../..", import.meta.url));
    const { stdout } = await run(process.execPath, [worker, mbox, path.join(root, "rules")], { maxBuffer: 1 << 20 });
    const r = JSON.parse(stdout.trim().split("\n").pop()!) as {
      messages: number; parsed: number; digested: number; errors: number; lineages: number; revisions: number; relevant: number;
      ingestMs: number; seriesMs: number | null; relevanceMs: number | null; totalMs: number; maxRssKiB: number;
      ingestCpuMs: number; totalCpuMs: number;
    };
    const totalS = r.totalMs / 1000;
    const rate = r.messages / totalS;
    log(`ingest: ${r.messages} messages (${r.parsed} fully parsed, of which ${r.digested} replies/discussion kept as a digest; ${r.messages - r.parsed} header-only), ${r.errors} errors, ` +
      `${(r.ingestMs / 1000).toFixed(2)} s wall = ${Math.round(r.messages / (r.ingestMs / 1000))} msgs/s; ` +
      `${(r.ingestCpuMs / 1000).toFixed(2)} s CPU = ${Math.round(r.messages / (r.ingestCpuMs / 1000))} msgs per CPU-second`);
    log(`series: ${r.seriesMs === null ? "stage not present yet" : `${r.lineages} lineages, ${r.revisions} revisions, ${(r.seriesMs / 1000).toFixed(2)} s`}`);
    log(`relevance: ${r.relevanceMs === null ? "stage not present yet" : `${r.relevant} relevant revisions, ${(r.relevanceMs / 1000).toFixed(2)} s`}`);
    log(`pipeline total: ${totalS.toFixed(2)} s = ${Math.round(rate)} msgs/s (target >= 10000); ` +
      `${(r.totalCpuMs / 1000).toFixed(2)} s CPU = ${Math.round(r.messages / (r.totalCpuMs / 1000))} msgs per CPU-second`);
    log(`load average while measuring: ${os.loadavg().map((l) => l.toFixed(1)).join(" ")} on ${os.cpus().length} CPUs (wall figures suffer on a shared machine)`);
    if (ms.status === 0) log(`ratio to git mailsplit: ${(totalS / mailsplitS).toFixed(2)}x (target <= 3x)`);
    log(`peak RSS: ${(r.maxRssKiB / 1024).toFixed(0)} MB (target <= 500 MB)`);

    // For scale: mailparser on every message, as the prefilter avoids (first 2,000 messages).
    let n = 0;
    t = performance.now();
    for await (const m of readMail([mbox])) {
      await simpleParser(m.raw);
      if (++n >= 2000) break;
    }
    log(`for comparison, mailparser simpleParser on every message: ${Math.round(n / ((performance.now() - t) / 1000))} msgs/s (first ${n} messages)`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
