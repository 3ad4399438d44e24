import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readMailItems, type RawMailItem } from "../../src/mail/io/read-mail.js";
import { detectFileKind } from "../../src/mail/io/detect-mail-kind.js";
import { scanHeaders } from "../../src/mail/header-scan.js";

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "irqtriage-dirs-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const eml = (id: string): string => `Return-Path: <x@example.org>\nFrom: X <x@example.org>\nSubject: ${id}\nMessage-ID: <${id}@example.org>\n\nbody of ${id}\n`;
const mboxOf = (...ids: string[]): string => ids.map((id) => `From x@example.org Mon Nov  9 20:46:46 2020\n${eml(id)}\n`).join("");

async function items(paths: string[]): Promise<RawMailItem[]> {
  const out: RawMailItem[] = [];
  for await (const i of readMailItems(paths)) out.push(i);
  return out;
}
const ids = (list: RawMailItem[]): (string | null)[] => list.map((i) => ("raw" in i ? scanHeaders(i.raw).msgid : `error:${i.error.message}`));

describe("maildir, folders, single files, mixed paths", () => {
  it("reads a maildir's cur/ then new/, each sorted by name, skipping tmp/ and dot files", async () => {
    const md = path.join(dir, "Maildir");
    for (const sub of ["cur", "new", "tmp"]) await mkdir(path.join(md, sub), { recursive: true });
    await writeFile(path.join(md, "cur", "1606199000.M2.host:2,S"), eml("cur-b"));
    await writeFile(path.join(md, "cur", "1606198000.M1.host:2,S"), eml("cur-a"));
    await writeFile(path.join(md, "new", "1606200000.M3.host"), eml("new-a"));
    await writeFile(path.join(md, "tmp", "1606200001.M4.host"), eml("tmp-partial"));
    await writeFile(path.join(md, "cur", ".hidden"), eml("hidden"));
    const got = await items([md]);
    expect(ids(got)).toEqual(["cur-a@example.org", "cur-b@example.org", "new-a@example.org"]);
    expect("raw" in got[0]! && got[0].source).toBe(path.join(md, "cur", "1606198000.M1.host:2,S"));
  });

  it("reads a folder of .eml files sorted by name; non-mail files with non-mail names are skipped", async () => {
    const f = path.join(dir, "folder");
    await mkdir(f);
    await writeFile(path.join(f, "10-b.eml"), eml("b"));
    await writeFile(path.join(f, "02-a.eml"), eml("a"));
    await writeFile(path.join(f, "README.md"), "# not mail\n");
    await writeFile(path.join(f, "notes.txt"), "just notes\n");
    const got = await items([f]);
    expect(ids(got)).toEqual(["a@example.org", "b@example.org"]);
  });

  it("a file named like mail that is not mail is a recorded error, and reading goes on", async () => {
    const f = path.join(dir, "folder2");
    await mkdir(f);
    await writeFile(path.join(f, "1.eml"), "this is not a mail at all\n");
    await writeFile(path.join(f, "2.eml"), eml("after"));
    const got = await items([f]);
    expect(ids(got)).toEqual(["error:not a mail file (neither an mbox nor a message with headers)", "after@example.org"]);
  });

  it("detects kind by content, not by name: an mbox called .eml, a message without extension", async () => {
    const a = path.join(dir, "actually-an-mbox.eml");
    const b = path.join(dir, "message");
    await writeFile(a, mboxOf("m1", "m2"));
    await writeFile(b, eml("plain"));
    const got = await items([a, b]);
    expect(ids(got)).toEqual(["m1@example.org", "m2@example.org", "plain@example.org"]);
    expect(got.map((i) => ("raw" in i ? i.source : ""))).toEqual([`${a}#1`, `${a}#2`, b]);
    expect(detectFileKind(Buffer.from("\ufeffFrom x Mon Nov  9 20:46:46 2020\n"))).toBe("mbox");
    expect(detectFileKind(Buffer.from("Received: from x\n"))).toBe("eml");
    expect(detectFileKind(Buffer.from("# title\n"))).toBe("unknown");
  });

  it("mixed paths keep their order; a missing path is a recorded error between the others", async () => {
    const mb = path.join(dir, "mixed.mbox");
    const one = path.join(dir, "one.eml");
    await writeFile(mb, mboxOf("x1", "x2"));
    await writeFile(one, eml("one"));
    const got = await items([one, path.join(dir, "missing.mbox"), mb]);
    expect(ids(got)).toEqual(["one@example.org", "error:cannot read: ENOENT", "x1@example.org", "x2@example.org"]);
  });
});
