import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli-io.js";

const root = path.join(import.meta.dirname, "..", "..");

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCli(args, { env: { ...process.env, IRQTRIAGE_LOG: "silent" }, cwd: root });
}

describe("irqtriage qemu: arguments", () => {
  it("prints help with the JSON contract", async () => {
    const r = await run(["qemu", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"verdict"');
    expect(r.stdout).toContain("--worktree <dir>");
  });

  it("needs exactly one of --worktree and --kernel", async () => {
    expect((await run(["qemu"])).code).toBe(2);
    const both = await run(["qemu", "--worktree", ".", "--kernel", "/boot/x"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("either --worktree or --kernel");
  });

  it("names the known scenarios when given an unknown one", async () => {
    const r = await run(["qemu", "--kernel", "/boot/vmlinuz-6.1.0-56-cloud-amd64", "--scenario", "nope"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown scenario "nope"; known: .*msi-hotplug/);
  });

  it("rejects a missing kernel image and bad --cycles / --accel", async () => {
    expect((await run(["qemu", "--kernel", "/nonexistent/bzImage"])).stderr).toContain("does not exist");
    expect((await run(["qemu", "--kernel", "/boot/vmlinuz-6.1.0-56-cloud-amd64", "--cycles", "0"])).code).toBe(2);
    expect((await run(["qemu", "--kernel", "/boot/vmlinuz-6.1.0-56-cloud-amd64", "--accel", "xen"])).code).toBe(2);
  });
});
