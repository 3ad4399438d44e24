import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExternalError } from "../../src/errors.js";
import { QmpClient } from "../../src/qemu/io/qmp-client.js";
import { findPciAddr, type PciDev } from "../../src/qemu/io/run-qemu-check.js";

// A real qemu, paused before the first instruction (-S) with no kernel: cheap, and enough to talk
// QMP to (commands, errors, events, the PCI topology with a root port and a device).
describe("QmpClient against a real qemu-system-x86_64 -M q35 -S", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "irqtriage-qmp-test-"));
  const sock = path.join(dir, "qmp.sock");
  let qemu: ChildProcess;
  let qmp: QmpClient;

  beforeAll(async () => {
    qemu = spawn(
      "qemu-system-x86_64",
      ["-M", "q35", "-accel", "tcg", "-S", "-nodefaults", "-display", "none", "-nic", "none", "-qmp", `unix:${sock},server=on,wait=off`,
        "-device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1,addr=0x10"],
      { stdio: "ignore" },
    );
    // connect() retries while the socket does not exist yet: no sleep needed here.
    qmp = await QmpClient.connect(sock, { timeoutMs: 20_000 });
  });

  afterAll(() => {
    qmp?.close();
    qemu?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("negotiates capabilities and runs commands", async () => {
    expect(qmp.greeting).toHaveProperty("QMP");
    const version = await qmp.execute<{ qemu: { major: number } }>("query-version");
    expect(version.qemu.major).toBeGreaterThanOrEqual(6);
    expect(await qmp.execute<{ status: string }>("query-status")).toMatchObject({ status: "prelaunch" });
  });

  it("turns QMP errors into ExternalError with the class", async () => {
    const err = await qmp.execute("device_del", { id: "nosuchdevice" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExternalError);
    expect((err as ExternalError).message).toMatch(/DeviceNotFound/);
  });

  it("keeps events that arrive before the wait starts", async () => {
    await qmp.execute("cont");
    await qmp.execute("stop");
    // Both events were already received when we start waiting.
    expect((await qmp.waitEvent("RESUME", () => true, 5000)).event).toBe("RESUME");
    expect((await qmp.waitEvent("STOP", () => true, 5000)).event).toBe("STOP");
    await expect(qmp.waitEvent("STOP", () => true, 300)).rejects.toThrow(/timed out/);
  });

  it("plugs a device behind the root port; query-pci shows the port as a bridge", async () => {
    await qmp.execute("device_add", { driver: "virtio-net-pci", id: "net1", bus: "rp1" });
    const buses = await qmp.execute<Array<{ bus: number; devices: PciDev[] }>>("query-pci");
    expect(findPciAddr(buses, "rp1")).toBe("0000:00:10.0");
    expect(buses[0]?.devices.find((d) => d.qdev_id === "rp1")?.pci_bridge).toBeDefined();
    expect(findPciAddr(buses, "nope")).toBeNull();
  });

  it("fails a pending command when qemu goes away", async () => {
    qemu.kill("SIGKILL");
    await expect(qmp.execute("query-status")).rejects.toBeInstanceOf(ExternalError);
  });
});

it("gives up connecting to a socket nobody serves", async () => {
  await expect(QmpClient.connect(path.join(os.tmpdir(), `irqtriage-none-${process.pid}.sock`), { timeoutMs: 300 })).rejects.toThrow(/QMP connect/);
});

it("finds a device's guest address inside a bridge (query-pci shape after firmware numbered the buses)", () => {
  const buses = [
    {
      bus: 0,
      devices: [
        { bus: 0, slot: 0, function: 0, qdev_id: "" },
        {
          bus: 0,
          slot: 16,
          function: 0,
          qdev_id: "rp1",
          pci_bridge: { bus: { number: 0, secondary: 1, subordinate: 1 }, devices: [{ bus: 1, slot: 0, function: 0, qdev_id: "net1" }] },
        },
      ],
    },
  ];
  expect(findPciAddr(buses, "net1")).toBe("0000:01:00.0");
  expect(findPciAddr(buses, "rp1")).toBe("0000:00:10.0");
});
