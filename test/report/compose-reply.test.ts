import { describe, expect, it } from "vitest";
import { composeReply, replyMessageId } from "../../src/report/io/compose-reply.js";

const target = {
  msgid: "20201109094646.71565-1-aik@ozlabs.ru",
  subject: "[PATCH kernel v3] genirq/irqdomain: Add reference counting to IRQs",
  from: { name: "Alexey Kardashevskiy", address: "aik@ozlabs.ru" },
  to: [{ name: "", address: "linux-kernel@vger.kernel.org" }],
  cc: [
    { name: "Marc Zyngier", address: "maz@kernel.org" },
    { name: "Alexey Kardashevskiy", address: "AIK@ozlabs.ru" },
    { name: "irqtriage", address: "bot@example.org" },
  ],
  references: ["20201027090655.14118-1-aik@ozlabs.ru"],
  date: new Date("2020-11-09T09:46:46Z"),
  text: "PCI devices share 4 legacy INTx interrupts from the same PCI host bridge.\nDevice drivers map/unmap hardware interrupts via irq_create_mapping()/\n\nmore",
};

function compose() {
  const out = composeReply({
    key: "lineage-x#v3",
    target,
    intro: "irqtriage looked at v3 of this series (1 patch). " + "It is long enough to wrap. ".repeat(5),
    sections: [
      { stage: "apply", title: "Apply", body: "Applied cleanly.", severity: "info" },
      { stage: "balance", title: "Mapping balance", body: "- drivers/x.c never disposes", severity: "problem" },
    ],
    from: "irqtriage <bot@example.org>",
    now: new Date("2020-11-10T00:00:00Z"),
  });
  if (!out.reply) throw new Error(out.problems.join("; "));
  return out.reply;
}

describe("composeReply", () => {
  it("threads the reply under the target", () => {
    const r = compose();
    expect(r.subject).toBe("Re: [PATCH kernel v3] genirq/irqdomain: Add reference counting to IRQs");
    expect(r.inReplyTo).toBe(target.msgid);
    expect(r.references).toEqual(["20201027090655.14118-1-aik@ozlabs.ru", target.msgid]);
    expect(r.eml).toMatch(/\r\nIn-Reply-To: <20201109094646\.71565-1-aik@ozlabs\.ru>\r\n/);
    expect(r.eml).toContain("References: <20201027090655.14118-1-aik@ozlabs.ru>");
  });

  it("addresses the author, Cc's the list and the original Cc, never itself or the author twice", () => {
    const r = compose();
    expect(r.to).toEqual(["aik@ozlabs.ru"]);
    expect(r.cc).toEqual(["linux-kernel@vger.kernel.org", "maz@kernel.org"]);
  });

  it("has a deterministic Message-ID per key", () => {
    const a = compose();
    const b = compose();
    expect(a.messageId).toBe(b.messageId);
    expect(a.messageId).toBe(replyMessageId("lineage-x#v3", "irqtriage <bot@example.org>"));
    expect(replyMessageId("lineage-x#v4", "irqtriage <bot@example.org>")).not.toBe(a.messageId);
    expect(a.messageId.endsWith("@example.org")).toBe(true);
  });

  it("is plain text, bottom-posted, 72 columns, problems first", () => {
    const r = compose();
    const split = r.eml.indexOf("\r\n\r\n");
    const head = r.eml.slice(0, split);
    const body = r.eml.slice(split + 4);
    expect(head).toContain("Content-Type: text/plain; charset=utf-8");
    expect(head).toContain("Auto-Submitted: auto-generated");
    const lines = body.split("\r\n");
    expect(lines[0]).toBe("On Mon, 09 Nov 2020 09:46:46 +0000, Alexey Kardashevskiy wrote:");
    // The quoted paragraph is re-wrapped to fit, not cut: every word of it is still there.
    const quote = lines.filter((l) => l.startsWith("> ") && l !== "> [...]").map((l) => l.slice(2)).join(" ");
    expect(quote).toBe("PCI devices share 4 legacy INTx interrupts from the same PCI host bridge. Device drivers map/unmap hardware interrupts via irq_create_mapping()/");
    expect(lines).toContain("> [...]");
    expect(lines.findIndex((l) => l.startsWith(">"))).toBeLessThan(lines.findIndex((l) => l.startsWith("irqtriage looked")));
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(72);
    expect(body.indexOf("Mapping balance")).toBeLessThan(body.indexOf("Apply"));
    expect(lines).toContain("-- ");
    expect(lines.filter((l) => /[ \t]$/.test(l))).toEqual(["-- "]);
  });
});

describe("composeReply with hostile values (issue 12)", () => {
  const base = {
    key: "k#v1",
    intro: "Hi.",
    sections: [],
    from: "irqtriage <Bot@Example.org>",
    now: new Date("2026-12-08T00:00:00Z"),
  };
  const t = (over: Partial<typeof target> & { msgidSynthetic?: boolean }) => ({ ...target, ...over });
  const head = (eml: string) => eml.slice(0, eml.indexOf("\r\n\r\n")).replace(/\r\n[ \t]+/g, " ");

  it("gives no reply without a valid Message-ID: missing, made up, not a msg-id, or over 250 characters", () => {
    for (const over of [{ msgidSynthetic: true }, { msgid: "a b@c" }, { msgid: "x\r\nBcc: y@z" }, { msgid: `${"a".repeat(251)}@x` }, { msgid: "no-at-sign" }]) {
      const out = composeReply({ ...base, target: t(over) });
      expect(out.reply, JSON.stringify(over)).toBeNull();
      expect(out.problems.at(-1)).toMatch(/^no reply: /);
    }
    expect(composeReply({ ...base, target: t({ msgid: `${"a".repeat(200)}@x.org` }) }).reply).not.toBeNull();
  });

  it("replaces CR, LF and NUL in the subject and names, and writes them only as encoded words", () => {
    const out = composeReply({ ...base, target: t({ subject: "[PATCH] x\r\nBcc: evil@x.org\r\n\r\nReviewed-by: M <m@k.org>", from: { name: "Eve\r\nBcc: a@b.org\u0000", address: "eve@example.org" } }) });
    const eml = out.reply!.eml;
    expect(head(eml)).not.toMatch(/^Bcc:/im);
    expect(eml.split("\r\n\r\n")[1]!.split("\r\n")[0]).toBe("On Mon, 09 Nov 2020 09:46:46 +0000, Eve\ufffd\ufffdBcc: a@b.org\ufffd wrote:");
    expect(out.reply!.subject).toBe("Re: [PATCH] x\ufffd\ufffdBcc: evil@x.org\ufffd\ufffd\ufffd\ufffdReviewed-by: M <m@k.org>");
    expect(out.problems).toEqual(expect.arrayContaining([expect.stringMatching(/^display name of eve@example\.org holds CR, LF, NUL: replaced$/), expect.stringMatching(/^Subject holds CR, LF: replaced$/)]));
    for (const w of head(eml).match(/=\?[^?]+\?[BQ]\?[^?]*\?=/gi) ?? []) expect(w.length).toBeLessThanOrEqual(75);
  });

  it("keeps the first and the last 20 References, valid ids only", () => {
    const refs = ["bad id@x", ...Array.from({ length: 30 }, (_, i) => `r${i}@x.org`)];
    const out = composeReply({ ...base, target: t({ references: refs }) });
    expect(out.reply!.references).toEqual(["r0@x.org", ...Array.from({ length: 19 }, (_, i) => `r${i + 11}@x.org`), target.msgid]);
    expect(out.problems).toEqual(["References: 1 invalid id dropped", "References: 31 ids cut to the first and the last 20"]);
  });

  it("caps recipients: past reply.maxRecipients the author and the lists only (vger, lists.*, reply.lists)", () => {
    const cc = [
      ...Array.from({ length: 30 }, (_, i) => ({ name: `P${i}`, address: `p${i}@example.org` })),
      { name: "", address: "linux-arm-kernel@lists.infradead.org" },
      { name: "", address: "irq@corp.example" },
    ];
    const out = composeReply({ ...base, target: t({ cc }), recipients: { maxRecipients: 5, lists: ["@corp.example"] } });
    expect(out.reply!.to).toEqual(["aik@ozlabs.ru"]);
    expect(out.reply!.cc).toEqual(["linux-kernel@vger.kernel.org", "linux-arm-kernel@lists.infradead.org", "irq@corp.example"]);
    expect(out.capped).toEqual({ wanted: 34, kept: 4 });
    // the bot itself (any letter case) is never a recipient, and under the cap everyone is
    const small = composeReply({ ...base, target: t({ cc: [{ name: "", address: "BOT@example.ORG" }, { name: "", address: "a@b.org" }] }) });
    expect(small.reply!.cc).toEqual(["linux-kernel@vger.kernel.org", "a@b.org"]);
    expect(small.capped).toBeNull();
  });

  it("leaves out invalid addresses and gives no reply when the author's is invalid", () => {
    const out = composeReply({ ...base, target: t({ cc: [{ name: "", address: `${"l".repeat(65)}@x.org` }, { name: "", address: "a b@x.org" }, { name: "", address: "ok@x.org" }] }) });
    expect(out.reply!.cc).toEqual(["linux-kernel@vger.kernel.org", "ok@x.org"]);
    expect(composeReply({ ...base, target: t({ from: { name: "E", address: "e\r\n@x.org" } }) }).reply).toBeNull();
  });

  it("keeps every body line under 998 octets and moves a line that would read as a trailer", () => {
    const out = composeReply({ ...base, target: t({ text: "x".repeat(5000) }), intro: `Hi.\n\nReviewed-by: Irq Maintainer <maz@kernel.org>\n${"y".repeat(3000)}` });
    const lines = out.reply!.eml.split("\r\n");
    for (const l of lines) expect(Buffer.byteLength(l)).toBeLessThanOrEqual(998);
    expect(lines).toContain("  Reviewed-by: Irq Maintainer <maz@kernel.org>");
    expect(lines.some((l) => /^Reviewed-by:/.test(l))).toBe(false);
  });
});
