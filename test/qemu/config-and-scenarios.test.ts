import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { validateConfig } from "../../src/config/validate-config.js";
import { parseConfigFragment, verifyKernelConfig } from "../../src/qemu/kernel-config.js";
import { loadScenarios } from "../../src/qemu/io/load-scenarios.js";
import { rulesDir } from "../../src/package-root.js";
import { cycleOrder } from "../../src/qemu/qemu-scenario.js";
import { validateScenario } from "../../src/qemu/validate-scenario.js";
import { qemuArgs } from "../../src/qemu/qemu-args.js";

const rules = rulesDir;
const schema = JSON.parse(readFileSync(path.join(rules, "schema", "qemu-scenario.json"), "utf8")) as object;

describe("kernel config fragment", () => {
  const fragment = parseConfigFragment(readFileSync(path.join(rules, "qemu", "kernel-x86_64.config"), "utf8"));

  it("asks for what the guest needs", () => {
    const names = fragment.map((o) => o.name);
    for (const n of ["CONFIG_64BIT", "CONFIG_PCI_MSI", "CONFIG_HOTPLUG_PCI_PCIE", "CONFIG_HOTPLUG_PCI_ACPI", "CONFIG_VIRTIO_NET", "CONFIG_GENERIC_IRQ_DEBUGFS", "CONFIG_SERIAL_8250_CONSOLE", "CONFIG_BLK_DEV_INITRD"]) {
      expect(names).toContain(n);
    }
  });

  it("reports options Kconfig did not set", () => {
    const dot = "CONFIG_64BIT=y\n# CONFIG_PCI_MSI is not set\nCONFIG_VIRTIO_NET=m\n";
    const missing = verifyKernelConfig(parseConfigFragment("CONFIG_64BIT=y\nCONFIG_PCI_MSI=y\nCONFIG_VIRTIO_NET=y\n# CONFIG_MODULES is not set\n"), dot);
    expect(missing).toEqual([
      { name: "CONFIG_PCI_MSI", value: "y", actual: null },
      { name: "CONFIG_VIRTIO_NET", value: "y", actual: "m" },
    ]);
  });
});

describe("scenarios", () => {
  it("loads the built-in scenarios from rules/qemu/scenarios", async () => {
    const all = await loadScenarios();
    expect([...all.keys()].sort()).toEqual(["intx-shared", "msi-hotplug", "multi-device", "repeated-cycles"]);
    const intx = all.get("intx-shared");
    expect(intx?.append).toBe("pci=nomsi");
    expect(intx?.rootPorts).toBe(5);
    // Different orders per cycle: cycle 2 removes net2 first.
    expect(cycleOrder(intx!, 1).unplug).toEqual(["net2", "net1"]);
    const msi = all.get("msi-hotplug");
    expect(cycleOrder(msi!, 7)).toEqual({ plug: ["net1"], unplug: ["net1"] });
  });

  it("rejects an order that forgets a device, and unknown keys", () => {
    const bad = validateScenario(
      { name: "x", description: "d", devices: [{ id: "a", driver: "virtio-net-pci", port: 1 }, { id: "b", driver: "virtio-net-pci", port: 2 }], order: [{ plug: ["a"], unplug: ["a", "b"] }] },
      schema,
    );
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problems[0]).toMatch(/order\[0\]\.plug/);
    const typo = validateScenario({ name: "x", description: "d", devices: [{ id: "a", driver: "virtio-net-pci", port: 1 }], cylces: 3 }, schema);
    expect(typo.ok).toBe(false);
    const shell = validateScenario({ name: "x", description: "d", append: "x; reboot", devices: [{ id: "a", driver: "virtio-net-pci", port: 1 }] }, schema);
    expect(shell.ok).toBe(false);
  });
});

describe("qemu config section and command line", () => {
  it("has defaults, so no config file is needed", () => {
    const r = validateConfig({});
    expect(r.ok && r.config.qemu).toMatchObject({ scenario: "msi-hotplug", accel: "auto", kernel: null, fragment: "rules/qemu/kernel-x86_64.config" });
    expect(validateConfig({ qemu: { accel: "xen" } }).ok).toBe(false);
  });

  it("builds an isolated q35 command line: no network, no reboot, QMP socket, root ports", () => {
    const args = qemuArgs({ kernel: "k", initrd: "i", append: "pci=nomsi", accel: "tcg", rootPorts: 2, qmpSocket: "/t/q.sock", pidfile: "/t/pid", memoryMb: 256, name: "irqtriage-x" });
    const s = args.join(" ");
    expect(s).toContain("-M q35");
    expect(s).toContain("-nic none");
    expect(s).toContain("-no-reboot");
    expect(s).toContain("-nodefaults");
    expect(s).not.toContain("-daemonize");
    expect(s).toContain("-qmp unix:/t/q.sock,server=on,wait=off");
    expect(s).toContain("pcie-root-port,id=rp2,");
    expect(args[args.indexOf("-append") + 1]).toMatch(/panic=-1.*pci=nomsi$/);
    // qemu's own seccomp filter, also outside the bubblewrap sandbox.
    expect(s).toContain("-sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
  });

  it("in the sandbox: QMP on the inherited socket (fd 3), no pidfile, no host path", () => {
    const args = qemuArgs({ kernel: "/vm/bzImage", initrd: "/vm/initramfs.cpio", append: "", accel: "tcg", rootPorts: 1, qmpFd: 3, pidfile: null, memoryMb: 256, name: "irqtriage-x" });
    const s = args.join(" ");
    expect(s).toContain("-chardev socket,id=qmp,fd=3,server=off -mon chardev=qmp,mode=control");
    expect(s).not.toContain("-pidfile");
    expect(s).not.toContain("-qmp");
    expect(s).toContain("-nic none");
    expect(args.filter((a) => a.startsWith("/"))).toEqual(["/vm/bzImage", "/vm/initramfs.cpio"]);
  });
});
