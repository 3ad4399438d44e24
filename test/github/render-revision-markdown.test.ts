import { describe, expect, it } from "vitest";
import type { RevisionToPublish } from "../../src/github/publisher.js";
import { conclusionOf, renderRevisionMarkdown, summaryLine } from "../../src/github/render-revision-markdown.js";

const rev: RevisionToPublish = {
  lineage: "l@x",
  version: 2,
  title: "<img src=x onerror=alert(1)> [click](https://evil.example) @everyone",
  author: "Eve <eve@example.org>",
  gitDir: "/nonexistent",
  head: "0".repeat(40),
  base: null,
  findings: [
    { id: "info-1", stage: "balance", kind: "new-imbalance", severity: "info", summary: "fyi" },
    { id: "p-1", stage: "balance", kind: "new-imbalance", severity: "problem", summary: "leak | in table" },
  ],
};

describe("renderRevisionMarkdown", () => {
  it("neutralises HTML, links and mentions from mail text; problems first; a hidden marker", () => {
    const md = renderRevisionMarkdown(rev, "irqtriage:l@x#v2");
    expect(md.startsWith("<!-- irqtriage:l@x#v2 -->\n")).toBe(true);
    expect(md).not.toContain("<img");
    expect(md).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(md).toContain("\\[click\\](https://evil.example)");
    expect(md).toContain("@\u200beveryone");
    expect(md).toContain("leak \\| in table");
    expect(md.indexOf("`p-1`")).toBeLessThan(md.indexOf("`info-1`"));
  });

  it("derives the conclusion and a short summary", () => {
    expect(conclusionOf(rev.findings)).toBe("failure");
    expect(conclusionOf([{ id: "n", stage: "balance", kind: "new-imbalance", severity: "notice", summary: "" }])).toBe("neutral");
    expect(conclusionOf([])).toBe("success");
    expect(summaryLine({ ...rev, suppressed: ["x"] })).toBe("irqtriage v2: 1 problem, 0 notices, 1 suppressed");
  });
});
