import { existsSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildSeries } from "../../src/mail/build-series.js";
import type { Lineage, Revision, SeriesSet } from "../../src/mail/series-types.js";
import { toRevisionResult } from "../../src/mail/to-revision-result.js";
import { judgePatchRelevance, judgeRelevance } from "../../src/patch/judge-relevance.js";
import { loadRelevanceRules } from "../../src/patch/io/load-relevance-rules.js";
import type { RelevanceRules } from "../../src/patch/relevance-rules.js";
import { corpusDir, loadEmlDir, repoRoot } from "../mail/series-helpers.js";

// The corpus lives next to the repository (../shared); a fresh clone does not have it.
const present = existsSync(corpusDir);

// Absent data is reported, not counted as a skipped test: the tests below need it.
if (!present) console.warn(`skipped: ../shared absent (${corpusDir})`);

// Message-IDs of the corpus files (by their number in the README table).
const id = {
  "00": "20201027090655.14118-1-aik@ozlabs.ru",
  "01": "20201027090655.14118-2-aik@ozlabs.ru",
  "02": "20201027090655.14118-3-aik@ozlabs.ru",
  "03": "415025f93a2b93e8ae62cba57ca1a8a7@kernel.org",
  "04": "cda3c451-54f4-ebea-f58e-bd13b79451ff@ozlabs.ru",
  "05": "20201029110141.94304-1-aik@ozlabs.ru",
  "06": "4ed56f8d-3fe4-2d5d-6ec4-139efc742cb2@ozlabs.ru",
  "07": "87blg7jvmk.fsf@nanos.tec.linutronix.de",
  "08": "6c6702bd-dff2-1d34-0f93-4f8011417c64@kaod.org",
  "10": "20201109094646.71565-1-aik@ozlabs.ru",
  "11": "fac73255eabb43242528821888acf2cc@kernel.org",
  "12": "befc829d-82ac-3ae8-025d-eb9eb7b4a1b6@kaod.org",
  "13": "98d06682-da53-c851-74a7-952bf958b793@ozlabs.ru",
  "14": "e552f6a9-8b82-f446-d67d-2f666870c766@linux.ibm.com",
  "15": "258becba10679166555137c7f2727265@kernel.org",
  "16": "87a6vkayzl.fsf@nanos.tec.linutronix.de",
  "20": "20201124061720.86766-1-aik@ozlabs.ru",
  "25": "877dq2ij45.fsf@nanos.tec.linutronix.de",
  "26": "87360qiif6.fsf@nanos.tec.linutronix.de",
} as const;

describe.runIf(present)("corpus genirq-refcount-2020: threading, series, patches, reviews, relevance, trailers", () => {
  let set: SeriesSet;
  let rules: RelevanceRules;
  let lineage: Lineage;
  let byVersion: Map<number, Revision>;

  beforeAll(async () => {
    set = buildSeries(await loadEmlDir(corpusDir));
    rules = await loadRelevanceRules(path.join(repoRoot, "rules"));
    const l = set.lineages.find((x) => x.revisions.some((r) => r.cover?.msgid === id["00"]));
    if (!l) throw new Error("no lineage holds the RFC cover letter");
    lineage = l;
    byVersion = new Map(lineage.revisions.map((r) => [r.version, r]));
  });

  it("reads all 19 mails and leaves none unaccounted for", () => {
    expect(set.threads.byId.size).toBeGreaterThanOrEqual(19);
    expect([...set.threads.byId.values()].filter((n) => n.message).length).toBe(19);
    expect(set.unclaimed).toEqual([]);
    expect(set.duplicates).toEqual([]);
  });

  it("threads: replies hang under what they answer, replies to replies included (13, 14, 15, 26)", () => {
    const parent = (f: keyof typeof id): string | undefined => set.threads.byId.get(id[f])?.parent?.msgid;
    expect(parent("01")).toBe(id["00"]);
    expect(parent("02")).toBe(id["00"]);
    expect(parent("03")).toBe(id["01"]);
    expect(parent("04")).toBe(id["03"]);
    expect(parent("07")).toBe(id["06"]);
    expect(parent("08")).toBe(id["02"]);
    expect(parent("13")).toBe(id["11"]);
    expect(parent("14")).toBe(id["13"]);
    expect(parent("15")).toBe(id["13"]);
    expect(parent("26")).toBe(id["25"]);
    // v4 5/8 is not in the corpus: an empty container under the v4 cover holds its replies.
    const missing = set.threads.byId.get("20201124061720.86766-6-aik@ozlabs.ru");
    expect(missing?.message).toBeNull();
    expect(missing?.parent?.msgid).toBe(id["20"]);
    expect(missing?.children.map((c) => c.msgid)).toEqual([id["25"]]);
    // Four threads: RFC, v2, v3, v4 (the revisions are not threaded to each other).
    expect(set.threads.roots.map((r) => r.msgid)).toEqual([id["00"], id["05"], id["10"], id["20"]]);
  });

  it("one lineage, four revisions RFC(v1) -> v2 -> v3 -> v4, same author, across the v2->v3 rename", () => {
    expect(set.lineages).toHaveLength(1);
    expect(lineage.id).toBe(id["00"]);
    expect(lineage.revisions.map((r) => [r.version, r.rfc])).toEqual([
      [1, true],
      [2, false],
      [3, false],
      [4, false],
    ]);
    for (const r of lineage.revisions) expect(r.author?.address).toBe("aik@ozlabs.ru");
    expect(byVersion.get(2)?.title).toBe("irq: Add reference counting to IRQ mappings");
    expect(byVersion.get(3)?.title).toBe("genirq/irqdomain: Add reference counting to IRQs");
    // v3 is neither threaded under v2 nor cites it: only author + title similarity + time link it.
    const v3link = lineage.links.find((l) => l.revision === byVersion.get(3)?.key);
    expect(v3link?.rule).toBe("title");
    expect(v3link?.previous).toBe(byVersion.get(2)?.key);
    const keys = lineage.revisions.map((r) => r.key);
    expect(new Set(keys).size).toBe(4);
  });

  it("`kernel` is an extra subject tag, not part of the title", () => {
    for (const r of lineage.revisions) {
      expect(r.extra).toContain("kernel");
      expect(r.title).not.toMatch(/kernel/);
    }
    expect(byVersion.get(1)?.title).toBe("irq: Add reference counting to IRQ mappings");
  });

  it("00 is the RFC cover letter of v1 with patches 01 (1/2) and 02 (2/2), complete", () => {
    const v1 = byVersion.get(1) as Revision;
    expect(v1.cover?.msgid).toBe(id["00"]);
    expect(v1.patches.map((p) => [p.index, p.total, p.msgid])).toEqual([
      [1, 2, id["01"]],
      [2, 2, id["02"]],
    ]);
    expect(v1.missing).toEqual([]);
    expect(v1.patches[1]?.subject.title).toBe("powerpc/pci: Remove LSI mappings on device teardown");
  });

  it("patches are exactly 01, 02, 05, 10 and each carries its diff", () => {
    const all = lineage.revisions.flatMap((r) => r.patches.map((p) => p.msgid));
    expect(all.sort()).toEqual([id["01"], id["02"], id["05"], id["10"]].sort());
    const files = (v: number, i: number): string[] => byVersion.get(v)?.patches.find((p) => p.index === i)?.patch?.files.map((f) => f.path) ?? [];
    expect(files(1, 1)).toEqual(["kernel/irq/irqdesc.c", "kernel/irq/irqdomain.c"]);
    expect(files(1, 2)).toEqual(["arch/powerpc/kernel/pci-common.c"]);
    expect(files(2, 1)).toEqual(["kernel/irq/irqdesc.c", "kernel/irq/irqdomain.c"]);
    expect(files(3, 1)).toContain("kernel/irq/irqdomain.c");
    const v2 = byVersion.get(2) as Revision;
    expect(v2.cover).toBeNull();
    expect(v2.patches.map((p) => [p.index, p.total])).toEqual([[1, 1]]);
  });

  it("replies that quote a diff (03, 08, 12, 25) are reviews of the patch they answer, never patches", () => {
    const reviews = new Map(lineage.revisions.flatMap((r) => r.reviews.map((v) => [v.msgid, { rev: r.version, v }] as const)));
    const expectReview = (file: keyof typeof id, version: number, target: string, index: number): void => {
      const r = reviews.get(id[file]);
      expect(r, file).toBeDefined();
      expect(r?.rev).toBe(version);
      expect(r?.v.target).toBe(target);
      expect(r?.v.patchIndex).toBe(index);
      expect(r?.v.quotesDiff).toBe(true);
    };
    expectReview("03", 1, id["01"], 1);
    expectReview("08", 1, id["02"], 2);
    expectReview("12", 3, id["10"], 1);
    // 25 answers v4 5/8, which is not in the corpus: the review still belongs to v4, patch 5.
    expectReview("25", 4, "20201124061720.86766-6-aik@ozlabs.ru", 5);
  });

  it("every other reply is attached to the revision it answers (04 v1; 06, 07 v2; 11, 13-16 v3; 26 v4)", () => {
    const reviewsOf = (v: number): string[] => (byVersion.get(v)?.reviews ?? []).map((r) => r.msgid).sort();
    expect(reviewsOf(1)).toEqual([id["03"], id["04"], id["08"]].sort());
    expect(reviewsOf(2)).toEqual([id["06"], id["07"]].sort());
    expect(reviewsOf(3)).toEqual([id["11"], id["12"], id["13"], id["14"], id["15"], id["16"]].sort());
    expect(reviewsOf(4)).toEqual([id["25"], id["26"]].sort());
    // 13, 14, 15 reply to replies: they still review v3's patch.
    for (const f of ["13", "14", "15"] as const) expect(byVersion.get(3)?.reviews.find((r) => r.msgid === id[f])?.target).toBe(id["10"]);
  });

  it("v4 is an incomplete series: cover letter only, 1..8 missing", () => {
    const v4 = byVersion.get(4) as Revision;
    expect(v4.cover?.msgid).toBe(id["20"]);
    expect(v4.total).toBe(8);
    expect(v4.patches).toEqual([]);
    expect(v4.missing).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("relevance: 01, 05, 10 by kernel/irq/ paths; 02 because it calls irq_dispose_mapping() from arch/powerpc", () => {
    const patch = (v: number, i: number) => byVersion.get(v)?.patches.find((p) => p.index === i);
    for (const [v, i] of [
      [1, 1],
      [2, 1],
      [3, 1],
    ] as const) {
      const verdict = judgePatchRelevance(patch(v, i)!, rules);
      expect(verdict.relevant).toBe(true);
      expect(verdict.reasons).toContain("touches kernel/irq/irqdomain.c");
    }
    const p02 = judgePatchRelevance(patch(1, 2)!, rules);
    expect(p02.relevant).toBe(true);
    expect(p02.reasons).toContain("adds irq_dispose_mapping() in arch/powerpc/kernel/pci-common.c");
    expect(p02.reasons.some((r) => r.startsWith("touches "))).toBe(false);
    expect(judgeRelevance(byVersion.get(3)!, rules).reasons).toContain("subject prefix genirq/irqdomain");
    for (const r of lineage.revisions) expect(judgeRelevance(r, rules).relevant).toBe(true);
  });

  it("trailers from replies belong to the patch they answer: 08 Reviewed-by -> RFC 2/2, 12 Tested-by -> v3", () => {
    const v1 = byVersion.get(1) as Revision;
    const rb = v1.patches[1]?.trailers.find((t) => t.name === "Reviewed-by");
    expect(rb).toEqual({ name: "Reviewed-by", value: "Cédric Le Goater <clg@kaod.org>", from: "Cédric Le Goater <clg@kaod.org>", msgid: id["08"] });
    expect(v1.patches[0]?.trailers.some((t) => t.name === "Reviewed-by")).toBe(false);
    const v3 = byVersion.get(3) as Revision;
    const tb = v3.patches[0]?.trailers.find((t) => t.name === "Tested-by");
    expect(tb?.value).toBe("Cédric Le Goater <clg@kaod.org>");
    expect(tb?.msgid).toBe(id["12"]);
    // Quoted trailers ("> Signed-off-by:" in 03/08) are not new trailers.
    expect(v1.trailers.filter((t) => t.msgid === id["03"] || t.msgid === id["08"]).map((t) => t.name)).toEqual(["Reviewed-by"]);
    // The patches' own trailers are there too, from the patch mail.
    expect(v1.patches[1]?.trailers.filter((t) => t.name === "Signed-off-by").map((t) => t.value)).toEqual([
      "Oliver O'Halloran <oohall@gmail.com>",
      "Alexey Kardashevskiy <aik@ozlabs.ru>",
    ]);
  });

  it("maps each revision to the run --json contract fields (Message-IDs without brackets)", () => {
    const v1 = byVersion.get(1) as Revision;
    const r = toRevisionResult(v1, judgeRelevance(v1, rules));
    expect(r.version).toBe(1);
    expect(r.rfc).toBe(true);
    expect(r.author).toBe("Alexey Kardashevskiy <aik@ozlabs.ru>");
    expect(r.cover).toBe(id["00"]);
    expect(r.patches).toEqual([
      { msgid: id["01"], index: 1, total: 2, subject: "[RFC PATCH kernel 1/2] irq: Add reference counting to IRQ mappings" },
      { msgid: id["02"], index: 2, total: 2, subject: "[RFC PATCH kernel 2/2] powerpc/pci: Remove LSI mappings on device teardown" },
    ]);
    expect(r.missing).toEqual([]);
    expect(r.reviews).toContain(id["08"]);
    expect(r.relevant).toBe(true);
    const ids = [r.cover ?? "", ...r.patches.map((p) => p.msgid), ...r.reviews, ...r.trailers.map((t) => t.msgid)];
    for (const m of ids) expect(m).not.toMatch(/[<>\s]/);
  });

  it("does not depend on mailbox order (replies before parents)", async () => {
    const msgs = (await loadEmlDir(corpusDir)).reverse();
    const again = buildSeries(msgs);
    const shape = (s: SeriesSet) => s.lineages.map((l) => [l.id, l.revisions.map((r) => [r.key, r.patches.map((p) => p.msgid), r.reviews.map((v) => v.msgid)])]);
    expect(shape(again)).toEqual(shape(set));
  });
});
