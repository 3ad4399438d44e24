import { describe, expect, it } from "vitest";
import { extractFromText, extractPatch, findDiffEnd, parsePullRequest, quotesDiff } from "../../src/patch/extract-patch.js";
import type { MailMessage } from "../../src/mail/mail-message.js";

const DIFF = [
  "diff --git a/kernel/irq/irqdomain.c b/kernel/irq/irqdomain.c",
  "index 1111111..2222222 100644",
  "--- a/kernel/irq/irqdomain.c",
  "+++ b/kernel/irq/irqdomain.c",
  "@@ -10,4 +10,5 @@ unsigned int irq_create_mapping(struct irq_domain *domain,",
  " \tvirq = irq_find_mapping(domain, hwirq);",
  "-\tif (virq)",
  "-- ",
  "+\tif (virq) {",
  "+\t\tirq_get(virq);",
  "+\t}",
  " \treturn virq;",
].join("\n");

function msg(text: string, attachments: MailMessage["attachments"] = []): MailMessage {
  return {
    msgid: "m@x",
    msgidSynthetic: false,
    inReplyTo: null,
    references: [],
    subject: "[PATCH] x",
    from: null,
    to: [],
    cc: [],
    date: null,
    headers: {},
    text,
    attachments,
    source: "t",
    raw: null,
  };
}

describe("extractPatch", () => {
  it("splits commit message, trailers, diff; a removed line reading '-- ' is not the signature", () => {
    const text = `Make create a get.\n\nSigned-off-by: A <a@example.org>\n---\nv2: notes\n---\n kernel/irq/irqdomain.c | 5 +++--\n\n${DIFF}\n\nbase-commit: ${"f".repeat(40)}\n-- \n2.30.0\n`;
    const p = extractPatch(msg(text));
    expect(p?.kind).toBe("inline");
    expect(p?.commitMessage).toBe("Make create a get.\n\nSigned-off-by: A <a@example.org>");
    expect(p?.trailers).toEqual([{ name: "Signed-off-by", value: "A <a@example.org>" }]);
    expect(p?.diffText).toBe(`${DIFF}\n`);
    expect(p?.baseCommit).toBe("f".repeat(40));
    expect(p?.files).toHaveLength(1);
    expect(p?.files[0]?.path).toBe("kernel/irq/irqdomain.c");
    expect(p?.files[0]?.removed).toEqual(["\tif (virq)", "- "]);
    expect(p?.files[0]?.added).toEqual(["\tif (virq) {", "\t\tirq_get(virq);", "\t}"]);
    expect(p?.files[0]?.hunks[0]).toMatch(/^@@ -10,4 \+10,5 @@/);
  });

  it("never finds a patch in quoted lines", () => {
    const quoted = DIFF.split("\n").map((l) => `> ${l}`).join("\n");
    expect(extractPatch(msg(`On X wrote:\n${quoted}\n\nNo.`))).toBeNull();
    expect(quotesDiff(`On X wrote:\n${quoted}`)).toBe(true);
    expect(quotesDiff("> just prose\n> --- not a diff")).toBe(false);
  });

  it("finds a patch in a text/x-diff attachment, with the mail body as commit message", () => {
    const p = extractPatch(msg("Fix the thing.\n\nSigned-off-by: B <b@example.org>\n", [{ filename: "fix.diff", contentType: "text/x-diff", size: DIFF.length, text: `${DIFF}\n` }]));
    expect(p?.kind).toBe("attachment");
    expect(p?.attachment).toBe("fix.diff");
    expect(p?.trailers).toEqual([{ name: "Signed-off-by", value: "B <b@example.org>" }]);
  });

  it("ignores non-patch attachments", () => {
    expect(extractPatch(msg("see log", [{ filename: "dmesg.txt", contentType: "text/plain", size: 10, text: "plain log" }]))).toBeNull();
  });

  it("recognizes a plain unified diff without 'diff --git'", () => {
    const p = extractFromText("x\n---\n--- a/f.c\n+++ b/f.c\n@@ -1 +1 @@\n-a\n+b\n", "inline", null);
    expect(p?.files.map((f) => [f.path, f.added, f.removed])).toEqual([["f.c", ["b"], ["a"]]]);
  });

  it("stops a diff whose hunk counts lie at the first line that is not diff content", () => {
    const lines = ["diff --git a/f b/f", "--- a/f", "+++ b/f", "@@ -1,5 +1,5 @@", "-a", "+b", "Thanks,", "me"];
    expect(findDiffEnd(lines, 0)).toBe(6);
  });

  it("recognizes a git request-pull", () => {
    const sha = "a".repeat(40);
    const text = `Hi,\n\nThe following changes since commit ${sha}:\n\n  x (2024-01-01)\n\nare available in the Git repository at:\n\n  git://git.example.org/irq.git tags/irq-urgent\n\nfor you to fetch changes up to ${"b".repeat(40)}:\n\n drivers/irqchip/irq-gic.c | 2 +-\n kernel/irq/{old.c => new.c} | 0\n`;
    expect(parsePullRequest(text)).toEqual({ base: sha, head: "b".repeat(40), url: "git://git.example.org/irq.git", ref: "tags/irq-urgent" });
    const p = extractPatch(msg(text));
    expect(p?.kind).toBe("pull");
    expect(p?.files.map((f) => f.path)).toEqual(["drivers/irqchip/irq-gic.c", "kernel/irq/new.c"]);
  });
});
