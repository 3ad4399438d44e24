import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { validateConfig } from "../../src/config/validate-config.js";
import { createPublisher } from "../../src/github/io/create-publisher.js";
import type { GithubConfig } from "../../src/config/sections/github.js";
import { lineageBranch, lineageKey } from "../../src/github/lineage-branch.js";
import type { Publisher, RevisionToPublish } from "../../src/github/publisher.js";
import { FakeGithub } from "../support/fake-github.js";

const lineage = "20261120101010.1-author@example.org";

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=Test", "-c", "user.email=test@example.org", "-c", "init.defaultBranch=master", ...args], {
    cwd,
    encoding: "utf8",
    env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: cwd, GIT_CONFIG_NOSYSTEM: "1" },
  }).trim();
}

let tmp: string;
let work: string;
let bare: string;
let logs: Record<string, unknown>[];
let log: pino.Logger;

/** A commit per revision on top of master in the work repo (what the apply stage leaves). */
function revisionCommit(version: number): string {
  git(work, "checkout", "-q", "-B", `rev${version}`, "master");
  execFileSync("sh", ["-c", `printf 'irq_dispose_mapping(virq); /* v${version} */\\n' >> drivers/foo.c`], { cwd: work });
  git(work, "commit", "-q", "-am", `foo: dispose the mapping on remove (v${version})`);
  return git(work, "rev-parse", "HEAD");
}

function rev(version: number, head: string, extra: Partial<RevisionToPublish> = {}): RevisionToPublish {
  return {
    lineage,
    version,
    title: "foo: dispose the mapping on remove",
    author: "Author <author@example.org>",
    gitDir: work,
    head,
    base: git(work, "rev-parse", "master"),
    findings: [
      { id: "never-disposes-4f2a", stage: "balance", kind: "new-imbalance", severity: "problem", summary: "probe maps, remove never disposes", file: "drivers/foo.c", line: 1, detail: "create: foo_probe\nrelease: none" },
      { id: "shared-dispose-1", stage: "balance", kind: "new-imbalance", severity: "notice", summary: "dispose of a shared mapping" },
    ],
    link: "https://lore.kernel.org/r/20261120101010.1-author@example.org",
    ...extra,
  };
}

function githubConfig(fake: FakeGithub, over: Partial<GithubConfig> = {}): GithubConfig {
  const v = validateConfig({ github: { enabled: true, baseUrl: fake.baseUrl, owner: "irq-mirror", repo: "linux", pushUrl: bare, writeIntervalMs: 0, ...over } });
  if (!v.ok) throw new Error(v.problems.join("; "));
  return v.config.github;
}

beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "irqtriage-gh-"));
  work = path.join(tmp, "work");
  bare = path.join(tmp, "mirror.git");
  execFileSync("mkdir", ["-p", path.join(work, "drivers")]);
  git(tmp, "init", "-q", "--bare", bare);
  git(work, "init", "-q");
  await writeFile(path.join(work, "drivers/foo.c"), "int foo_probe(void) { return irq_create_mapping(d, 1); }\n");
  git(work, "add", ".");
  git(work, "commit", "-q", "-m", "base");
  git(work, "push", "-q", bare, "master");
  logs = [];
  log = pino(
    { level: "info" },
    new Writable({
      write(chunk: Buffer, _e, cb) {
        for (const l of chunk.toString().split("\n").filter(Boolean)) logs.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    }),
  );
});

afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("GitHub mirror (acceptance)", () => {
  it("v1, v2, v3 of a series: one pull request whose branch ends at v3, three check runs, a comment per revision", async () => {
    const fake = await new FakeGithub({ owner: "irq-mirror", repo: "linux", bareRepo: bare, tokens: ["ghp_test"] }).start();
    try {
      const publisher = (await createPublisher(githubConfig(fake), { log, env: { IRQTRIAGE_GITHUB_TOKEN: "ghp_test" } })) as Publisher;
      const heads = [revisionCommit(1), revisionCommit(2), revisionCommit(3)];
      const results = [];
      for (const [i, head] of heads.entries()) {
        results.push(await publisher.publishRevision(rev(i + 1, head, i === 2 ? { suppressed: ["suppressed: x-1 (ignored by maint@example.org on v2: ok)"] } : {})));
      }
      const branch = lineageBranch(lineage, "irqtriage/");
      expect(results.map((r) => [r.branch, r.pullNumber, r.pullCreated])).toEqual([
        [branch, 1, true],
        [branch, 1, false],
        [branch, 1, false],
      ]);
      // The bare repository's branch is v3 (force-pushed over v1 and v2, which do not descend from each other).
      expect(git(bare, "rev-parse", `refs/heads/${branch}`)).toBe(heads[2]);
      expect(fake.pulls).toHaveLength(1);
      expect(fake.pulls[0]?.["title"]).toBe("[v3] foo: dispose the mapping on remove");
      expect(fake.checkRuns.map((c) => [c["head_sha"], c["conclusion"], c["external_id"]])).toEqual(
        heads.map((h, i) => [h, "failure", `irqtriage:${lineageKey(lineage)}#v${i + 1}`]),
      );
      expect((fake.checkRuns[0]?.["output"] as Record<string, unknown>)["annotations_count"]).toBe(1);
      expect(fake.comments.map((c) => c.issue_number)).toEqual([1, 1, 1]);
      expect(fake.comments[2]?.body).toContain("### irqtriage: v3 of");
      expect(fake.comments[2]?.body).toContain("suppressed: x-1 (ignored by maint@\u200bexample.org on v2: ok)");
      expect(fake.comments[2]?.body).toContain(`<!-- irqtriage:${lineageKey(lineage)}#v3 -->`);
      expect(fake.comments[0]?.body).toMatch(/\| ❌ \| `never-disposes-4f2a` \| probe maps, remove never disposes \| `drivers\/foo.c:1` \|/);
      // octokit spoke GitHub's API: the PR was looked up by head label, then created once and patched twice.
      const calls = fake.requests.map((r) => `${r.method} ${r.path}`);
      expect(calls.filter((c) => c === "POST /repos/irq-mirror/linux/pulls")).toHaveLength(1);
      expect(calls.filter((c) => c === "PATCH /repos/irq-mirror/linux/pulls/1")).toHaveLength(2);
      expect(fake.requests.find((r) => r.method === "GET" && r.path.endsWith("/pulls"))?.query).toMatchObject({ head: `irq-mirror:${branch}`, state: "all" });
      expect(fake.requests.every((r) => r.authorization === "token ghp_test")).toBe(true);

      // The job for v3 runs again (a crash after publishing): nothing is duplicated.
      const again = await publisher.publishRevision(rev(3, heads[2] as string));
      expect(again).toMatchObject({ pullNumber: 1, reportId: null, commentId: null });
      expect(fake.checkRuns).toHaveLength(3);
      expect(fake.comments).toHaveLength(3);
    } finally {
      await fake.stop();
    }
  });

  it("rides out secondary rate limits (403 and 429 with retry-after) and a 502 through octokit's throttling and retry, and logs them", async () => {
    const fake = await new FakeGithub({ owner: "irq-mirror", repo: "linux", bareRepo: bare, tokens: ["ghp_test"] }).start();
    try {
      fake.fault({ method: "POST", path: /\/issues\/\d+\/comments$/, status: 403, message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", retryAfter: 1 });
      fake.fault({ method: "POST", path: /\/check-runs$/, status: 429, message: "You have exceeded a secondary rate limit.", retryAfter: 1 });
      fake.fault({ method: "GET", path: /^\/repos\/irq-mirror\/linux$/, status: 502, message: "Server Error" });
      const publisher = (await createPublisher(githubConfig(fake), { log, env: { IRQTRIAGE_GITHUB_TOKEN: "ghp_test" } })) as Publisher;
      const res = await publisher.publishRevision(rev(1, revisionCommit(1)));
      expect(res.commentId).not.toBeNull();
      const posts = fake.requests.filter((r) => r.method === "POST").map((r) => `${r.path.replace(/^\/repos\/irq-mirror\/linux/, "")} ${r.status}`);
      expect(posts).toEqual(["/pulls 201", "/check-runs 429", "/check-runs 201", "/issues/1/comments 403", "/issues/1/comments 201"]);
      // A 502 from GitHub is retried by plugin-retry.
      expect(fake.requests.filter((r) => r.path === "/repos/irq-mirror/linux").map((r) => r.status)).toEqual([502, 200]);
      expect(fake.checkRuns).toHaveLength(1);
      expect(fake.comments).toHaveLength(1);
      // The 403 goes through plugin-throttling's secondary-limit handler (ours, which logs); the 429
      // is retried by plugin-retry before the throttler sees it.
      const limitLogs = logs.filter((l) => l["msg"] === "GitHub rate limit");
      expect(limitLogs).toHaveLength(1);
      expect(limitLogs[0]).toMatchObject({ kind: "secondary", retryAfter: 1, url: "/repos/{owner}/{repo}/issues/{issue_number}/comments" });
    } finally {
      await fake.stop();
    }
  });

  it("authenticates as a GitHub App installation and reports a commit status when configured", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const keyFile = path.join(tmp, "app.pem");
    await writeFile(keyFile, privateKey.export({ type: "pkcs1", format: "pem" }));
    const fake = await new FakeGithub({
      owner: "irq-mirror",
      repo: "linux",
      bareRepo: bare,
      app: { id: 4242, publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(), installationId: 77 },
    }).start();
    try {
      const cfg = githubConfig(fake, { report: "status", auth: { mode: "app", appId: 4242, privateKeyPath: keyFile, installationId: 77 } });
      const publisher = (await createPublisher(cfg, { log, env: {} })) as Publisher;
      const head = revisionCommit(1);
      const res = await publisher.publishRevision(rev(1, head, { findings: [] }));
      expect(res.pullCreated).toBe(true);
      const tokenReq = fake.requests.find((r) => r.path === "/app/installations/77/access_tokens");
      expect(tokenReq?.status).toBe(201);
      expect(tokenReq?.authorization).toMatch(/^bearer ey/i);
      const apiCalls = fake.requests.filter((r) => r.path.startsWith("/repos/"));
      expect(apiCalls.every((r) => /^token ghs_fake\d+$/.test(r.authorization ?? ""))).toBe(true);
      expect(fake.statuses.map((s) => [s["sha"], s["state"], s["context"]])).toEqual([[head, "success", "irqtriage"]]);
      expect(fake.checkRuns).toHaveLength(0);
    } finally {
      await fake.stop();
    }
  });

  it("refuses to start without credentials, and reports a wrong token as an error", async () => {
    const fake = await new FakeGithub({ owner: "irq-mirror", repo: "linux", bareRepo: bare, tokens: ["right"] }).start();
    try {
      await expect(createPublisher(githubConfig(fake), { log, env: {} })).rejects.toThrow(/IRQTRIAGE_GITHUB_TOKEN is not set/);
      const p = (await createPublisher(githubConfig(fake), { log, env: { IRQTRIAGE_GITHUB_TOKEN: "wrong" } })) as Publisher;
      await expect(p.publishRevision(rev(1, revisionCommit(1)))).rejects.toMatchObject({ status: 401 });
      expect(await createPublisher({ ...githubConfig(fake), enabled: false }, { log })).toBeNull();
    } finally {
      await fake.stop();
    }
  });
});
