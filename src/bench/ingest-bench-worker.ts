/**
 * Child process of the ingest benchmark: runs ingest -> thread/series -> relevance on one mbox
 * and prints one JSON line with counts, stage times and peak RSS. A separate process so that the
 * peak RSS is the pipeline's own, not the generator's.
 */
import { pathToFileURL } from "node:url";
import path from "node:path";
import { ingest } from "../mail/io/ingest.js";
import type { MailMessage } from "../mail/mail-message.js";

interface StageModules {
  buildSeries?: (m: readonly MailMessage[]) => { lineages: { revisions: unknown[] }[] };
  judgeRelevance?: (rev: unknown, rules: unknown) => { relevant: boolean };
  loadRelevanceRules?: (dir?: string) => unknown;
}

// Other parts' stages are loaded when present, so the bench runs at every stage of the project.
async function loadStages(): Promise<StageModules> {
  const here = path.dirname(new URL(import.meta.url).pathname);
  const tryImport = async (rel: string): Promise<Record<string, unknown> | null> => {
    try {
      return (await import(pathToFileURL(path.join(here, rel)).href)) as Record<string, unknown>;
    } catch {
      return null;
    }
  };
  const series = await tryImport("../mail/build-series.js");
  const judge = await tryImport("../patch/judge-relevance.js");
  const load = await tryImport("../patch/io/load-relevance-rules.js");
  const out: StageModules = {};
  if (typeof series?.["buildSeries"] === "function") out.buildSeries = series["buildSeries"] as StageModules["buildSeries"] & object;
  if (typeof judge?.["judgeRelevance"] === "function") out.judgeRelevance = judge["judgeRelevance"] as StageModules["judgeRelevance"] & object;
  if (typeof load?.["loadRelevanceRules"] === "function") out.loadRelevanceRules = load["loadRelevanceRules"] as StageModules["loadRelevanceRules"] & object;
  return out;
}

async function main(): Promise<void> {
  const mbox = process.argv[2];
  const rulesDir = process.argv[3] ?? "rules";
  if (!mbox) throw new Error("usage: ingest-bench-worker <mbox> [rulesDir]");
  const stages = await loadStages();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const messages: MailMessage[] = [];
  let errors = 0;
  let parsed = 0;
  let digested = 0;
  for await (const item of ingest([mbox])) {
    if ("error" in item) errors++;
    else {
      messages.push(item);
      if (item.bodyParsed !== false) parsed++;
      if (item.digest) digested++;
    }
  }
  const t1 = performance.now();
  const c1 = process.cpuUsage(c0);
  let revisions: unknown[] = [];
  let lineages = -1;
  if (stages.buildSeries) {
    const set = stages.buildSeries(messages);
    lineages = set.lineages.length;
    revisions = set.lineages.flatMap((l) => l.revisions);
  }
  const t2 = performance.now();
  let relevant = -1;
  if (stages.judgeRelevance && stages.loadRelevanceRules) {
    const rules = await stages.loadRelevanceRules(rulesDir);
    relevant = 0;
    for (const rev of revisions) if (stages.judgeRelevance(rev, rules).relevant) relevant++;
  }
  const t3 = performance.now();
  const c3 = process.cpuUsage(c0);
  process.stdout.write(
    JSON.stringify({
      messages: messages.length,
      parsed,
      digested,
      errors,
      lineages,
      revisions: revisions.length,
      relevant,
      ingestMs: t1 - t0,
      seriesMs: stages.buildSeries ? t2 - t1 : null,
      relevanceMs: relevant >= 0 ? t3 - t2 : null,
      totalMs: t3 - t0,
      ingestCpuMs: (c1.user + c1.system) / 1000,
      totalCpuMs: (c3.user + c3.system) / 1000,
      maxRssKiB: process.resourceUsage().maxRSS,
    }) + "\n",
  );
}

await main();
