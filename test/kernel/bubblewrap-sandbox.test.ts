import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkSandboxEnv, SandboxUnavailableError, type SandboxCommand, type SandboxLimits } from "../../src/kernel/build-sandbox.js";
import { bwrapArgs, type BwrapHost } from "../../src/kernel/bwrap-args.js";
import { sandboxOrSkip } from "../support/sandbox-or-skip.js";

const limits: SandboxLimits = { timeoutMs: 20_000, memoryBytes: 1 << 30, maxProcesses: 256, maxFileBytes: null, tmpBytes: 16 << 20 };

describe("bwrapArgs (pure)", () => {
  const host: BwrapHost = {
    bwrap: "/usr/bin/bwrap",
    setpriv: "/usr/bin/setpriv",
    prlimit: "/usr/bin/prlimit",
    system: [{ path: "/bin", symlink: "usr/bin" }],
    etc: ["/etc/alternatives"],
    disableUserns: true,
    user: { uid: 65534, gid: 65534, groups: [], switchUser: true },
  };
  const cmd: SandboxCommand = {
    argv: ["make", "bzImage"],
    cwd: "/kbuild/out",
    env: { PATH: "/usr/bin:/bin", KBUILD_BUILD_USER: "irqtriage" },
    mounts: [
      { host: "/s/src", at: "/kbuild/src", writable: false },
      { host: "/s/out", at: "/kbuild/out", writable: true },
    ],
    files: [{ host: "/s/frag", at: "/kbuild/fragment.config" }],
    limits: { ...limits, maxFileBytes: 1 << 30 },
  };

  it("as root: setpriv to the sandbox user first, then bwrap with every namespace, an empty environment and rlimits", () => {
    const { file, args } = bwrapArgs(cmd, host, [3]);
    expect(file).toBe("/usr/bin/setpriv");
    const s = args.join(" ");
    expect(s).toMatch(/^--reuid 65534 --regid 65534 --clear-groups .*--pdeathsig KILL -- \/usr\/bin\/bwrap /);
    for (const flag of ["--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session", "--clearenv", "--cap-drop ALL"]) expect(s).toContain(flag);
    expect(s).toContain("--setenv PATH /usr/bin:/bin --setenv KBUILD_BUILD_USER irqtriage");
    expect(s).toContain("--ro-bind /s/src /kbuild/src");
    expect(s).toContain("--bind /s/out /kbuild/out");
    expect(s).toContain("--perms 0444 --ro-bind-data 3 /kbuild/fragment.config");
    expect(s).toContain(`--size ${16 << 20} --tmpfs /tmp`);
    expect(s).toContain("--dev /dev --proc /proc");
    expect(s).not.toContain("--share-net");
    expect(s).toMatch(/--chdir \/kbuild\/out -- \/usr\/bin\/prlimit --as=1073741824 --nproc=256 --fsize=1073741824 --core=0 -- make bzImage$/);
    // Only these paths of the host: /usr, the merged-usr symlink, /etc/alternatives and the mounts.
    const binds = [...s.matchAll(/--(?:ro-)?bind(?:-try)? (\S+) /g)].map((m) => m[1]);
    expect(binds).toEqual(["/usr", "/etc/alternatives", "/s/src", "/s/out"]);
  });

  it("not root: bwrap itself, no user switch; the device's group when asked", () => {
    const { file, args } = bwrapArgs({ ...cmd, devices: ["/dev/kvm"] }, { ...host, user: { uid: 1000, gid: 1000, groups: [], switchUser: false } }, [3]);
    expect(file).toBe("/usr/bin/bwrap");
    expect(args).toContain("--dev-bind");
    expect(args.join(" ")).toContain("--uid 1000 --gid 1000");
    const root = bwrapArgs({ ...cmd, devices: ["/dev/kvm"] }, { ...host, user: { ...host.user, groups: [107] } }, [3]);
    expect(root.args.slice(0, 6)).toEqual(["--reuid", "65534", "--regid", "65534", "--groups", "107"]);
  });

  it("refuses secrets and stray names in the environment, and relative or odd paths", () => {
    expect(() => checkSandboxEnv({ IRQTRIAGE_SMTP_PASSWORD: "x" })).toThrow(/IRQTRIAGE_SMTP_PASSWORD is not allowed/);
    expect(() => checkSandboxEnv({ GITHUB_TOKEN: "x" })).toThrow(/not allowed/);
    expect(() => bwrapArgs({ ...cmd, env: { ...cmd.env, IRQTRIAGE_GITHUB_TOKEN: "t" } }, host, [3])).toThrow(/not allowed/);
    expect(() => bwrapArgs({ ...cmd, mounts: [{ host: "rel/out", at: "/o", writable: true }] }, host, [3])).toThrow(/absolute/);
    expect(() => bwrapArgs({ ...cmd, mounts: [{ host: "/s/../etc", at: "/o", writable: true }] }, host, [3])).toThrow(/absolute/);
  });
});

const { sandbox, probe } = await sandboxOrSkip("the bubblewrap sandbox tests");
const root = process.getuid?.() === 0;

describe.runIf(probe.ok)("BubblewrapSandbox (real bwrap)", () => {
  let tmp = "";
  let out = "";
  const canary = `canary-${randomBytes(8).toString("hex")}`;
  const saved = { ...process.env };

  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), "irqtriage-sandbox-test-"));
    // The sandbox user must reach the mounts; a temp dir is 0700 (root's, when root).
    chmodSync(tmp, 0o711);
    out = path.join(tmp, "out");
    process.env["IRQTRIAGE_SMTP_PASSWORD"] = canary;
    process.env["IRQTRIAGE_IMAP_PASSWORD"] = canary;
    process.env["IRQTRIAGE_GITHUB_TOKEN"] = canary;
  });
  afterAll(() => {
    process.env = saved;
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const sh = (script: string, extra: Partial<SandboxCommand> = {}): SandboxCommand => ({
    argv: ["sh", "-c", script],
    cwd: "/out",
    env: { PATH: "/usr/bin:/bin", HOME: "/tmp", LC_ALL: "C" },
    mounts: [{ host: out, at: "/out", writable: true }],
    limits,
    ...extra,
  });

  it("runs as the unprivileged user with exactly the given environment, and no secret anywhere", async () => {
    // pid 1 is bwrap's reaper: its environment is the launcher's (PATH only), also free of secrets.
    const r = await sandbox.run(sh("id -u; echo ENV; env | sort; echo END; cat /proc/1/environ /proc/self/environ | tr '\\0' '\\n'; echo written > /out/f"));
    expect(r.code, r.tail).toBe(0);
    const lines = r.tail.trim().split("\n");
    const want = root ? 65534 : process.getuid?.();
    expect(lines[0]).toBe(String(want));
    const env = lines.slice(lines.indexOf("ENV") + 1, lines.indexOf("END")).filter((l) => !/^(PWD|SHLVL|_)=/.test(l));
    expect(env).toEqual(["HOME=/tmp", "LC_ALL=C", "PATH=/usr/bin:/bin"]);
    expect(r.tail).not.toContain(canary);
    // The file it wrote belongs to the sandbox user on the host too (not root in disguise).
    expect(statSync(path.join(out, "f")).uid).toBe(want);
  });

  it("sees no host path but its mounts: read-only where asked, a private /tmp, no home", async () => {
    const src = path.join(tmp, "src");
    mkdirSync(src);
    writeFileSync(path.join(src, "a.c"), "int a;\n");
    const outside = path.join(tmp, `outside-${randomBytes(4).toString("hex")}`);
    const hostTmp = `/tmp/irqtriage-sandbox-${randomBytes(6).toString("hex")}`;
    const r = await sandbox.run(
      sh(
        [
          "cat /src/a.c",
          "touch /src/b.c 2>/dev/null && echo SRC-WRITABLE",
          `touch ${outside} 2>/dev/null && echo OUTSIDE-WRITABLE`,
          `touch ${hostTmp} && echo private-tmp-ok`,
          `ls ${JSON.stringify(os.homedir())} 2>/dev/null && echo HOME-VISIBLE`,
          "ls /etc",
          "ls /",
        ].join("; "),
        { mounts: [{ host: out, at: "/out", writable: true }, { host: src, at: "/src", writable: false }] },
      ),
    );
    expect(r.tail).toContain("int a;");
    expect(r.tail).not.toContain("SRC-WRITABLE");
    expect(r.tail).not.toContain("OUTSIDE-WRITABLE");
    expect(r.tail).not.toContain("HOME-VISIBLE");
    expect(r.tail).toContain("private-tmp-ok");
    expect(existsSync(hostTmp)).toBe(false);
    expect(existsSync(outside)).toBe(false);
    expect(existsSync(path.join(src, "b.c"))).toBe(false);
    expect(r.tail).toContain("alternatives");
    expect(r.tail).not.toMatch(/\bshadow\b|\bpasswd\b/);
  });

  it("has no network: a loopback port the test listens on stays untouched", async () => {
    let connections = 0;
    const server = net.createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const r = await sandbox.run(sh(`bash -c 'echo hi > /dev/tcp/127.0.0.1/${port}' 2>&1 && echo CONNECTED; getent hosts localhost example.org || echo no-resolve; cat /proc/net/dev | tail -n +3 | cut -d: -f1`));
      expect(r.tail).not.toContain("CONNECTED");
      expect(r.tail).toContain("no-resolve");
      expect(r.tail.trim().split("\n").at(-1)?.trim()).toBe("lo");
      expect(connections).toBe(0);
    } finally {
      server.close();
    }
  });

  it("kills everything inside at the time limit", async () => {
    const tag = `${1000 + Math.floor(Math.random() * 1000)}.${randomBytes(2).readUInt16BE(0)}`;
    const t0 = Date.now();
    const r = await sandbox.run(sh(`sleep ${tag} & sleep ${tag}; wait`, { limits: { ...limits, timeoutMs: 700 } }));
    expect(r.stopped).toBe("timeout");
    expect(Date.now() - t0).toBeLessThan(10_000);
    await new Promise((res) => setTimeout(res, 300));
    const left = readdirSync("/proc").filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, "utf8").includes(`sleep\0${tag}`);
      } catch {
        return false;
      }
    });
    expect(left).toEqual([]);
  });

  it("stops an abort like a timeout, as 'aborted'", async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const r = await sandbox.run(sh("sleep 30"), { signal: ac.signal });
    expect(r.stopped).toBe("aborted");
  });

  it("holds each process to the memory and process limits", async () => {
    const mem = await sandbox.run(sh(`perl -e '$x = "a" x (600 * 1024 * 1024); print "ALLOCATED\\n"' 2>&1; echo rc=$?`, { limits: { ...limits, memoryBytes: 256 << 20 } }));
    expect(mem.tail).not.toContain("ALLOCATED");
    expect(mem.tail).toMatch(/Out of memory/i);
    const procs = await sandbox.run(sh("for i in $(seq 60); do sleep 2 & done; wait; echo done", { limits: { ...limits, maxProcesses: 16 } }));
    expect(procs.tail).toMatch(/Cannot fork|Resource temporarily unavailable/);
  });

  it("hands files over as read-only copies and extra pipes to plan()", async () => {
    const secretDir = path.join(tmp, "private");
    mkdirSync(secretDir, { mode: 0o700 });
    const f = path.join(secretDir, "fragment.config");
    writeFileSync(f, "CONFIG_FOO=y\n");
    const plan = await sandbox.plan(sh("cat /in/fragment.config >&3; echo x > /in/fragment.config 2>/dev/null && echo WRITABLE >&3; exit 0", { files: [{ host: f, at: "/in/fragment.config" }] }), { pipes: 1 });
    const child = spawn(plan.file, plan.args, { env: plan.env, stdio: ["ignore", "pipe", "pipe", ...plan.stdio] });
    plan.close();
    let got = "";
    (child.stdio[3] as NodeJS.ReadableStream).on("data", (c: Buffer) => (got += c.toString()));
    await new Promise((r) => child.once("close", r));
    expect(got).toBe("CONFIG_FOO=y\n");
    expect(readFileSync(f, "utf8")).toBe("CONFIG_FOO=y\n");
  });

  it.runIf(root)("as root: refuses a mount the sandbox user cannot reach, naming the folder", async () => {
    const hidden = path.join(tmp, "hidden");
    mkdirSync(path.join(hidden, "out"), { recursive: true, mode: 0o700 });
    chmodSync(hidden, 0o700);
    const err = await sandbox.run(sh("true", { mounts: [{ host: path.join(hidden, "out"), at: "/out", writable: true }] })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxUnavailableError);
    expect((err as Error).message).toContain(`${hidden} is mode 0700`);
  });
});
