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
