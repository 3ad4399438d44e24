import { describe, expect, it } from "vitest";
import { buildSeries } from "../../src/mail/build-series.js";
import type { MailMessage } from "../../src/mail/mail-message.js";
import type { Revision } from "../../src/mail/series-types.js";
import { titleSimilarity } from "../../src/mail/title-similarity.js";
import { toRevisionResult } from "../../src/mail/to-revision-result.js";
import { mail } from "./series-helpers.js";

const DANA = "Dana Dev <dana@dev.example.org>";
const OTHER = "Olga Other <olga@other.example.org>";

function diff(file: string, line: string): string {
  return `---\n ${file} | 1 +\n\ndiff --git a/${file} b/${file}\n--- a/${file}\n+++ b/${file}\n@@ -1,1 +1,2 @@\n ctx\n+${line}\n-- \n2.40.0\n`;
}

let clock = Date.parse("2024-03-01T10:00:00Z");
async function post(opts: { id: string; subject: string; from?: string; irt?: string; refs?: string[]; body?: string; at?: number }): Promise<MailMessage> {
  clock += 60_000;
  const h: Record<string, string> = {
    From: opts.from ?? DANA,
    To: "list@example.org",
    Subject: opts.subject,
    Date: new Date(opts.at ?? clock).toUTCString(),
    "Message-ID": `<${opts.id}>`,
  };
  if (opts.irt) h["In-Reply-To"] = `<${opts.irt}>`;
  if (opts.refs?.length) h["References"] = opts.refs.map((r) => `<${r}>`).join(" ");
  return mail(h, opts.body ?? "", opts.id);
}

const patchBody = (msg: string, file = "kernel/irq/irqdomain.c") => `${msg}\n\nSigned-off-by: ${DANA}\n${diff(file, "x();")}`;

async function series(prefix: string, v: string, title: string, n: number, opts: { cover?: boolean; irt?: string; from?: string; threaded?: boolean; coverBody?: string } = {}): Promise<MailMessage[]> {
  const out: MailMessage[] = [];
  const tag = v ? `PATCH ${v}` : "PATCH";
  const coverId = `${prefix}-0@x`;
  if (opts.cover !== false) {
    out.push(await post({ id: coverId, subject: `[${tag} 0/${n}] ${title}`, ...(opts.from ? { from: opts.from } : {}), ...(opts.irt ? { irt: opts.irt, refs: [opts.irt] } : {}), body: opts.coverBody ?? "cover\n" }));
  }
  for (let i = 1; i <= n; i++) {
    const threaded = opts.threaded !== false && opts.cover !== false;
    out.push(
      await post({
        id: `${prefix}-${i}@x`,
        subject: `[${tag} ${i}/${n}] sub: part ${i} of ${title}`,
        ...(opts.from ? { from: opts.from } : {}),
        ...(threaded ? { irt: coverId, refs: [...(opts.irt ? [opts.irt] : []), coverId] } : {}),
        body: patchBody(`part ${i}`),
      }),
    );
  }
  return out;
}

const revs = (msgs: MailMessage[]): Revision[] => buildSeries(msgs).lineages.flatMap((l) => l.revisions);

describe("buildSeries", () => {
  it("a reply to a threaded reroll's cover applies to that revision only, not to the older one", async () => {
    const v1 = await series("s1", "", "genirq: make mapping counted", 2);
    const v2 = await series("s2", "v2", "genirq: make mapping counted", 2, { irt: "s1-0@x" });
    const ack = await post({ id: "ack@x", subject: "Re: [PATCH v2 0/2] genirq: make mapping counted", from: OTHER, irt: "s2-0@x", refs: ["s1-0@x", "s2-0@x"], body: `Acked-by: ${OTHER}\n` });
    const set = buildSeries([...v1, ...v2, ack]);
    expect(set.lineages).toHaveLength(1);
    const [r1, r2] = set.lineages[0]!.revisions;
    expect(r1?.patches.flatMap((p) => p.trailers).some((t) => t.name === "Acked-by")).toBe(false);
    expect(r2?.patches.map((p) => p.trailers.filter((t) => t.name === "Acked-by").length)).toEqual([1, 1]);
    expect(r2?.reviews.map((r) => [r.msgid, r.patchIndex])).toEqual([["ack@x", 0]]);
    expect(set.lineages[0]?.links[0]?.rule).toBe("in-reply-to");
  });

  it("groups an unthreaded series (every patch its own root) and reports the missing one", async () => {
    const msgs = (await series("u", "v3", "irqchip: several fixes", 4, { cover: false })).filter((m) => m.msgid !== "u-3@x");
    const r = revs(msgs);
    expect(r).toHaveLength(1);
    expect(r[0]?.patches.map((p) => p.index)).toEqual([1, 2, 4]);
    expect(r[0]?.missing).toEqual([3]);
    expect(r[0]?.cover).toBeNull();
  });

  it("does not merge two postings of the same shape far apart in time", async () => {
    const a = await post({ id: "t1@x", subject: "[PATCH 1/2] a: one", body: patchBody("one"), at: Date.parse("2024-01-01T00:00:00Z") });
    const b = await post({ id: "t2@x", subject: "[PATCH 2/2] b: two", body: patchBody("two"), at: Date.parse("2024-02-01T00:00:00Z") });
    expect(revs([a, b]).map((r) => r.patches.map((p) => p.index))).toEqual([[1], [2]]);
  });

  it("a reply with an unquoted suggested diff is a review, never a patch; [PATCH] without a diff is not a patch", async () => {
    const p = await post({ id: "p@x", subject: "[PATCH] genirq: thing", body: patchBody("thing") });
    const r = await post({ id: "r@x", subject: "Re: [PATCH] genirq: thing", from: OTHER, irt: "p@x", refs: ["p@x"], body: `Try this instead:\n\n${diff("kernel/irq/irqdesc.c", "y();")}` });
    const talk = await post({ id: "talk@x", subject: "[PATCH] genirq: a question about the thing", body: "no diff here\n" });
    const set = buildSeries([p, r, talk]);
    const all = set.lineages.flatMap((l) => l.revisions);
    expect(all.flatMap((x) => x.patches.map((q) => q.msgid))).toEqual(["p@x"]);
    expect(all[0]?.reviews.map((x) => [x.msgid, x.quotesDiff])).toEqual([["r@x", false]]);
    expect(set.unclaimed).toEqual(["talk@x"]);
  });

  it("links RFC -> PATCH when numbering restarts, and never links different authors", async () => {
    const rfc = await post({ id: "rfc@x", subject: "[RFC PATCH v2] irqdomain: count mapping users per domain", body: patchBody("rfc") });
    const real = await post({ id: "real@x", subject: "[PATCH] irqdomain: count mapping users per domain", body: patchBody("real") });
    const other = await post({ id: "oth@x", subject: "[PATCH v3] irqdomain: count mapping users per domain", from: OTHER, body: patchBody("other") });
    const set = buildSeries([rfc, real, other]);
    const byId = (id: string) => set.lineages.find((l) => l.revisions.some((r) => r.patches[0]?.msgid === id));
    expect(byId("rfc@x")).toBe(byId("real@x"));
    expect(byId("oth@x")).not.toBe(byId("rfc@x"));
    expect(byId("rfc@x")?.revisions.map((r) => r.key)).toEqual(["rfc@x#v2-rfc", "rfc@x#v1"]);
  });

  it("does not put two revisions of one version in one lineage", async () => {
    const a = await post({ id: "a@x", subject: "[PATCH v2] gpio: demo: fix the irq mapping leak on remove", body: patchBody("a") });
    const b = await post({ id: "b@x", subject: "[PATCH v3] gpio: demo: fix the irq mapping leak on remove", body: patchBody("b") });
    const c = await post({ id: "c@x", subject: "[PATCH v3] gpio: demo: fix irq mapping leak on remove", body: patchBody("c") });
    const set = buildSeries([a, b, c]);
    for (const l of set.lineages) {
      const versions = l.revisions.map((r) => r.version);
      expect(new Set(versions).size).toBe(versions.length);
    }
    expect(set.lineages.find((l) => l.id === "a@x")?.revisions.map((r) => r.patches[0]?.msgid)).toEqual(["a@x", "b@x"]);
  });

  it("a partial reroll ([PATCH v2 2/3] in reply to v1 2/3) is its own revision linked to v1", async () => {
    const v1 = await series("pr", "", "genirq: three steps", 3);
    const re = await post({ id: "pr2-2@x", subject: "[PATCH v2 2/3] sub: part 2 of genirq: three steps", irt: "pr-2@x", refs: ["pr-0@x", "pr-2@x"], body: patchBody("again") });
    const set = buildSeries([...v1, re]);
    expect(set.lineages).toHaveLength(1);
    const v2 = set.lineages[0]?.revisions[1];
    expect([v2?.version, v2?.patches.map((p) => p.index), v2?.missing]).toEqual([2, [2], [1, 3]]);
    expect(set.lineages[0]?.links[0]?.rule).toBe("in-reply-to");
  });

  it("a patch sent twice under different Message-IDs keeps the first and records the other", async () => {
    const msgs = await series("tw", "", "irq: twice", 1);
    const again = await post({ id: "tw-1b@x", subject: "[PATCH 1/1] sub: part 1 of irq: twice", irt: "tw-0@x", refs: ["tw-0@x"], body: patchBody("part 1") });
    const r = revs([...msgs, again]);
    expect(r[0]?.patches.map((p) => p.msgid)).toEqual(["tw-1@x"]);
    expect(r[0]?.superseded).toEqual(["tw-1b@x"]);
  });

  it("a reply without In-Reply-To/References is matched by its exact subject to the latest earlier posting", async () => {
    const v2 = await series("sm", "v2", "irqdomain: subject match", 3);
    const r = await post({ id: "nohdr@x", subject: "Re: [PATCH v2 2/3] sub: part 2 of irqdomain: subject match", from: OTHER, body: `Reviewed-by: ${OTHER}\n` });
    const stray = await post({ id: "stray@x", subject: "Re: [PATCH v2 2/3] something else entirely", from: OTHER, body: "hm\n" });
    const set = buildSeries([...v2, r, stray]);
    const rev = set.lineages[0]?.revisions[0];
    const review = rev?.reviews.find((x) => x.msgid === "nohdr@x");
    expect([review?.matchedBy, review?.target, review?.patchIndex]).toEqual(["subject", "sm-2@x", 2]);
    expect(rev?.patches[1]?.trailers.map((t) => t.name)).toEqual(["Signed-off-by", "Reviewed-by"]);
    expect(set.unclaimed).toEqual(["stray@x"]);
  });

  it("toRevisionResult gives the contract fields", async () => {
    const r = revs(await series("cr", "v2", "genirq: contract", 2))[0] as Revision;
    const out = toRevisionResult(r, { relevant: true, reasons: ["touches kernel/irq/irqdomain.c"] });
    expect(Object.keys(out).sort()).toEqual(["author", "cover", "missing", "patches", "reasons", "relevant", "reviews", "rfc", "title", "trailers", "version"]);
    expect(out.patches[1]).toEqual({ msgid: "cr-2@x", index: 2, total: 2, subject: "[PATCH v2 2/2] sub: part 2 of genirq: contract" });
    expect(out.trailers.map((t) => t.name)).toEqual(["Signed-off-by", "Signed-off-by"]);
  });
});

describe("titleSimilarity", () => {
  it("ignores the subsystem prefix and plurals, needs real overlap", () => {
    expect(titleSimilarity("irq: Add reference counting to IRQ mappings", "genirq/irqdomain: Add reference counting to IRQs")).toBeCloseTo(0.8);
    expect(titleSimilarity("gpio: Add support for X", "gpio: Add support for Y")).toBeLessThan(0.7);
    expect(titleSimilarity("gpio: fix leak", "mfd: fix leak")).toBe(1);
    expect(titleSimilarity("gpio: fix leak", "gpio: fix leaks now")).toBe(0);
  });
});

describe("buildSeries on hostile input", () => {
  it("never throws, and accounts for every message exactly once (patch, cover, review, or unclaimed)", async () => {
    const { default: fc } = await import("fast-check");
    const ids = ["a@x", "b@x", "c@x", "d@x", "e@x", "f@x"];
    const subjects = ["[PATCH 0/2] x: y", "[PATCH 1/2] x: y", "[PATCH 2/2] x: z", "Re: [PATCH 1/2] x: y", "[PATCH v2] x: y", "[GIT PULL] x", "Fwd: [PATCH] q", "[", "[]]", "Re:", "[PATCH 3/2] odd", "[PATCH 0/0] zero"];
    const arb = fc.array(
      fc.record({
        id: fc.constantFrom(...ids),
        irt: fc.option(fc.constantFrom(...ids, "gone@x"), { nil: undefined }),
        refs: fc.array(fc.constantFrom(...ids, "gone@x"), { maxLength: 3 }),
        subject: fc.constantFrom(...subjects),
        body: fc.constantFrom("", "prose\n", `x\n\nSigned-off-by: ${DANA}\n---\ndiff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n`, "> diff --git a/f b/f\nReviewed-by: Dana Dev <dana@dev.example.org>\n"),
        from: fc.constantFrom(DANA, OTHER),
      }),
      { maxLength: 8 },
    );
    const samples = fc.sample(arb, { numRuns: 60, seed: 7 });
    for (const sample of samples) {
      const msgs: MailMessage[] = [];
      for (const m of sample) msgs.push(await post({ id: m.id, subject: m.subject, from: m.from, ...(m.irt ? { irt: m.irt } : {}), refs: m.refs, body: m.body }));
      const set = buildSeries(msgs);
      const seen: string[] = [...set.unclaimed];
      for (const l of set.lineages)
        for (const r of l.revisions) {
          if (r.cover) seen.push(r.cover.msgid);
          if (r.pullMessage) seen.push(r.pullMessage.msgid);
          seen.push(...r.patches.map((p) => p.msgid), ...r.superseded, ...r.reviews.map((v) => v.msgid));
        }
      const distinct = new Set(msgs.map((m) => m.msgid));
      expect(seen.sort()).toEqual([...distinct].sort());
    }
  });

  it("parseSubject-driven grouping survives any subject string", async () => {
    const { default: fc } = await import("fast-check");
    const { parseSubject } = await import("../../src/mail/parse-subject.js");
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        const p = parseSubject(s);
        expect(p.version).toBeGreaterThanOrEqual(0);
        expect(typeof p.title).toBe("string");
      }),
      { numRuns: 500 },
    );
  });
});

describe("lineage linking at scale", () => {
  it("thousands of postings from one author link in order without comparing every pair", async () => {
    const { linkLineage } = await import("../../src/mail/link-lineage.js");
    const base = revs([await post({ id: "base@x", subject: "[PATCH] genirq: one long running piece of work", body: patchBody("x") })])[0] as Revision;
    const many: Revision[] = [];
    for (let i = 0; i < 3000; i++) {
      many.push({ ...base, key: "", lineage: "", version: i + 1, date: new Date(Date.UTC(2024, 0, 1, 0, i)), patches: [{ ...base.patches[0]!, msgid: `v${i}@x` }] });
    }
    const lineages = linkLineage(many);
    expect(lineages).toHaveLength(1);
    expect(lineages[0]?.revisions.map((r) => r.version)).toEqual(many.map((r) => r.version));
  });
});
