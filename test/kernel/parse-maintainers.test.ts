import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { LocalGitMirror } from "../../src/kernel/io/local-git-mirror.js";
import { addressOf, parseMaintainers, sectionMaintainerAddresses } from "../../src/kernel/parse-maintainers.js";
import { readIrqMaintainers } from "../../src/kernel/read-irq-maintainers.js";
import { makeRepo, type TempRepo } from "./git-fixture.js";

// Shaped like the real file: prose with indented field descriptions, then sections.
const TEXT = `List of maintainers and how to submit kernel changes

Descriptions of section entries and preferred order
---------------------------------------------------

\tM: *Mail* patches to: FullName <address@domain>
\tR: Designated *Reviewer*: FullName <address@domain>

Maintainers List
----------------

IRQ DOMAINS (IRQ NUMBER MAPPING LIBRARY)
M:\tMarc Zyngier <maz@kernel.org>
S:\tMaintained
T:\tgit git://git.kernel.org/pub/scm/linux/kernel/git/tip/tip.git irq/core
F:\tinclude/linux/irqdomain.h
F:\tkernel/irq/irqdomain.c

IRQ SUBSYSTEM
M:\tThomas Gleixner <tglx@linutronix.de>
R:\tRee Viewer <Ree@Example.ORG>
L:\tlinux-kernel@vger.kernel.org (moderated for non-subscribers)
S:\tMaintained
F:\tkernel/irq/
X:\tkernel/irq/unrelated.c

IRQCHIP DRIVERS
M:\tThomas Gleixner <tglx@linutronix.de>
M:\tmaz@kernel.org
F:\tdrivers/irqchip/

ISA
M:\tWilliam Breathitt Gray <william.gray@linaro.org>
S:\tMaintained
`;

describe("parseMaintainers", () => {
  it("parses sections with their fields and skips the prose", () => {
    const e = parseMaintainers(TEXT);
    expect(e.map((x) => x.title)).toEqual(["IRQ DOMAINS (IRQ NUMBER MAPPING LIBRARY)", "IRQ SUBSYSTEM", "IRQCHIP DRIVERS", "ISA"]);
    const sub = e[1]!;
    expect(sub.line).toBe(TEXT.split("\n").indexOf("IRQ SUBSYSTEM") + 1);
    expect(sub.maintainers).toEqual(["Thomas Gleixner <tglx@linutronix.de>"]);
    expect(sub.reviewers).toEqual(["Ree Viewer <Ree@Example.ORG>"]);
    expect(sub.lists).toEqual(["linux-kernel@vger.kernel.org"]);
    expect(sub.status).toBe("Maintained");
    expect(sub.files).toEqual(["kernel/irq/"]);
    expect(sub.excluded).toEqual(["kernel/irq/unrelated.c"]);
    expect(e[0]!.fields["T"]).toEqual(["git git://git.kernel.org/pub/scm/linux/kernel/git/tip/tip.git irq/core"]);
  });

  it("collects the M:/R: addresses of the IRQ sections, lower-cased and unique", () => {
    expect(sectionMaintainerAddresses(parseMaintainers(TEXT)).sort()).toEqual(["maz@kernel.org", "ree@example.org", "tglx@linutronix.de"]);
    expect(sectionMaintainerAddresses(parseMaintainers(TEXT), ["isa"])).toEqual(["william.gray@linaro.org"]);
  });

  it("extracts addresses from the usual spellings", () => {
    expect(addressOf("A B <a@b.org>")).toBe("a@b.org");
    expect(addressOf("a@b.org (maintainer)")).toBe("a@b.org");
    expect(addressOf("nobody")).toBeNull();
  });

  it("reads the demo tree's MAINTAINERS", () => {
    const text = readFileSync(new URL("../../fixtures/kernel-tree/MAINTAINERS", import.meta.url), "utf8");
    const addrs = sectionMaintainerAddresses(parseMaintainers(text));
    expect(addrs.length).toBeGreaterThan(0);
    expect(addrs.every((a) => /^[^@\s]+@[^@\s]+$/.test(a))).toBe(true);
    // GPIO SUBSYSTEM people are not IRQ maintainers.
    const gpio = parseMaintainers(text).find((e) => e.title === "GPIO SUBSYSTEM");
    for (const m of gpio?.maintainers ?? []) expect(addrs).not.toContain(addressOf(m));
  });
});

describe("readIrqMaintainers", () => {
  let repo: TempRepo | null = null;
  afterEach(() => repo?.cleanup());

  it("reads the committed MAINTAINERS of the mirror, not the checkout", async () => {
    repo = makeRepo({ MAINTAINERS: TEXT });
    repo.write("MAINTAINERS", TEXT.replace("IRQCHIP DRIVERS\n", "IRQCHIP DRIVERS\nM:\tIntruder <evil@example.org>\n"));
    const m = new LocalGitMirror({ path: repo.dir });
    const addrs = await readIrqMaintainers(m);
    expect(addrs).toContain("tglx@linutronix.de");
    expect(addrs).not.toContain("evil@example.org");
  });

  it("is empty when there is no MAINTAINERS file", async () => {
    repo = makeRepo({ README: "x\n" });
    expect(await readIrqMaintainers(new LocalGitMirror({ path: repo.dir }))).toEqual([]);
  });
});
