import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSeries } from "../../src/mail/build-series.js";
import type { Revision, SeriesSet } from "../../src/mail/series-types.js";
import { corpusDir, loadEmlDir, seriesFixtureDir } from "./series-helpers.js";

/**
 * Debian's b4 is the reference for "which patches, in which order, with which trailers" a
 * series yields. For each complete series we run `b4 am -t` (cover-letter trailers applied to
 * every patch, which is what irqtriage does) offline on an mbox made from the same .eml files and
 * compare per patch: Message-ID order and the trailer block.
 */

// mboxrd: "From " separator lines, and ">From " quoting that stays reversible.
function toMbox(dir: string): Buffer {
  const parts: Buffer[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith(".eml")).sort()) {
    const text = readFileSync(path.join(dir, f), "latin1").replace(/\r\n/g, "\n");
    const body = text.replace(/^(>*From )/gm, ">$1");
    parts.push(Buffer.from(`From mboxrd@z Thu Jan  1 00:00:00 1970\n${body}${body.endsWith("\n") ? "" : "\n"}\n`, "latin1"));
  }
  return Buffer.concat(parts);
}

interface B4Patch {
  msgid: string;
  trailers: string[];
}

function trailerBlock(text: string): string[] {
  const msg = text.replace(/\r\n/g, "\n").split(/\n---\n/)[0] ?? "";
  const paras = msg.trimEnd().split(/\n\s*\n/);
  const last = paras[paras.length - 1] ?? "";
  return last.split("\n").filter((l) => /^[A-Za-z][\w-]*: \S/.test(l));
}

let work: string;

async function b4am(mbox: string, msgid: string, version: number): Promise<B4Patch[]> {
  const out = mkdtempSync(path.join(work, "out-"));
  const home = path.join(work, "home");
  const r = spawnSync("b4", ["--offline-mode", "am", "-t", "-C", "-m", mbox, "-o", out, "-n", "series", "-v", String(version), msgid], {
    cwd: work,
    encoding: "utf8",
    env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: home, XDG_CACHE_HOME: path.join(home, ".cache"), XDG_DATA_HOME: path.join(home, ".local"), XDG_CONFIG_HOME: path.join(home, ".config"), GIT_CONFIG_NOSYSTEM: "1", LANG: "C.UTF-8" },
  });
  if (r.status !== 0) throw new Error(`b4 am ${msgid} failed (${r.status}): ${r.stderr}`);
  const file = path.join(out, "series.mbx");
  const raw = readFileSync(file, "utf8");
  const patches: B4Patch[] = [];
  for (const chunk of raw.split(/^From git@z Thu Jan {2}1 00:00:00 1970\n/m).filter((c) => c.trim())) {
    const m = await simpleParser(Buffer.from(chunk, "utf8"));
    patches.push({ msgid: (m.messageId ?? "").replace(/^<|>$/g, ""), trailers: trailerBlock(m.text ?? "") });
  }
  return patches;
}

function ours(rev: Revision): B4Patch[] {
  return rev.patches.map((p) => ({ msgid: p.msgid, trailers: p.trailers.map((t) => `${t.name}: ${t.value}`) }));
}

const sorted = (ps: B4Patch[]): B4Patch[] => ps.map((p) => ({ msgid: p.msgid, trailers: [...p.trailers].sort() }));

const b4Present = spawnSync("b4", ["--version"], { encoding: "utf8" }).status === 0;

describe("b4 am picks the same patches, order and trailers as buildSeries", () => {
  beforeAll(() => {
    work = mkdtempSync(path.join(os.tmpdir(), "irqtriage-b4-"));
    mkdirSync(path.join(work, "home"), { recursive: true });
    writeFileSync(path.join(work, "home", ".gitconfig"), "[user]\n\tname = irqtriage test\n\temail = test@irqtriage.invalid\n");
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("b4 is installed (Debian package b4; .ci/run installs it)", () => {
    expect(b4Present, execFileSync("sh", ["-c", "command -v b4 || echo 'b4 not found on PATH'"], { encoding: "utf8" })).toBe(true);
  });

  const cases: { name: string; dir: () => string; first: string; version: number }[] = [
    { name: "fixtures: v1 of the 3-patch series", dir: () => seriesFixtureDir, first: "a1-0@dev.example.org", version: 1 },
    { name: "fixtures: v2 (threaded under v1, Reviewed-by on 2/3)", dir: () => seriesFixtureDir, first: "a2-0@dev.example.org", version: 2 },
    { name: "fixtures: v3 (cover Acked-by, Tested-by before its parent, duplicate 2/3)", dir: () => seriesFixtureDir, first: "a3-0@dev.example.org", version: 3 },
    { name: "fixtures: [PATCH net-next v2]", dir: () => seriesFixtureDir, first: "b2@dev.example.org", version: 2 },
    { name: "fixtures: single patch", dir: () => seriesFixtureDir, first: "c1@dev.example.org", version: 1 },
    { name: "fixtures: RESEND", dir: () => seriesFixtureDir, first: "c1-resend@dev.example.org", version: 1 },
    { name: "fixtures: text/x-patch attachment", dir: () => seriesFixtureDir, first: "d1@attach.example.org", version: 1 },
    { name: "corpus: RFC v1 0/2 (Reviewed-by on 2/2)", dir: () => corpusDir, first: "20201027090655.14118-1-aik@ozlabs.ru", version: 1 },
    { name: "corpus: v2 single patch", dir: () => corpusDir, first: "20201029110141.94304-1-aik@ozlabs.ru", version: 2 },
    { name: "corpus: v3 single patch (Tested-by in a reply)", dir: () => corpusDir, first: "20201109094646.71565-1-aik@ozlabs.ru", version: 3 },
  ];
  const sets = new Map<string, SeriesSet>();
  const mboxes = new Map<string, string>();

  for (const c of cases) {
    const needsCorpus = c.name.startsWith("corpus");
    it.runIf(!needsCorpus || existsSync(corpusDir))(c.name, async () => {
      const dir = c.dir();
      let set = sets.get(dir);
      if (!set) {
        set = buildSeries(await loadEmlDir(dir));
        sets.set(dir, set);
        const mbox = path.join(work, `${sets.size}.mbox`);
        writeFileSync(mbox, toMbox(dir));
        mboxes.set(dir, mbox);
      }
      const rev = set.lineages.flatMap((l) => l.revisions).find((r) => (r.cover?.msgid ?? r.patches[0]?.msgid) === c.first);
      expect(rev, `revision starting at ${c.first}`).toBeDefined();
      expect(rev?.missing).toEqual([]);
      const theirs = await b4am(mboxes.get(dir) as string, c.first, c.version);
      expect(theirs.length).toBeGreaterThan(0);
      // Patch order is compared as is; trailer order is b4's own choice, so compare as sets.
      expect(ours(rev as Revision).map((p) => p.msgid)).toEqual(theirs.map((p) => p.msgid));
      expect(sorted(ours(rev as Revision))).toEqual(sorted(theirs));
    });
  }

  if (!existsSync(corpusDir)) console.warn(`skipped: ../shared absent (${corpusDir}); the corpus b4 comparisons did not run`);
});
