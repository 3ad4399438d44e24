import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildInitramfs } from "../../src/qemu/io/build-initramfs.js";
import { bzImageRelease } from "../../src/qemu/bzimage-release.js";
import { cpioNewc, listCpio } from "../../src/qemu/cpio-newc.js";
import { resolveModules } from "../../src/qemu/resolve-modules.js";

const DEBIAN_KERNEL = "/boot/vmlinuz-6.1.0-56-cloud-amd64";
const DEBIAN_MODULES = "/lib/modules/6.1.0-56-cloud-amd64";
const tmp = mkdtempSync(path.join(os.tmpdir(), "irqtriage-initramfs-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("cpio newc writer", () => {
  it("round-trips through our reader and the system cpio tool", () => {
    const archive = cpioNewc([
      { type: "dir", path: "bin" },
      { type: "file", path: "bin/hello", data: Buffer.from("hi\n"), mode: 0o755 },
      { type: "symlink", path: "bin/sh", target: "busybox" },
      { type: "chardev", path: "console", major: 5, minor: 1 },
    ]);
    expect(archive.length % 4).toBe(0);
    expect(listCpio(archive)).toEqual([
      { path: "bin", mode: 0o755, size: 0, type: "dir" },
      { path: "bin/hello", mode: 0o755, size: 3, type: "file" },
      { path: "bin/sh", mode: 0o777, size: 7, type: "symlink" },
      { path: "console", mode: 0o600, size: 0, type: "chardev" },
    ]);
    const listed = execFileSync("cpio", ["-t", "--quiet"], { input: archive, encoding: "utf8" });
    expect(listed.trim().split("\n")).toEqual(["bin", "bin/hello", "bin/sh", "console"]);
  });

  it("rejects paths that climb out of the archive", () => {
    expect(() => cpioNewc([{ type: "file", path: "../etc/passwd", data: Buffer.from("") }])).toThrow(/bad cpio path/);
  });
});

describe("module resolution", () => {
  const dep = [
    "kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko",
    "kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko",
    "kernel/net/core/failover.ko:",
    "kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko",
    "kernel/drivers/virtio/virtio_ring.ko:",
  ].join("\n");

  it("puts dependencies before the modules that need them, each once", () => {
    const r = resolveModules(["virtio-net", "virtio"], dep, "kernel/drivers/pci/pcie/portdrv.ko\n");
    expect(r.load).toEqual([
      "kernel/net/core/failover.ko",
      "kernel/drivers/net/net_failover.ko",
      "kernel/drivers/virtio/virtio_ring.ko",
      "kernel/drivers/virtio/virtio.ko",
      "kernel/drivers/net/virtio_net.ko",
    ]);
    expect(resolveModules(["portdrv", "nosuch"], dep, "kernel/drivers/pci/pcie/portdrv.ko\n")).toMatchObject({ builtin: ["portdrv"], missing: ["nosuch"] });
  });
});

describe.runIf(existsSync(DEBIAN_KERNEL) && existsSync(DEBIAN_MODULES))("initramfs for the Debian cloud kernel", () => {
  it("reads the release from the bzImage header", () => {
    expect(bzImageRelease(readFileSync(DEBIAN_KERNEL))).toBe("6.1.0-56-cloud-amd64");
    expect(bzImageRelease(Buffer.alloc(1024))).toBeNull();
  });

  it("contains busybox, /dev/console, /init and virtio modules in load order", async () => {
    const out = path.join(tmp, "initramfs.cpio");
    const r = await buildInitramfs({ out, modulesDir: DEBIAN_MODULES, modules: ["virtio_pci", "virtio_net"] });
    expect(r.modules.missing).toEqual([]);
    const files = r.listing.map((e) => e.path);
    expect(files).toContain("bin/busybox");
    expect(files).toContain("init");
    expect(r.listing.find((e) => e.path === "dev/console")?.type).toBe("chardev");
    const order = (name: string): number => files.findIndex((f) => f.endsWith(`/${name}.ko`));
    for (const m of ["virtio_ring", "virtio", "virtio_pci", "failover", "net_failover", "virtio_net"]) expect(order(m)).toBeGreaterThan(0);
    expect(order("virtio_ring")).toBeLessThan(order("virtio"));
    expect(order("virtio")).toBeLessThan(order("virtio_pci"));
    expect(order("net_failover")).toBeLessThan(order("virtio_net"));
    const init = execFileSync("cpio", ["-i", "--to-stdout", "--quiet", "init"], { input: readFileSync(out) }).toString("utf8");
    expect(init.indexOf("virtio_ring.ko")).toBeLessThan(init.indexOf("virtio_pci.ko"));
    // The system's cpio sees the same table of contents as our reader.
    const listed = execFileSync("cpio", ["-t", "--quiet"], { input: readFileSync(out), encoding: "utf8" }).trim().split("\n");
    expect(listed).toEqual(files);
  });
});

it("logs why the Debian initramfs test did not run when the kernel package is absent", () => {
  if (!existsSync(DEBIAN_KERNEL)) console.warn(`skipped: ${DEBIAN_KERNEL} absent (install linux-image-cloud-amd64)`);
  expect(typeof existsSync(DEBIAN_KERNEL)).toBe("boolean");
});
