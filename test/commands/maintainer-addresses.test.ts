import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { defaultMaintainerSections } from "../../src/commands/commands-config.js";
import { maintainerAddresses } from "../../src/commands/maintainer-addresses.js";
import { loadMaintainerAllowlist } from "../../src/commands/load-maintainer-allowlist.js";
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

describe("maintainerAddresses", () => {
  it("takes M: and R: of the named sections only (not L:, not similar titles)", () => {
    expect(maintainerAddresses(sample, defaultMaintainerSections)).toEqual(["maz@kernel.org", "reviewer@example.org", "tglx@linutronix.de"]);
  });
});

const mirror = process.env["IRQTRIAGE_LINUX_MIRROR"] ?? path.join(process.env["HOME"] ?? "/root", ".cache/irqtriage/linux-6.1");
const haveMirror = existsSync(path.join(mirror, ".git")) || existsSync(path.join(mirror, "HEAD"));
const root = fileURLToPath(new URL("../..", import.meta.url));

describe.runIf(haveMirror)("loadMaintainerAllowlist on the Linux mirror", () => {
  it("reads the IRQ sections of the real MAINTAINERS through git show", async () => {
    const addrs = await loadMaintainerAllowlist(mirror, "master", defaultMaintainerSections, silentLogger());
    expect(addrs).toEqual(expect.arrayContaining(["tglx@linutronix.de", "maz@kernel.org"]));
    expect(addrs).not.toContain("linux-kernel@vger.kernel.org");
  });
});
describe.runIf(!haveMirror)("loadMaintainerAllowlist (mirror absent)", () => {
  it("logs that it is skipped", () => {
    console.warn(`skipped: Linux mirror absent at ${mirror}; run scripts/make-linux-mirror.sh (repo ${root})`);
    expect(haveMirror).toBe(false);
  });
});
