import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ingestOne } from "../../src/mail/io/ingest.js";
import { MboxSplitter } from "../../src/mail/io/split-mbox.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const badDir = path.join(root, "fixtures/mail/bad");
const seeds = readdirSync(badDir)
  .filter((f) => f.endsWith(".eml"))
  .sort()
  .map((f) => readFileSync(path.join(badDir, f)));

// Mutations that break mail the way transport and hostile senders do: cut it short, flip bytes,
// duplicate or delete a slice (boundaries, headers), inject CR/LF/NUL/8-bit bytes.
const mutated = fc
  .tuple(
    fc.constantFrom(...seeds),
    fc.array(
      fc.record({ kind: fc.constantFrom("cut", "flip", "dup", "del", "inject"), at: fc.nat(), len: fc.nat({ max: 64 }), byte: fc.constantFrom(0x00, 0x0a, 0x0d, 0x2d, 0x3d, 0x3a, 0xff, 0xc3) }),
      { maxLength: 6 },
    ),
  )
  .map(([seed, ops]) => {
    let b = Buffer.from(seed);
    for (const op of ops) {
      const at = b.length ? op.at % b.length : 0;
      if (op.kind === "cut") b = b.subarray(0, at);
      else if (op.kind === "flip" && b.length) b[at] = op.byte;
      else if (op.kind === "dup") b = Buffer.concat([b.subarray(0, at + op.len), b.subarray(at)]);
      else if (op.kind === "del") b = Buffer.concat([b.subarray(0, at), b.subarray(at + op.len)]);
      else b = Buffer.concat([b.subarray(0, at), Buffer.alloc(op.len % 8 + 1, op.byte), b.subarray(at)]);
    }
    return b;
  });

describe("hostile bytes never stop ingest", () => {
  it("ingestOne on mutated broken mails always resolves: a message with an id, or a readable error", async () => {
    await fc.assert(
      fc.asyncProperty(mutated, fc.constantFrom<"auto" | "mailparser">("auto", "mailparser"), async (raw, engine) => {
        const items = await ingestOne(raw, "fuzz", { engine, parseAll: true });
        expect(items.length).toBeGreaterThan(0);
        for (const item of items) {
          if ("error" in item) {
            expect(item.error.source).toBe("fuzz");
            expect(item.error.message).not.toMatch(/^internal error/);
          } else expect(item.msgid.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300, seed: 42 },
    );
  });

  it("the mbox splitter never loses or invents bytes outside separators and quoting", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...seeds), { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 4096 }), (mails, chunk) => {
        // an mbox message always ends with a line end (writers add one), then the empty line
        const whole = mails.map((m) => (m[m.length - 1] === 0x0a ? m : Buffer.concat([m, Buffer.from("\n")])));
        const text = Buffer.concat(whole.flatMap((m) => [Buffer.from("From x@example.org Mon Nov  9 20:46:46 2020\n"), m, Buffer.from("\n")]));
        const s = new MboxSplitter();
        const got: Buffer[] = [];
        for (let i = 0; i < text.length; i += chunk) for (const p of s.push(text.subarray(i, i + chunk))) if ("raw" in p) got.push(p.raw);
        for (const p of s.end()) if ("raw" in p) got.push(p.raw);
        expect(got.map((g) => g.toString("latin1"))).toEqual(whole.map((m) => m.toString("latin1")));
      }),
      { numRuns: 200, seed: 7 },
    );
  });
});
