import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { outboxFileName, writeOutbox } from "../../src/pipeline/write-outbox.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function reply(key: string, eml: string) {
  return { key, messageId: "m@x", inReplyTo: "p@x", references: ["p@x"], to: [], cc: [], subject: "Re: x", eml };
}

describe("writeOutbox", () => {
  it("writes a reply once per key and never replaces it", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "irqtriage-outbox-"));
    dirs.push(dir);
    const a = await writeOutbox(dir, reply("lin#v1", "first"));
    const b = await writeOutbox(dir, reply("lin#v1", "second"));
    expect(a.created).toBe(true);
    expect(b.created).toBe(false);
    expect(b.path).toBe(a.path);
    expect(await readFile(a.path, "utf8")).toBe("first");
    expect((await readdir(dir)).filter((f) => f.endsWith(".eml"))).toHaveLength(1);
    expect((await readdir(dir)).some((f) => f.startsWith(".tmp-"))).toBe(false);
  });

  it("concurrent writers of one key produce one file", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "irqtriage-outbox-"));
    dirs.push(dir);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => writeOutbox(dir, reply("k", `v${i}`))));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await readdir(dir)).toHaveLength(1);
  });

  it("keeps hostile keys inside the outbox", () => {
    const name = outboxFileName("../../etc/passwd#v1");
    expect(name).not.toContain("/");
    expect(name.startsWith(".")).toBe(false);
    expect(outboxFileName("a#v1")).not.toBe(outboxFileName("a_v1"));
  });
});
