import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLkmlMbox } from "../../src/bench/generate-lkml-mbox.js";
import { buildSeries } from "../../src/mail/build-series.js";
import { parseAddresses, parseRepeatingAddresses } from "../../src/mail/header-scan.js";
import { ingest, PARSED_HEADERS, type IngestOptions } from "../../src/mail/io/ingest.js";
import type { MailMessage } from "../../src/mail/mail-message.js";
import { parseMessage } from "../../src/mail/parse-message.js";
import type { SeriesSet } from "../../src/mail/series-types.js";
import { toRevisionResult } from "../../src/mail/to-revision-result.js";
import { corpusDir, seriesFixtureDir } from "./series-helpers.js";

async function read(paths: string[], opts: IngestOptions = {}): Promise<MailMessage[]> {
  const out: MailMessage[] = [];
  for await (const it of ingest(paths, opts)) if (!("error" in it)) out.push(it);
  return out;
}

/** Everything buildSeries decides, without the MailMessage objects themselves. */
function decisions(set: SeriesSet): unknown {
  return {
    lineages: set.lineages.map((l) => ({
      id: l.id,
      links: l.links,
      revisions: l.revisions.map((r) => ({
        key: r.key,
        result: toRevisionResult(r, { relevant: false, reasons: [] }),
        patchTrailers: r.patches.map((p) => p.trailers),
        reviews: r.reviews,
        baseCommit: r.baseCommit,
        superseded: r.superseded,
      })),
    })),
    duplicates: set.duplicates,
    unclaimed: set.unclaimed,
    roots: set.threads.roots.map((n) => n.msgid),
  };
}

const corpusPresent = existsSync(corpusDir);
// Absent data is reported, not counted as a skipped test.
if (!corpusPresent) console.warn("skipped: ../shared absent (corpus part of the digest check not run)");

describe("ingest keeps a digest instead of the body of mail that cannot post work", () => {
  let dir = "";
  let mbox = "";
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "irqtriage-digest-"));
    mbox = path.join(dir, "lkml.mbox");
    await generateLkmlMbox(mbox, { messages: 800, seed: 11 });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const sources = (): [string, string[]][] => [
    ["generated LKML-like mbox", [mbox]],
    ["fixtures/mail/series", [seriesFixtureDir]],
    ...(corpusPresent ? ([["genirq corpus", [corpusDir]]] as [string, string[]][]) : []),
  ];

  it("buildSeries decides exactly the same with digests as with the full text (reviews, trailers, diff quotes, duplicates)", async () => {
    for (const [name, paths] of sources()) {
      const slim = await read(paths);
      const full = await read(paths, { keepText: true });
      expect(slim.length, name).toBe(full.length);
      expect(slim.filter((m) => m.digest).length, name).toBeGreaterThan(0);
      expect(full.filter((m) => m.digest), name).toEqual([]);
      expect(decisions(buildSeries(slim)), name).toEqual(decisions(buildSeries(full)));
    }
  });

  it("digests only replies, forwards and untagged mail; their digest holds what the text said", async () => {
    const slim = await read([mbox]);
    const full = new Map((await read([mbox], { keepText: true })).map((m) => [m.source, m]));
    let withTrailers = 0;
    let quoting = 0;
    for (const m of slim) {
      const f = full.get(m.source)!;
      if (!m.digest) {
        expect(m.text, m.source).toBe(f.text);
        continue;
      }
      expect(m.subject, m.source).not.toMatch(/^(?![Rr]e:|[Ff]wd?:)\s*\[[^\]]*PATCH/);
      expect(m.text).toBe("");
      expect(m.digest.textLength, m.source).toBe(f.text.length);
      if (m.digest.trailers.length) withTrailers++;
      if (m.digest.quotesDiff) quoting++;
    }
    // the generator writes review replies with trailers and quoted hunks: both must be seen
    expect(withTrailers).toBeGreaterThan(10);
    expect(quoting).toBeGreaterThan(10);
  });

  it("leaves the header fields carried in parsed form out of `headers`; parseMessage keeps them", async () => {
    const [m] = await read([mbox]);
    expect(m).toBeDefined();
    for (const name of PARSED_HEADERS) expect(m!.headers[name], name).toBeUndefined();
    expect(m!.headers["list-id"]).toEqual(["<linux-kernel.vger.kernel.org>"]);
    const { readMail } = await import("../../src/mail/io/read-mail.js");
    for await (const r of readMail([mbox])) {
      const p = await parseMessage(r.raw, r.source);
      expect(p.headers["message-id"]).toEqual([`<${p.msgid}>`]);
      expect(p.headers["subject"]).toHaveLength(1);
      break;
    }
  });

  it("messages with the same To: share one frozen address list, the one parseAddresses gives", async () => {
    const msgs = await read([mbox]);
    const lists = msgs.filter((m) => m.to.length === 1 && m.to[0]!.address === "linux-kernel@vger.kernel.org").map((m) => m.to);
    expect(lists.length).toBeGreaterThan(100);
    // single-part mail shares one list; multipart mail (mailparser's header values) has its own
    expect(new Set(lists).size).toBeLessThan(lists.length / 10);
    expect(Object.isFrozen(lists[0])).toBe(true);
    expect(lists[0]).toEqual(parseAddresses("linux-kernel@vger.kernel.org"));
    expect(parseRepeatingAddresses("A <a@b.c>, d@e.f")).toEqual(parseAddresses("A <a@b.c>, d@e.f"));
    expect(parseRepeatingAddresses(null)).toEqual([]);
  });

  it("of two copies of one reply the first is kept, even when only the later one was parsed; the later one is a conflict and its trailer does not count", async () => {
    const box = path.join(dir, "dup.mbox");
    const patch =
      "From: Ann Author <ann@example.org>\nSubject: [PATCH] genirq: keep the mapping\nMessage-ID: <p1@example.org>\nDate: Mon, 9 Nov 2020 10:00:00 +0000\n\n" +
      "Keep it.\n\nSigned-off-by: Ann Author <ann@example.org>\n---\ndiff --git a/kernel/irq/irqdomain.c b/kernel/irq/irqdomain.c\n--- a/kernel/irq/irqdomain.c\n+++ b/kernel/irq/irqdomain.c\n@@ -1,1 +1,1 @@\n-a\n+b\n";
    const reply = (body: string): string =>
      "From: Rex Reviewer <rex@example.org>\nSubject: Re: genirq: keep the mapping\nMessage-ID: <r1@example.org>\nIn-Reply-To: <p1@example.org>\nDate: Mon, 9 Nov 2020 11:00:00 +0000\n\n" + body;
    const from = "From x@y Mon Nov  9 10:00:00 2020\n";
    // first a copy with no hint in subject or body (ingest reads its headers only), then the real one
    await writeFile(box, [patch, reply("Looks fine to me.\n"), reply("> +b\n\nReviewed-by: Rex Reviewer <rex@example.org>\n")].map((m) => from + m + "\n").join(""));
    const msgs = await read([box]);
    const copies = msgs.filter((m) => m.msgid === "r1@example.org");
    expect(copies.map((m) => [m.bodyParsed, m.digest?.trailers])).toEqual([
      [false, undefined],
      [true, [{ name: "Reviewed-by", value: "Rex Reviewer <rex@example.org>" }]],
    ]);
    const set = buildSeries(msgs);
    expect(set.duplicates).toEqual([{ msgid: "r1@example.org", kept: `${box}#2`, dropped: `${box}#3`, conflict: "different body" }]);
    const rev = set.lineages[0]!.revisions[0]!;
    expect(rev.trailers.map((t) => `${t.name}: ${t.value}`)).toEqual(["Signed-off-by: Ann Author <ann@example.org>"]);
    // in the other order the parsed copy is the first, and its trailer counts
    const swapped = buildSeries([msgs[0]!, msgs[2]!, msgs[1]!]);
    expect(swapped.lineages[0]!.revisions[0]!.trailers.map((t) => t.name)).toEqual(["Signed-off-by", "Reviewed-by"]);
  });
});
