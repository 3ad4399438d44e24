import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSeries } from "../../src/mail/build-series.js";
import type { MailMessage } from "../../src/mail/mail-message.js";
import type { Lineage, Revision, SeriesSet } from "../../src/mail/series-types.js";
import { judgeRelevance } from "../../src/patch/judge-relevance.js";
import { loadRelevanceRules } from "../../src/patch/io/load-relevance-rules.js";
import type { RelevanceRules } from "../../src/patch/relevance-rules.js";
import { ensureDemoMirror } from "../../src/pipeline/ensure-demo-mirror.js";
import { loadEmlDir, repoRoot, seriesFixtureDir } from "./series-helpers.js";

describe("fixtures/mail/series: the cases the series builder must handle", () => {
  let msgs: MailMessage[];
  let set: SeriesSet;
  let rules: RelevanceRules;
  const lineageOf = (msgid: string): Lineage => {
    const l = set.lineages.find((x) => x.revisions.some((r) => r.cover?.msgid === msgid || r.patches.some((p) => p.msgid === msgid) || r.pullMessage?.msgid === msgid));
    if (!l) throw new Error(`no lineage holds ${msgid}`);
    return l;
  };
  const rev = (msgid: string): Revision => lineageOf(msgid).revisions.find((r) => r.cover?.msgid === msgid || r.patches.some((p) => p.msgid === msgid) || r.pullMessage?.msgid === msgid) as Revision;

  beforeAll(async () => {
    msgs = await loadEmlDir(seriesFixtureDir);
    set = buildSeries(msgs);
    rules = await loadRelevanceRules(path.join(repoRoot, "rules"));
  });

  it("v1 -> v2 -> v3 of a 3-patch series with cover letters is one lineage across a title change", () => {
    const l = lineageOf("a1-0@dev.example.org");
    expect(l.id).toBe("a1-0@dev.example.org");
    expect(l.revisions.map((r) => [r.version, r.cover?.msgid, r.patches.map((p) => p.index), r.missing])).toEqual([
      [1, "a1-0@dev.example.org", [1, 2, 3], []],
      [2, "a2-0@dev.example.org", [1, 2, 3], []],
      [3, "a3-0@dev.example.org", [1, 2, 3], []],
    ]);
    expect(l.revisions[0]?.title).toBe("demo drivers: dispose IRQ mappings on remove");
    expect(l.revisions[1]?.title).toBe("Balance irq_create_mapping() with disposal in the demo drivers");
    // v2 shares no title with v1 but is threaded under its cover; v3 is not threaded but cites v2.
    expect(l.links.map((x) => x.rule)).toEqual(["in-reply-to", "link"]);
  });

  it("trailers in replies: Reviewed-by on v2 2/3 only; Acked-by on the v3 cover goes to every v3 patch", () => {
    const v2 = rev("a2-0@dev.example.org");
    const rb = (p: number) => v2.patches.find((x) => x.index === p)?.trailers.filter((t) => t.name === "Reviewed-by") ?? [];
    expect(rb(2)).toEqual([{ name: "Reviewed-by", value: "Rex Reviewer <rex@irq.example.org>", from: "Rex Reviewer <rex@irq.example.org>", msgid: "rb2@irq.example.org" }]);
    expect(rb(1)).toEqual([]);
    expect(rb(3)).toEqual([]);
    const v3 = rev("a3-0@dev.example.org");
    for (const p of v3.patches) expect(p.trailers.some((t) => t.name === "Acked-by" && t.msgid === "ack3@irq.example.org")).toBe(true);
    expect(v3.patches.find((p) => p.index === 3)?.trailers.map((t) => t.name)).toEqual(["Signed-off-by", "Tested-by", "Acked-by"]);
    // Each reply trailer appears once in the revision's flat list.
    expect(v3.trailers.filter((t) => t.name === "Acked-by")).toHaveLength(1);
    expect(v3.baseCommit).toMatch(/^[0-9a-f]{40}$/);
    // Rex relaying Tina's Tested-by for 1/3 is recorded on the review but not attached.
    const relay = v3.reviews.find((r) => r.msgid === "relay3@irq.example.org");
    expect(relay?.trailers).toEqual([]);
    expect(relay?.ignoredTrailers.map((t) => t.value)).toEqual(["Tina Tester <tina@test.example.org>"]);
    expect(v3.patches[0]?.trailers.some((t) => t.name === "Tested-by")).toBe(false);
  });

  it("a review quoting the v1 2/3 diff is a review, not a patch", () => {
    const v1 = rev("a1-0@dev.example.org");
    expect(v1.patches.map((p) => p.msgid)).not.toContain("r1@irq.example.org");
    const r = v1.reviews.find((x) => x.msgid === "r1@irq.example.org");
    expect(r?.quotesDiff).toBe(true);
    expect(r?.patchIndex).toBe(2);
  });

  it("a reply that arrives before its parent (mailbox order) still attaches to it", () => {
    const early = msgs.findIndex((m) => m.msgid === "tb3@test.example.org");
    const parent = msgs.findIndex((m) => m.msgid === "a3-3@dev.example.org");
    expect(early).toBeLessThan(parent);
    expect(rev("a3-0@dev.example.org").reviews.find((r) => r.msgid === "tb3@test.example.org")?.target).toBe("a3-3@dev.example.org");
  });

  it("duplicate Message-ID (direct copy + list copy): one kept, the series is not disturbed", () => {
    expect(set.duplicates.map((d) => d.msgid)).toEqual(["a3-2@dev.example.org"]);
    expect(set.duplicates[0]?.kept).toMatch(/listcopy/);
    const v3 = rev("a3-0@dev.example.org");
    expect(v3.patches.filter((p) => p.index === 2)).toHaveLength(1);
    expect(v3.superseded).toEqual([]);
  });

  it("[PATCH net-next v2]: version 2, extra tag net-next, single patch, not IRQ-relevant", () => {
    const b = rev("b2@dev.example.org");
    expect([b.version, b.extra, b.total, b.missing, b.title]).toEqual([2, ["net-next"], 1, [], "kbuild: demo: add a clean target"]);
    expect(judgeRelevance(b, rules)).toEqual({ relevant: false, reasons: [] });
  });

  it("a RESEND joins the lineage of the original as its own revision", () => {
    const l = lineageOf("c1@dev.example.org");
    expect(l.revisions.map((r) => [r.version, r.resend, r.patches[0]?.msgid])).toEqual([
      [1, false, "c1@dev.example.org"],
      [1, true, "c1-resend@dev.example.org"],
    ]);
    expect(new Set(l.revisions.map((r) => r.key)).size).toBe(2);
  });

  it("a patch sent as a text/x-patch attachment is extracted and judged", () => {
    const d = rev("d1@attach.example.org");
    const p = d.patches[0];
    expect(p?.patch?.kind).toBe("attachment");
    expect(p?.patch?.files.map((f) => f.path)).toEqual(["kernel/irq/irqdomain.c"]);
    expect(p?.trailers.map((t) => `${t.name}: ${t.value}`)).toEqual(["Signed-off-by: Sam Attach <sam@attach.example.org>"]);
    expect(judgeRelevance(d, rules).reasons).toEqual(["subject prefix irqdomain", "touches kernel/irq/irqdomain.c"]);
  });

  it("a git request-pull mail is a pull request revision (no patches to am)", () => {
    const e = rev("pull1@irq.example.org");
    expect(e.pull?.url).toBe("https://git.example.org/irq/demo.git");
    expect(e.pull?.ref).toBe("tags/irq-demo-fixes-2024-06-08");
    expect(e.pull?.head).toBe("1".repeat(40));
    expect(e.patches).toEqual([]);
    expect(e.baseCommit).toBe(e.pull?.base);
    expect(e.pullMessage?.patch?.files.map((f) => f.path)).toEqual(["drivers/mfd/demo-mfd.c"]);
  });

  it("Fwd: of a patch and RE: to it are not patches; a reply to a patch that never arrived makes a placeholder", () => {
    expect(set.unclaimed).toEqual(["fwd1-re@irq.example.org", "fwd1@gpio.example.org"]);
    const orphan = set.threads.byId.get("orphan1@irq.example.org");
    expect(orphan?.parent?.msgid).toBe("missing-2@else.example.org");
    expect(orphan?.parent?.message).toBeNull();
    // "Re: [PATCH 1/2] irqchip/demo-intc: add a second register bank", answering a missing mail.
    const ph = set.lineages.flatMap((l) => l.revisions).find((r) => r.placeholder);
    expect(ph).toMatchObject({ placeholder: true, placeholderOf: "missing-0@else.example.org", version: 1, total: 2, missing: [1, 2], patches: [], cover: null });
    expect(ph?.title).toBe("irqchip/demo-intc: add a second register bank");
    expect(ph?.reviews.map((r) => r.msgid)).toEqual(["orphan1@irq.example.org"]);
    expect(ph?.lineage).toBe("missing-0@else.example.org");
  });

  it("an incomplete series reports the missing indexes", () => {
    const k = rev("k-0@dev.example.org");
    expect([k.total, k.patches.map((p) => p.index), k.missing]).toEqual([4, [1, 3], [2, 4]]);
  });

  it("relevance reasons of the 3-patch series name paths and API calls", () => {
    const v1 = judgeRelevance(rev("a1-0@dev.example.org"), rules);
    expect(v1.relevant).toBe(true);
    expect(v1.reasons).toEqual([
      "adds irq_dispose_mapping() in drivers/mfd/demo-mfd.c",
      "adds irq_dispose_mapping() in drivers/pci/controller/pci-demo-phb.c",
      "subject prefix irqchip/demo-intc",
      "touches drivers/irqchip/irq-demo-intc.c",
      "changes calls of irq_dispose_mapping() in drivers/irqchip/irq-demo-intc.c",
      "changes calls of irq_find_mapping() in drivers/irqchip/irq-demo-intc.c",
    ]);
  });

  describe("the v3 series applies to the demo mirror at its base-commit", () => {
    let tmp: string;
    beforeAll(() => {
      tmp = mkdtempSync(path.join(os.tmpdir(), "irqtriage-series-"));
    });
    afterAll(() => rmSync(tmp, { recursive: true, force: true }));

    it("git am of v3 1/3..3/3 succeeds on the commit the cover names", async () => {
      const mirror = await ensureDemoMirror(path.join(repoRoot, "fixtures/kernel-tree"), path.join(tmp, "mirror"));
      const git = (...args: string[]): string =>
        execFileSync("git", ["-c", "core.hooksPath=/dev/null", "-c", "user.name=t", "-c", "user.email=t@example.org", ...args], { cwd: mirror, encoding: "utf8" });
      const v3 = rev("a3-0@dev.example.org");
      expect(git("rev-parse", "HEAD").trim()).toBe(v3.baseCommit);
      git("checkout", "-q", "-b", "try", v3.baseCommit as string);
      for (const p of v3.patches) {
        const f = path.join(tmp, `${p.index}.eml`);
        writeFileSync(f, p.message.raw as Buffer);
        git("am", "-q", f);
      }
      expect(git("log", "--format=%s", `${v3.baseCommit}..HEAD`).trim().split("\n").reverse()).toEqual(v3.patches.map((p) => p.subject.title));
      expect(git("log", "-1", "--format=%an <%ae>").trim()).toBe("Dana Dev <dana@dev.example.org>");
    });
  });
});
