import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { simpleParser } from "mailparser";
import { describe, expect, it } from "vitest";
import { scanHeaders } from "../../src/mail/header-scan.js";
import { parseMessage } from "../../src/mail/parse-message.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const corpus = path.resolve(root, "../shared/corpus/genirq-refcount-2020");
const present = existsSync(corpus);
const files = present ? readdirSync(corpus).filter((f) => f.endsWith(".eml")).sort() : [];

const strip = (v: string | undefined): string | null => (v === undefined ? null : v.replace(/^\s*<|>\s*$/g, "").trim());

describe.runIf(present)("header scan and parse agree with mailparser on the genirq corpus", () => {
  it("finds the corpus mails", () => {
    expect(files.length).toBeGreaterThanOrEqual(19);
  });

  for (const f of files) {
    it(`${f}: msgid, inReplyTo, references, subject`, async () => {
      const raw = readFileSync(path.join(corpus, f));
      const mp = await simpleParser(raw);
      const scan = scanHeaders(raw);
      expect(scan.msgid).toBe(strip(mp.messageId));
      expect(scan.inReplyTo).toBe(strip(mp.inReplyTo));
      const refs = mp.references === undefined ? [] : Array.isArray(mp.references) ? mp.references : [mp.references];
      expect(scan.references).toEqual(refs.flatMap((r) => r.split(/\s+/)).map((r) => strip(r)).filter((r) => r));
      expect(scan.subject).toBe(mp.subject ?? "");
      expect(scan.from?.address).toBe(mp.from?.value[0]?.address);
      expect(scan.date?.getTime()).toBe(mp.date?.getTime());
      // every corpus mail is a patch, a review or a reply in a patch thread
      expect(scan.needsFullParse).toBe(true);
    });

    it(`${f}: both parse engines give the same message; text matches mailparser's outside flowed parts`, async () => {
      const raw = readFileSync(path.join(corpus, f));
      const a = await parseMessage(raw, f, { keepRaw: true });
      const b = await parseMessage(raw, f, { keepRaw: true, engine: "auto" });
      expect({ ...b }).toEqual({ ...a });
      const mp = await simpleParser(raw);
      if (!/format=flowed/i.test(raw.toString("latin1"))) expect(a.text).toBe(mp.text ?? "");
      expect(a.msgidSynthetic).toBe(false);
    });
  }
});

// Absent data is reported, not counted as a skipped test: the tests below need it.
if (!present) console.warn("skipped: ../shared absent (corpus checks not run)");
