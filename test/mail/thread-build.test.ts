import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { buildThreads } from "../../src/mail/build-threads.js";
import type { MailMessage } from "../../src/mail/mail-message.js";

function m(msgid: string, opts: { irt?: string; refs?: string[]; text?: string; date?: number; source?: string } = {}): MailMessage {
  return {
    msgid,
    msgidSynthetic: false,
    inReplyTo: opts.irt ?? null,
    references: opts.refs ?? [],
    subject: msgid,
    from: { name: "", address: "a@example.org" },
    to: [],
    cc: [],
    date: new Date(opts.date ?? 0),
    headers: {},
    text: opts.text ?? "body",
    attachments: [],
    source: opts.source ?? msgid,
    raw: null,
  };
}

const shape = (msgs: MailMessage[]) => {
  const t = buildThreads(msgs);
  return [...t.byId.values()].map((n) => [n.msgid, n.parent?.msgid ?? null, !!n.message]).sort();
};

describe("buildThreads", () => {
  it("links by In-Reply-To even when References stops at the root (corpus 03)", () => {
    const t = buildThreads([m("cover"), m("p1", { irt: "cover", refs: ["cover"] }), m("rev", { irt: "p1", refs: ["cover"] })]);
    expect(t.byId.get("rev")?.parent?.msgid).toBe("p1");
    expect(t.roots.map((r) => r.msgid)).toEqual(["cover"]);
  });

  it("keeps missing parents as empty containers, linked by the References chain", () => {
    const t = buildThreads([m("r1", { irt: "gone", refs: ["root", "gone"] })]);
    const gone = t.byId.get("gone");
    expect(gone?.message).toBeNull();
    expect(gone?.parent?.msgid).toBe("root");
    expect(t.roots.map((r) => r.msgid)).toEqual(["root"]);
  });

  it("keeps the first copy of a duplicate Message-ID, whatever a later copy holds (issue 12)", () => {
    const light = m("x", { text: "", source: "list" });
    const full = m("x", { text: "the body", source: "direct" });
    for (const [first, second] of [[light, full], [full, light]] as const) {
      const t = buildThreads([first, second]);
      expect(t.byId.get("x")?.message?.source).toBe(first.source);
      expect(t.duplicates).toEqual([{ msgid: "x", kept: first.source, dropped: second.source }]);
    }
  });

  it("records a later copy from another sender, or with another body, as a conflict", () => {
    const real = { ...m("x", { source: "real" }), from: { name: "Ann", address: "ann@example.org" }, bodyHash: "aaa" };
    const sameButCase = { ...real, source: "list", from: { name: "Ann", address: "Ann@Example.org" } };
    const forged = { ...real, source: "forged", from: { name: "Irq Maintainer", address: "maz@kernel.org" } };
    const edited = { ...real, source: "edited", bodyHash: "bbb" };
    const t = buildThreads([real, sameButCase, forged, edited]);
    expect(t.byId.get("x")?.message?.source).toBe("real");
    expect(t.duplicates).toEqual([
      { msgid: "x", kept: "real", dropped: "list" },
      { msgid: "x", kept: "real", dropped: "forged", conflict: "different sender: maz@kernel.org, the first copy is from ann@example.org" },
      { msgid: "x", kept: "real", dropped: "edited", conflict: "different body" },
    ]);
  });

  it("breaks reference cycles", () => {
    const t = buildThreads([m("a", { irt: "b" }), m("b", { irt: "a" })]);
    expect(t.roots).toHaveLength(1);
    const a = t.byId.get("a");
    const b = t.byId.get("b");
    expect([a?.parent?.msgid, b?.parent?.msgid].filter(Boolean)).toHaveLength(1);
  });

  it("a message cannot be its own parent", () => {
    const t = buildThreads([m("self", { irt: "self", refs: ["self"] })]);
    expect(t.byId.get("self")?.parent).toBeNull();
  });

  it("sorts children by date", () => {
    const t = buildThreads([m("root"), m("late", { irt: "root", date: 20 }), m("early", { irt: "root", date: 10 })]);
    expect(t.byId.get("root")?.children.map((c) => c.msgid)).toEqual(["early", "late"]);
  });

  it("does not depend on the order messages arrive in (replies before parents)", () => {
    const msgs = [
      m("c"),
      m("p1", { irt: "c", refs: ["c"] }),
      m("p2", { irt: "c", refs: ["c"] }),
      m("r1", { irt: "p1", refs: ["c", "p1"] }),
      m("r2", { irt: "r1", refs: ["c"] }),
      m("r3", { irt: "lost", refs: ["c", "lost"] }),
      m("x", { irt: "y" }),
      m("y", { irt: "x" }),
    ];
    const want = shape(msgs);
    fc.assert(
      fc.property(fc.shuffledSubarray(msgs, { minLength: msgs.length, maxLength: msgs.length }), (perm) => {
        expect(shape(perm)).toEqual(want);
      }),
      { numRuns: 200 },
    );
  });
});

describe("buildThreads on hostile headers", () => {
  it("a References header of 100k ids neither hangs nor loses the direct parent", () => {
    const refs = Array.from({ length: 100_000 }, (_, i) => `r${i}@x`);
    const t = buildThreads([m("root"), m("big", { irt: "root", refs }), m("other", { refs: refs.slice(0, 50_000) })]);
    expect(t.byId.get("big")?.parent?.msgid).toBe("root");
    expect(t.byId.get("other")?.parent?.msgid).toBe("r49999@x");
  });
});
