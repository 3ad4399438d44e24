import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log/logger.js";
import { buildKernel, type KernelBuild } from "../../src/qemu/io/build-kernel.js";
import { sandboxOrSkip } from "../support/sandbox-or-skip.js";

// Acceptance of issue 12, first item: a series whose Kconfig and Makefile run `$(shell ...)`
// builds like any other, inside the sandbox, and its payload can neither write outside the build
// folder, nor read the bot's secrets, nor reach the network. ONE real kernel build per run: the
// state dir is the repo's .irqtriage/ (shared with kernel-build.slow.test.ts), so the O= dir and
// ccache are reused and only the changed Kconfig/Makefile are re-read.
const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const stateDir = path.join(repoRoot, ".irqtriage");
const fragment = path.join(repoRoot, "rules", "qemu", "kernel-x86_64.config");
const log = createLogger({ level: "info", name: "sandbox-slow-test" });
const { sandbox, probe } = await sandboxOrSkip("the sandboxed kernel build acceptance test");

const token = randomBytes(6).toString("hex");
const secrets = {
  IRQTRIAGE_SMTP_PASSWORD: `canary-smtp-${token}`,
  IRQTRIAGE_IMAP_PASSWORD: `canary-imap-${token}`,
  IRQTRIAGE_GITHUB_TOKEN: `canary-ghtoken-${token}`,
};

/** What an attacker's `$(shell ...)` would do: look around, dump the environment, write out, phone home. */
function payload(targets: string[], port: number): string {
  return [
    "# irqtriage sandbox canary (test/qemu/build-sandbox.slow.test.ts)",
    "where=$1",
    `ev="$PWD/irqtriage-canary-${token}-$where.txt"`,
    "{",
    '  echo "ran-as $(id -u):$(id -g) in $PWD"',
    '  echo "--- env"; env',
    "  echo '--- environ'; cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n'",
    ...targets.map((t) => `  if echo pwned > "${t}-$where" 2>/dev/null; then echo "wrote ${t}-$where"; else echo "blocked ${t}-$where"; fi`),
    '  if echo pwned > "${srctree:-/kbuild/src}/irqtriage-escaped-$where" 2>/dev/null; then echo SRC-WRITABLE; else echo src-read-only; fi',
    `  if bash -c 'echo hi > /dev/tcp/127.0.0.1/${port}' 2>/dev/null; then echo NET-CONNECTED; else echo net-blocked; fi`,
    "  if getent hosts example.org localhost >/dev/null 2>&1; then echo DNS-RESOLVED; else echo dns-blocked; fi",
    "  ls -a / /root /home 2>&1",
    '} > "$ev" 2>&1',
    "# and the environment into the build log",
    "echo IRQTRIAGE-CANARY-ENV-BEGIN >&2; env >&2; echo IRQTRIAGE-CANARY-ENV-END >&2",
    "echo y",
    "",
  ].join("\n");
}

let mirror = "";
let base = "";
let tmp = "";
let worktree = "";
let outsideDir = "";
let hostTmpTarget = "";
let homeTarget = "";
let server: net.Server | null = null;
let connections = 0;
let build: KernelBuild | null = null;
const savedEnv = { ...process.env };

beforeAll(async () => {
  if (!probe.ok) return;
  // The secrets the daemon would have, in the process that builds.
  Object.assign(process.env, secrets);
  server = net.createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((r) => server?.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;

  const out = execFileSync("bash", [path.join(repoRoot, "scripts", "make-linux-mirror.sh")], { encoding: "utf8" });
  mirror = out.trim().split("\n").at(-1) as string;
  base = execFileSync("git", ["rev-parse", "master"], { cwd: mirror, encoding: "utf8" }).trim();
  tmp = mkdtempSync(path.join(os.tmpdir(), "irqtriage-sandbox-build-"));
  // A folder the sandbox user could write on the host: only the sandbox keeps the payload out.
  outsideDir = mkdtempSync(path.join(os.tmpdir(), "irqtriage-canary-out-"));
  chmodSync(outsideDir, 0o777);
  hostTmpTarget = `/tmp/irqtriage-canary-${token}`;
  homeTarget = path.join(os.homedir(), `.irqtriage-canary-${token}`);

  // A sparse worktree, as the pipeline applies series: only the touched files on disk.
  worktree = path.join(tmp, "wt");
  const files = ["kernel/irq/Kconfig", "kernel/irq/Makefile"];
  execFileSync("git", ["worktree", "add", "--no-checkout", "--detach", "--quiet", worktree, base], { cwd: mirror });
  execFileSync("git", ["sparse-checkout", "set", "--no-cone", "--stdin"], { cwd: worktree, input: [...files, "kernel/irq/irqtriage-canary.sh"].map((f) => `/${f}\n`).join("") });
  execFileSync("git", ["read-tree", "-mu", "HEAD"], { cwd: worktree });
  const kconfig = path.join(worktree, "kernel/irq/Kconfig");
  writeFileSync(kconfig, readFileSync(kconfig, "utf8") + `\n# ${token}\nIRQTRIAGE_CANARY := $(shell,sh $(srctree)/kernel/irq/irqtriage-canary.sh kconfig)\n`);
  const makefile = path.join(worktree, "kernel/irq/Makefile");
  writeFileSync(makefile, readFileSync(makefile, "utf8") + `\n# ${token}\nirqtriage-canary := $(shell sh $(srctree)/kernel/irq/irqtriage-canary.sh make)\n`);
  writeFileSync(path.join(worktree, "kernel/irq/irqtriage-canary.sh"), payload([path.join(outsideDir, "canary"), hostTmpTarget, homeTarget, path.join(stateDir, `canary-${token}`)], port));

  build = await buildKernel({ worktree, mirror, base, stateDir, fragment, sandbox, log });
}, 1_800_000);

afterAll(() => {
  process.env = savedEnv;
  server?.close();
  if (worktree) execFileSync("git", ["worktree", "remove", "--force", worktree], { cwd: mirror, stdio: "ignore" });
  for (const d of [tmp, outsideDir]) if (d) rmSync(d, { recursive: true, force: true });
});

describe.runIf(probe.ok)("a Kconfig and a Makefile running $(shell ...) build inside the sandbox", () => {
  const evidence = (where: string): string => readFileSync(path.join(build?.buildDir ?? "", `irqtriage-canary-${token}-${where}.txt`), "utf8");

  it("builds like any other series, and both payloads ran (from the build folder, as the sandbox user)", () => {
    expect(build?.changedFiles).toEqual(["kernel/irq/Kconfig", "kernel/irq/Makefile", "kernel/irq/irqtriage-canary.sh"]);
    expect(existsSync(build?.image ?? "")).toBe(true);
    log.info({ ms: build?.ms, incremental: build?.incremental, uptime: os.loadavg() }, "sandboxed build with payloads");
    const uid = process.getuid?.() === 0 ? 65534 : process.getuid?.();
    for (const where of ["kconfig", "make"]) expect(evidence(where)).toMatch(new RegExp(`^ran-as ${uid}:\\d+ in /kbuild/out\\n`));
  });

  it("could not read the secrets: not in its environment, not in any process's, not in the build log", () => {
    for (const where of ["kconfig", "make"]) {
      const text = evidence(where);
      expect(text).toContain("--- env\n");
      expect(text).toContain("KBUILD_BUILD_USER=irqtriage");
      for (const v of Object.values(secrets)) expect(text).not.toContain(v);
      expect(text).not.toMatch(/IRQTRIAGE_(SMTP|IMAP)_PASSWORD|IRQTRIAGE_GITHUB_TOKEN|SSH_AUTH_SOCK/);
    }
    const buildLog = readFileSync(build?.logFile ?? "", "utf8");
    // The env dump did reach the log ...
    expect(buildLog).toContain("IRQTRIAGE-CANARY-ENV-BEGIN");
    expect(buildLog).toMatch(/^HOME=\/tmp$/m);
    // ... and it holds no secret, and no host path of the build.
    for (const v of Object.values(secrets)) expect(buildLog).not.toContain(v);
    expect(buildLog).not.toContain(stateDir);
  });

  it("could not write outside the build folder", () => {
    for (const where of ["kconfig", "make"]) {
      const text = evidence(where);
      expect(text).toContain("src-read-only");
      expect(text).not.toContain("SRC-WRITABLE");
      // Its own /tmp is private: the write "works" there and vanishes with the sandbox.
      expect(text).toContain(`blocked ${path.join(outsideDir, "canary")}-${where}`);
    }
    expect(readdirSync(outsideDir)).toEqual([]);
    for (const where of ["kconfig", "make"]) {
      expect(existsSync(`${hostTmpTarget}-${where}`)).toBe(false);
      expect(existsSync(`${homeTarget}-${where}`)).toBe(false);
      expect(existsSync(path.join(stateDir, `canary-${token}-${where}`))).toBe(false);
      expect(existsSync(path.join(build?.srcDir ?? "", `irqtriage-escaped-${where}`))).toBe(false);
    }
  });

  it("could not reach the network: not the loopback port the test listens on, not a resolver", () => {
    for (const where of ["kconfig", "make"]) {
      const text = evidence(where);
      expect(text).toContain("net-blocked");
      expect(text).toContain("dns-blocked");
    }
    expect(connections).toBe(0);
  });
});
