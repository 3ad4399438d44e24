import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { renderGuestInit } from "../../src/qemu/guest-init.js";
import { LineSplitter, parseGuestLine, type GuestReport } from "../../src/qemu/guest-report.js";

const fixtures = path.join(import.meta.dirname, "..", "..", "fixtures", "qemu");

function reportsOf(file: string): GuestReport[] {
  const out: GuestReport[] = [];
  for (const line of readFileSync(path.join(fixtures, file), "utf8").split("\n")) {
    const p = parseGuestLine(line);
    if (p?.kind === "report") out.push(p.report);
  }
  return out;
}

describe("serial protocol parsing", () => {
  it("ignores kernel lines and parses report lines from a recorded Debian boot", () => {
    expect(parseGuestLine("[    1.503970] pci_bus 0000:00: resource 9")).toBeNull();
    const reports = reportsOf("debian-msi-hotplug.console.log");
    expect(reports[0]?.event).toBe("baseline");
    expect(reports[0]?.release).toBe("6.1.0-56-cloud-amd64");
    expect(reports[0]?.devices).toEqual([]);
    const plugged = reports.find((r) => r.devices.some((d) => d.virtioBound));
    const dev = plugged?.devices[0];
    expect(dev?.addr).toBe("0000:01:00.0");
    expect(dev?.id).toBe("1af4:1041");
    // virtio-net with MSI-X: config + rx + tx vectors, each with its /proc/interrupts line.
    expect(dev?.msiVectors).toBe(3);
    expect(dev?.irqLines).toBe(3);
    expect((plugged?.descriptors ?? 0) - (reports[0]?.descriptors ?? 0)).toBe(3);
    expect(plugged?.controllers["PCI-MSI"]).toBeGreaterThan(reports[0]?.controllers["PCI-MSI"] ?? 0);
  });

  it("reads the irq domains when the kernel has GENERIC_IRQ_DEBUGFS (our tinyconfig build)", () => {
    const [base] = reportsOf("tiny-leak-virtio-msix.console.log");
    expect(base?.domains).toContain("PCI-MSI-3");
    expect(base?.domains).toContain("VECTOR");
    // The Debian cloud kernel has no irq debugfs: null, not an empty list.
    expect(reportsOf("debian-msi-hotplug.console.log")[0]?.domains).toBeNull();
  });

  it("shows the INTx case sharing one legacy line (pci=nomsi)", () => {
    const reports = reportsOf("debian-intx-shared.console.log");
    const both = reports.find((r) => r.devices.filter((d) => d.virtioBound).length === 2);
    expect(both).toBeDefined();
    const [a, b] = both?.devices ?? [];
    expect(a?.msiVectors).toBe(0);
    expect(a?.irq).toBe(b?.irq);
    expect(a?.irqLines).toBe(1);
  });

  it("flags mangled report lines instead of dropping them silently", () => {
    expect(parseGuestLine('IRQTRIAGE {"event":"change","seq":3,"descr[  5.1] pci 0000')?.kind).toBe("bad");
    expect(parseGuestLine('IRQTRIAGE {"event":"change"}')?.kind).toBe("bad");
    expect(parseGuestLine('IRQTRIAGE {"event":"error","message":"insmod /x.ko failed"}')).toEqual({
      kind: "error",
      error: { event: "error", message: "insmod /x.ko failed" },
    });
    // Kernel output glued before the prefix on the same line still parses.
    const glued = parseGuestLine('[    3.1] foo IRQTRIAGE {"event":"baseline","seq":1,"descriptors":7,"devices":[]}');
    expect(glued?.kind === "report" && glued.report.descriptors).toBe(7);
  });

  it("splits console chunks into lines across chunk borders and CRLF", () => {
    const s = new LineSplitter();
    expect(s.push("ab")).toEqual([]);
    expect(s.push("c\r\nde")).toEqual(["abc"]);
    expect(s.push("f\n\n")).toEqual(["def", ""]);
    expect(s.push("tail")).toEqual([]);
    expect(s.flush()).toEqual(["tail"]);
  });
});

describe("guest init script", () => {
  it("loads the modules in the given order and reports with the prefix", () => {
    const init = renderGuestInit({ modules: ["/lib/modules/a.ko", "/lib/modules/b.ko"] });
    expect(init.startsWith("#!/bin/busybox sh\n")).toBe(true);
    expect(init).toContain("for m in /lib/modules/a.ko /lib/modules/b.ko; do");
    expect(init).toContain('echo "IRQTRIAGE {');
    expect(init).toContain("report baseline");
    // The host waits on reports; the guest polls with usleep, never a host-side fixed sleep.
    expect(init).toMatch(/usleep 50000/);
  });

  it("refuses module paths that would need shell quoting", () => {
    expect(() => renderGuestInit({ modules: ["/lib/modules/x.ko; reboot"] })).toThrow(/unsafe/);
  });
});
