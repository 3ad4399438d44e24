import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applySeries } from "../../src/kernel/io/apply-series.js";
import { LocalGitMirror } from "../../src/kernel/io/local-git-mirror.js";
import { readIrqMaintainers } from "../../src/kernel/read-irq-maintainers.js";
import { git, patchMessage, splitMbox, withMessageId } from "./git-fixture.js";

// Acceptance on the Linux 6.1 mirror built by scripts/make-linux-mirror.sh (instant when present).
const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const corpus = path.resolve(repoRoot, "..", "shared", "corpus", "genirq-refcount-2020");
const v3File = path.join(corpus, "10_v3_patch_20201109094646.71565-1-aik.eml");
const limits = { maxPatchBytes: 5 * 1024 * 1024 };

function ensureMirror(): string {
  const out = execFileSync("bash", [path.join(repoRoot, "scripts", "make-linux-mirror.sh")], { encoding: "utf8" });
  return out.trim().split("\n").at(-1)!;
}

let mirrorPath = "";
let mirror: LocalGitMirror;
let tmp = "";
let before = "";

/** HEAD and refs of the mirror (other engineers' worktrees may come and go meanwhile). */
function mirrorState(): string {
  return [git(mirrorPath, ["rev-parse", "HEAD"]), git(mirrorPath, ["symbolic-ref", "HEAD"]), git(mirrorPath, ["for-each-ref"])].join("|");
}

function registeredUnder(dir: string): string[] {
  return git(mirrorPath, ["worktree", "list", "--porcelain"])
    .split("\n")
    .filter((l) => l.startsWith(`worktree ${dir}`));
}

beforeAll(() => {
  mirrorPath = ensureMirror();
  mirror = new LocalGitMirror({ path: mirrorPath });
  tmp = mkdtempSync(path.join(os.tmpdir(), "irqtriage-linux-"));
  before = mirrorState();
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("applySeries on the Linux mirror", () => {
  it("applies a format-patch that drops an irq_dispose_mapping() call from a real driver, naming its base", async () => {
    const base = git(mirrorPath, ["rev-parse", "master"]).trim();
    const file = "drivers/hid/hid-rmi.c";
    const original = (await mirror.readFile(base, file))!.toString("utf8");
    const lines = original.split("\n");
    const at = lines.findIndex((l) => /^\s*irq_dispose_mapping\(/.test(l));
    expect(at).toBeGreaterThan(0);
    const edited = [...lines.slice(0, at), ...lines.slice(at + 1)].join("\n");

    // Make the commit in a --shared clone without a checkout, with plumbing only (no status
    // over 78k missing files): reads come from the mirror, writes go only to the clone, so the
    // mirror gets no objects, refs or worktrees from this test.
    const clone = path.join(tmp, "author");
    execFileSync("git", ["-c", "protocol.file.allow=always", "clone", "-q", "--shared", "--no-checkout", mirrorPath, clone]);
    const blob = execFileSync("git", ["hash-object", "-w", "--stdin"], { cwd: clone, input: edited, encoding: "utf8" }).trim();
    git(clone, ["read-tree", "HEAD"]);
    git(clone, ["update-index", "--cacheinfo", `100644,${blob},${file}`]);
    const tree = git(clone, ["write-tree"]).trim();
    const commit = git(clone, ["commit-tree", tree, "-p", "HEAD", "-m", "HID: rmi: do not dispose the IRQ mapping on teardown\n\nFor the acceptance test only.\n\nSigned-off-by: Ada Lovelace <ada@example.org>"], {
      GIT_AUTHOR_NAME: "Ada Lovelace",
      GIT_AUTHOR_EMAIL: "ada@example.org",
      GIT_AUTHOR_DATE: "2024-03-04T05:06:07Z",
    }).trim();
    git(clone, ["update-ref", "HEAD", commit]);
    const mbox = git(clone, ["format-patch", "--stdout", "--base=HEAD~1", "-1"]);
    expect(mbox).toContain(`base-commit: ${base}`);
    const raw = withMessageId(splitMbox(mbox)[0]!, "drop-dispose@example.org");
    const trailer = /^base-commit: ([0-9a-f]+)$/m.exec(raw.toString())![1]!;

    const stateDir = path.join(tmp, "state");
    const t0 = Date.now();
    const a = await applySeries({
      mirror,
      stateDir,
      patches: [{ index: 1, total: 1, message: patchMessage(raw, "drop-dispose@example.org") }],
      baseCommit: trailer,
      baseCommitFrom: "patch 1/1",
      branch: "master",
      limits,
      name: "drop-dispose v1",
    });
    console.log(`apply on Linux mirror: ${Date.now() - t0} ms (worktree add + git am)`);
    try {
      expect(a.result).toEqual({
        status: "applied",
        base,
        baseReason: `base-commit: ${base} from patch 1/1 is in the mirror`,
        failed: null,
      });
      expect(readFileSync(path.join(a.worktree!, file), "utf8")).toBe(edited);
      // Sparse worktree: the touched file, MAINTAINERS and Makefile only; the rest stays in the index.
      expect(existsSync(path.join(a.worktree!, "MAINTAINERS"))).toBe(true);
      expect(existsSync(path.join(a.worktree!, "kernel/irq/irqdomain.c"))).toBe(false);
      expect(git(a.worktree!, ["ls-files", "-t", "--", "kernel/irq/irqdomain.c"])).toBe("S kernel/irq/irqdomain.c\n");
      expect(git(mirrorPath, ["log", "-1", "--format=%an <%ae> %aI", a.commits[0]!]).trim()).toBe("Ada Lovelace <ada@example.org> 2024-03-04T05:06:07+00:00");
      expect(await mirror.changedFiles(base, a.commits[0]!)).toEqual([file]);
    } finally {
      await a.dispose();
    }
    expect(existsSync(a.worktree!)).toBe(false);
    expect(registeredUnder(tmp)).toEqual([]);
    expect(mirrorState()).toBe(before);
  });

  it("reports the IRQ maintainers of the real MAINTAINERS file", async () => {
    const addrs = await readIrqMaintainers(mirror, "master");
    expect(addrs).toEqual(expect.arrayContaining(["tglx@linutronix.de", "maz@kernel.org"]));
  });
});

describe.runIf(existsSync(v3File))("corpus: the v3 refcount patch on Linux 6.1", () => {
  it("is reported as not applying, naming the patch, the file and the hunk", async () => {
    const raw = readFileSync(v3File);
    const msgid = /^Message-Id: <([^>]+)>/im.exec(raw.toString("utf8"))![1]!;
    const message = patchMessage(raw, msgid);
    const a = await applySeries({
      mirror,
      stateDir: path.join(tmp, "state-v3"),
      patches: [{ index: 1, total: 1, message }],
      baseCommit: null,
      branch: "master",
      limits,
      name: msgid,
    });
    console.log("v3 apply result:", JSON.stringify(a.result), a.failure?.errors);
    expect(a.result.status).toBe("failed");
    expect(a.result.baseReason).toMatch(/^no base-commit trailer; using branch master at [0-9a-f]{40}$/);
    expect(a.result.failed?.patch).toBe("20201109094646.71565-1-aik@ozlabs.ru");
    expect(["kernel/irq/irqdesc.c", "kernel/irq/irqdomain.c"]).toContain(a.result.failed?.file);
    // The hunk is named by its header exactly as it appears in the mail.
    const hunk = a.result.failed!.hunk;
    expect(hunk).toMatch(/^@@ -\d+,\d+ \+\d+,\d+ @@/);
    expect(message.text.split("\n")).toContain(hunk);
    expect(a.worktree).toBeNull();
    expect(registeredUnder(tmp)).toEqual([]);
    expect(mirrorState()).toBe(before);
  });
});

// Absent data is reported, not counted as a skipped test: the tests below need it.
if (!existsSync(v3File)) console.warn(`skipped: ../shared absent (${v3File})`);
