import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildSeries } from "../../src/mail/build-series.js";
import { parseSubject } from "../../src/mail/parse-subject.js";
import { diffFiles, diffstatFiles, extractPatch, parsePullRequest, quotesDiff } from "../../src/patch/extract-patch.js";
import { judgeFiles } from "../../src/patch/judge-relevance.js";
import { loadRelevanceRules } from "../../src/patch/io/load-relevance-rules.js";
import { parseCommitTrailers, parseReplyTrailers } from "../../src/patch/parse-trailers.js";
import type { MailMessage } from "../../src/mail/mail-message.js";
import { repoRoot } from "../mail/series-helpers.js";

// Inputs shaped to make backtracking regexes go quadratic (or worse). Each would take minutes
// with the naive patterns; with linear ones the whole file runs in well under a second, so a
// regression shows up as this test timing out.
const N = 200_000;
const spaces = " ".repeat(N);

function msg(text: string, subject = "[PATCH] x: y"): MailMessage {
  return { msgid: "h@x", msgidSynthetic: false, inReplyTo: null, references: [], subject, from: { name: "a", address: "a@x" }, to: [], cc: [], date: new Date(0), headers: {}, text, attachments: [], source: "t", raw: null };
}

describe("pathological input stays linear", () => {
  it("trailer lines with long whitespace runs", () => {
    expect(parseCommitTrailers(`x\n\nReviewed-by: a${spaces}b${spaces}`)).toEqual([{ name: "Reviewed-by", value: `a${spaces}b` }]);
    expect(parseReplyTrailers(`Reviewed-by: a <a@x.org>${spaces}x`)).toHaveLength(1);
  });

  it("request-pull text followed by a huge whitespace run", () => {
    const t = `The following changes since commit ${"a".repeat(40)}:\n\nare available in the Git repository at:${"\n ".repeat(N)}`;
    expect(parsePullRequest(t)).toBeNull();
  });

  it("diffstat-looking lines without a bar, and with many bars", () => {
    expect(diffstatFiles(` a${spaces}x\n`)).toEqual([]);
    expect(diffstatFiles(` f.c${spaces}| 3 +++\n`).map((f) => f.path)).toEqual(["f.c"]);
  });

  it("message-id citations made of many @", async () => {
    const set = buildSeries([msg(`x\n---\ndiff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n\n/${"a@".repeat(N)}`)]);
    expect(set.lineages).toHaveLength(1);
  });

  it("code lines full of comment openers", async () => {
    const rules = await loadRelevanceRules(path.join(repoRoot, "rules"));
    const line = "/*".repeat(N / 2) + " irq_dispose_mapping(x);";
    const files = diffFiles(`diff --git a/a.c b/a.c\n--- a/a.c\n+++ b/a.c\n@@ -1 +1,3 @@\n ctx\n+${line}\n+x = 1; /* c */ irq_create_mapping(d, 1); // irq_find_mapping(d, 1)\n`);
    const reasons = judgeFiles(files, rules);
    expect(reasons).toContain("adds irq_create_mapping() in a.c");
    expect(reasons.join("\n")).not.toMatch(/irq_find_mapping/);
  });

  it("quoted-diff detection and subjects on long inputs", () => {
    expect(quotesDiff(">".repeat(N) + " diff --git a/x b/x")).toBe(true);
    expect(quotesDiff("> ---" + spaces + "\n> ++")).toBe(false);
    expect(parseSubject("Re: ".repeat(N / 10) + "[PATCH v2 1/2] t").index).toBe(1);
    expect(extractPatch(msg(`${"-".repeat(N)}\n${spaces}`))).toBeNull();
  });
});
