import { describe, expect, it } from "vitest";
import { parseSubject, titlePrefix } from "../../src/mail/parse-subject.js";

describe("parseSubject", () => {
  const cases: [string, Partial<ReturnType<typeof parseSubject>>][] = [
    ["[PATCH v3 2/7] genirq: fix a leak", { patch: true, version: 3, index: 2, total: 7, title: "genirq: fix a leak", extra: [], rfc: false }],
    ["[RFC PATCH kernel 0/2] irq: Add reference counting to IRQ mappings", { rfc: true, version: 1, index: 0, total: 2, extra: ["kernel"], title: "irq: Add reference counting to IRQ mappings" }],
    ["[PATCH net-next v2] net: foo", { version: 2, extra: ["net-next"], index: null, total: null, title: "net: foo" }],
    ["[PATCH RESEND v2 3/4] x: y", { resend: true, version: 2, index: 3, total: 4 }],
    ["[PATCH v2 RESEND] x: y", { resend: true, version: 2, index: null }],
    ["[PATCH 5.10 12/34] stable backport", { extra: ["5.10"], index: 12, total: 34, version: 1 }],
    ["[RFC][PATCH] mm: thing", { rfc: true, patch: true, title: "mm: thing" }],
    ["[PATCHv2] a: b", { patch: true, version: 2 }],
    ["[PATCH V2] a: b", { version: 2 }],
    ["[PATCH v4 01/13] a: b", { version: 4, index: 1, total: 13 }],
    ["[GIT PULL] irq fixes for 6.1-rc3", { pull: true, patch: false, title: "irq fixes for 6.1-rc3" }],
    ["Re: [PATCH kernel v3] genirq/irqdomain: Add reference counting to", { reply: true, version: 3, extra: ["kernel"], title: "genirq/irqdomain: Add reference counting to" }],
    ["RE: Re: AW: [PATCH 1/2] a: b", { reply: true, index: 1 }],
    ["Fwd: [PATCH] gpio: demo", { forward: true, reply: false, patch: true }],
    ["Re: [Linuxppc-dev] [PATCH 2/2] powerpc/pci: x", { reply: true, listTags: ["Linuxppc-dev"], index: 2, title: "powerpc/pci: x" }],
    ["[Linuxppc-dev] Re: [PATCH v2 1/3] a: b", { reply: true, listTags: ["Linuxppc-dev"], version: 2 }],
    ["Re:[PATCH] tight", { reply: true, title: "tight" }],
    ["[PATCH] [v2] late version group", { version: 2, title: "late version group" }],
    ["Plain discussion: no tags", { patch: false, reply: false, title: "Plain discussion: no tags" }],
    ["Re: Re:  [PATCH\n v2  1/3]   spaced   out", { reply: true, version: 2, index: 1, total: 3, title: "spaced out" }],
  ];
  for (const [subject, want] of cases) {
    it(subject.replace(/\n/g, "\\n"), () => {
      expect(parseSubject(subject)).toMatchObject(want);
    });
  }

  it("keeps the raw subject with whitespace collapsed", () => {
    expect(parseSubject("  [PATCH]\t a:  b ").raw).toBe("[PATCH] a: b");
  });
});

describe("titlePrefix", () => {
  it("finds subsystem prefixes, not prose", () => {
    expect(titlePrefix("genirq/irqdomain: Add reference counting to IRQs")).toBe("genirq/irqdomain");
    expect(titlePrefix("PCI: demo-phb: dispose")).toBe("PCI");
    expect(titlePrefix("Add foo: bar")).toBeNull();
    expect(titlePrefix("no prefix here")).toBeNull();
  });
});

describe("parseSubject on impossible counters", () => {
  it("keeps 3/2 and 1/999999999 as tags instead of believing them", () => {
    expect(parseSubject("[PATCH 3/2] x")).toMatchObject({ index: null, total: null, extra: ["3/2"] });
    expect(parseSubject("[PATCH 1/999999999] x")).toMatchObject({ index: null, total: null, extra: ["1/999999999"] });
    expect(parseSubject("[PATCH 000/9999] x")).toMatchObject({ index: 0, total: 9999 });
  });
});
