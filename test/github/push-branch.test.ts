import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExternalError } from "../../src/errors.js";
import { lineageBranch } from "../../src/github/lineage-branch.js";
import { pushBranch } from "../../src/github/io/push-branch.js";
import { silentLogger } from "../../src/log/logger.js";

let dir: string;
let head: string;
const git = (cwd: string, ...a: string[]) =>
  execFileSync("git", ["-c", "user.name=T", "-c", "user.email=t@x", "-c", "init.defaultBranch=master", ...a], { cwd, encoding: "utf8" }).trim();

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "irqtriage-push-"));
  git(dir, "init", "-q", "work");
  await writeFile(path.join(dir, "work/a"), "a\n");
  git(path.join(dir, "work"), "add", "a");
  git(path.join(dir, "work"), "commit", "-q", "-m", "a");
  head = git(path.join(dir, "work"), "rev-parse", "HEAD");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("pushBranch", () => {
  it("sends the token as an HTTP header from git's environment, never in argv or errors", async () => {
    const seen: { url: string; auth: string | null }[] = [];
    const server = createServer((req, res) => {
      seen.push({ url: req.url ?? "", auth: req.headers.authorization ?? null });
      res.writeHead(403, { "content-type": "text/plain" });
      res.end("denied\n");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    try {
      const err = await pushBranch({
        gitDir: path.join(dir, "work"),
        head,
        url: `http://127.0.0.1:${port}/irq-mirror/linux.git`,
        branch: "irqtriage/0123456789abcdef",
        token: "s3cret-token",
        log: silentLogger(),
        timeoutMs: 30_000,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ExternalError);
      expect(JSON.stringify(err)).not.toContain("s3cret-token");
      expect((err as Error).message).not.toContain("s3cret-token");
      expect(seen[0]?.url).toBe("/irq-mirror/linux.git/info/refs?service=git-receive-pack");
      expect(seen[0]?.auth).toBe(`basic ${Buffer.from("x-access-token:s3cret-token").toString("base64")}`);
    } finally {
      server.close();
    }
  });

  it("force-pushes over a branch that does not descend from the new head, and refuses unsafe names", async () => {
    const bare = path.join(dir, "bare.git");
    git(dir, "init", "-q", "--bare", bare);
    const work = path.join(dir, "work");
    const branch = lineageBranch("lineage@example.org", "irqtriage/");
    expect(branch).toMatch(/^irqtriage\/[0-9a-f]{16}$/);
    await pushBranch({ gitDir: work, head, url: bare, branch, token: null, log: silentLogger() });
    git(work, "checkout", "-q", "--orphan", "other");
    git(work, "commit", "-q", "-m", "unrelated");
    const other = git(work, "rev-parse", "HEAD");
    await pushBranch({ gitDir: work, head: other, url: bare, branch, token: null, log: silentLogger() });
    expect(git(bare, "rev-parse", `refs/heads/${branch}`)).toBe(other);
    await expect(pushBranch({ gitDir: work, head: other, url: bare, branch: "a;rm -rf", token: null, log: silentLogger() })).rejects.toThrow(/unsafe branch/);
    await expect(pushBranch({ gitDir: work, head: "--upload-pack=x", url: bare, branch, token: null, log: silentLogger() })).rejects.toThrow(/not a commit/);
  });
});
