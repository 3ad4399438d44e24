import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateConfig } from "../../src/config/validate-config.js";
import type { Config } from "../../src/config/config.js";
import { silentLogger } from "../../src/log/logger.js";
import { fixturesDir } from "../../src/package-root.js";
import { ensureDemoMirror } from "../../src/pipeline/ensure-demo-mirror.js";
import { runTriage, type RunTriageOutcome } from "../../src/pipeline/run-triage.js";
import type { RevisionResult } from "../../src/types/triage-result.js";

// The whole spine on the shipped fixtures: a real git mirror made from fixtures/kernel-tree,
// real git am in worktrees, replies written to a temp outbox.
let state: string;
let config: Config;
let first: RunTriageOutcome;

function freshConfig(stateDir: string, mirror: string): Config {
  const v = validateConfig({ stateDir, mirror: { path: mirror } });
  if (!v.ok) throw new Error(v.problems.join("; "));
  return v.config;
}

function revision(o: RunTriageOutcome, title: RegExp, version: number): RevisionResult {
  for (const s of o.result.series) {
    for (const r of s.revisions) if (title.test(r.title) && r.version === version) return r;
  }
  throw new Error(`no revision v${version} matching ${title}`);
}

beforeAll(async () => {
  state = await mkdtemp(path.join(os.tmpdir(), "irqtriage-run-"));
  const mirror = await ensureDemoMirror(path.join(fixturesDir, "kernel-tree"), path.join(state, "mirror"));
  config = freshConfig(state, mirror);
  first = await runTriage({
    paths: [path.join(fixturesDir, "mail", "series"), path.join(fixturesDir, "mail", "bad")],
    config,
    log: silentLogger(),
    now: () => new Date("2024-07-01T00:00:00Z"),
  });
}, 120_000);

afterAll(async () => {
  await rm(state, { recursive: true, force: true });
});

describe("runTriage on the fixture mailbox", () => {
  it("follows the demo series across v1 -> v2 -> v3 in one lineage and applies v3 on its base-commit", () => {
    const lineage = first.result.series.find((s) => s.revisions.some((r) => /Balance irq_create_mapping/.test(r.title)));
    expect(lineage?.revisions.map((r) => r.version)).toEqual([1, 2, 3]);
    const v3 = revision(first, /Balance irq_create_mapping/, 3);
    expect(v3.relevant).toBe(true);
    expect(v3.apply.status).toBe("applied");
    expect(v3.apply.baseReason).toMatch(/base-commit/);
    expect(v3.missing).toEqual([]);
  });

  it("writes one reply per complete relevant revision, threaded under the cover letter", async () => {
    const v3 = revision(first, /Balance irq_create_mapping/, 3);
    expect(v3.reply).not.toBeNull();
    const eml = await readFile(v3.reply as string, "utf8");
    expect(eml).toMatch(/^In-Reply-To: <a3-0@dev\.example\.org>\r$/m);
    expect(eml).toMatch(/^Subject: Re: \[PATCH v3 0\/3\]/m);
    expect(eml).toContain("Applied cleanly on");
    const body = eml.slice(eml.indexOf("\r\n\r\n") + 4);
    for (const l of body.split("\r\n")) expect(l.length).toBeLessThanOrEqual(72);
  });

  it("stays quiet about irrelevant and incomplete revisions", () => {
    const netNext = revision(first, /add a clean target/, 2);
    expect(netNext.relevant).toBe(false);
    expect(netNext.reply).toBeNull();
    const incomplete = revision(first, /small cleanups/, 1);
    expect(incomplete.missing).toEqual([2, 4]);
    expect(incomplete.apply.status).toBe("skipped");
    expect(incomplete.reply).toBeNull();
  });

  it("records every bad mail and goes on to the good one after it", () => {
    const sources = first.result.errors.map((e) => `${e.source} ${e.message}`).join("\n");
    expect(sources).toMatch(/01-truncated-mime\.eml.*truncated/);
    expect(sources).toMatch(/02-no-message-id\.eml.*no Message-ID/);
    expect(sources).toMatch(/bad-dotdot@example\.org.*"\.\."/);
    expect(sources).toMatch(/bad-dotgit@example\.org.*\.git/);
    expect(sources).toMatch(/bad-symlink@example\.org.*symlink/);
    expect(sources).toMatch(/bad-submodule@example\.org.*submodule/);
    expect(sources).toMatch(/bad-binary@example\.org.*binary/);
    const good = revision(first, /a normal patch after the bad ones/, 1);
    expect(good.relevant).toBe(true);
    expect(["applied", "failed"]).toContain(good.apply.status);
  });

  it("never writes a second reply for a revision on a rerun, and leaves no worktree behind", async () => {
    const before = (await readdir(path.join(state, "outbox"))).sort();
    const again = await runTriage({
      paths: [path.join(fixturesDir, "mail", "series")],
      config,
      log: silentLogger(),
    });
    expect(again.written).toEqual([]);
    expect(again.replies.length).toBeGreaterThan(0);
    expect((await readdir(path.join(state, "outbox"))).sort()).toEqual(before);
    const wt = await readdir(path.join(state, "worktrees")).catch(() => []);
    expect(wt).toEqual([]);
  }, 120_000);
});
