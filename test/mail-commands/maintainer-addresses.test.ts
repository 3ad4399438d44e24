import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { defaultMaintainerSections } from "../../src/config/sections/commands.js";
import { loadMaintainerAllowlist } from "../../src/mail-commands/io/load-maintainer-allowlist.js";
import { silentLogger } from "../../src/log/logger.js";

const sample = [
  "List of maintainers",
  "===================",
  "",
  "IRQ DOMAINS (IRQ NUMBER MAPPING LIBRARY)",
  "M:\tMarc Zyngier <maz@kernel.org>",
  "S:\tMaintained",
  "F:\tkernel/irq/irqdomain.c",
  "",
  "IRQ SUBSYSTEM",
  "M:\tThomas Gleixner <tglx@linutronix.de>",
  "R:\treviewer@example.org",
  "L:\tlinux-kernel@vger.kernel.org",
  "",
  "FOO IRQCHIP DRIVERS",
  "M:\tSomeone Else <else@example.org>",
  "",
].join("\n");

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=T", "-c", "user.email=t@example.org", "-c", "init.defaultBranch=master", ...args], { cwd, encoding: "utf8" }).trim();
}

describe("loadMaintainerAllowlist", () => {
  it("takes M: and R: of the IRQ sections as committed (not L:, not similar titles, not the checkout)", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "irqtriage-maint-"));
    try {
      git(dir, "init", "-q");
      await writeFile(path.join(dir, "MAINTAINERS"), sample);
      git(dir, "add", "MAINTAINERS");
      git(dir, "commit", "-q", "-m", "maintainers");
      // An uncommitted edit must not widen the allowlist.
      await writeFile(path.join(dir, "MAINTAINERS"), sample.replace("reviewer@example.org", "intruder@evil.example"));
      const addrs = await loadMaintainerAllowlist(dir, "master", defaultMaintainerSections, silentLogger());
      expect(addrs).toEqual(["maz@kernel.org", "reviewer@example.org", "tglx@linutronix.de"]);
      expect(await loadMaintainerAllowlist(path.join(dir, "nope"), "master", defaultMaintainerSections, silentLogger())).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

const mirror = process.env["IRQTRIAGE_LINUX_MIRROR"] ?? path.join(os.homedir(), ".cache/irqtriage/linux-6.1");
const haveMirror = existsSync(path.join(mirror, ".git")) || existsSync(path.join(mirror, "HEAD"));

describe.runIf(haveMirror)("loadMaintainerAllowlist on the Linux mirror", () => {
  it("reads the IRQ sections of the real MAINTAINERS", async () => {
    const addrs = await loadMaintainerAllowlist(mirror, "master", defaultMaintainerSections, silentLogger());
    expect(addrs).toEqual(expect.arrayContaining(["tglx@linutronix.de", "maz@kernel.org"]));
    expect(addrs).not.toContain("linux-kernel@vger.kernel.org");
  });
});
// Absent data is reported, not counted as a skipped test: the tests below need it.
if (!haveMirror) console.warn(`skipped: Linux mirror absent at ${mirror}; scripts/make-linux-mirror.sh builds it`);
