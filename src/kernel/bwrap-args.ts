import { checkSandboxEnv, type SandboxCommand } from "./build-sandbox.js";

/** What the host offers the sandbox (found by the implementation; pure data here). */
export interface BwrapHost {
  bwrap: string;
  /** setpriv, used to switch to the sandbox user when irqtriage runs as root. */
  setpriv: string;
  /** prlimit as the sandbox sees it (under the read-only /usr). */
  prlimit: string;
  /** Top-level system paths besides /usr: merged-usr symlinks (/bin -> usr/bin) or real folders. */
  system: ReadonlyArray<{ path: string; symlink: string | null }>;
  /** Files and folders of /etc the tools need (alternatives for awk/cc, ld.so.cache); bound if present. */
  etc: readonly string[];
  /** bubblewrap >= 0.8: no nested user namespaces inside. */
  disableUserns: boolean;
  user: SandboxUser;
}

export interface SandboxUser {
  uid: number;
  gid: number;
  /** Supplementary groups (the kvm group for QEMU); empty = none. */
  groups: readonly number[];
  /**
   * irqtriage runs as root: switch to uid/gid with setpriv before bwrap. Non-setuid bwrap maps
   * only its caller's own uid into the sandbox, so `bwrap --uid 65534` run by root is still uid 0
   * on the host's files; the switch has to happen before bwrap.
   */
  switchUser: boolean;
}

function absolute(p: string, what: string): string {
  if (!p.startsWith("/") || p.split("/").includes("..") || /[\0\n]/.test(p)) throw new Error(`sandbox ${what} must be a plain absolute path: ${JSON.stringify(p)}`);
  return p;
}

/**
 * The host command line that runs `cmd` in bubblewrap: new user, pid, net, ipc, uts and cgroup
 * namespaces (so no network but a loopback that is down), an empty fixed environment, the sandbox
 * user, /usr and the few /etc entries read-only, a minimal /dev, a /proc of its own pid namespace,
 * a private /tmp, the caller's mounts, and rlimits set by prlimit on the first process inside (every
 * later process inherits them). `fileFds[i]` is the host fd (as the child sees it) of cmd.files[i].
 */
export function bwrapArgs(cmd: SandboxCommand, host: BwrapHost, fileFds: readonly number[]): { file: string; args: string[] } {
  checkSandboxEnv(cmd.env);
  const files = cmd.files ?? [];
  if (fileFds.length !== files.length) throw new Error("one fd per sandbox file");
  const u = host.user;
  const b: string[] = [
    "--unshare-all",
    "--unshare-user",
    "--uid",
    String(u.uid),
    "--gid",
    String(u.gid),
    ...(host.disableUserns ? ["--disable-userns"] : []),
    "--die-with-parent",
    "--new-session",
    "--hostname",
    "irqtriage",
    "--cap-drop",
    "ALL",
    "--clearenv",
  ];
  for (const [k, v] of Object.entries(cmd.env)) b.push("--setenv", k, v);
  b.push("--ro-bind", "/usr", "/usr");
  for (const s of host.system) {
    if (s.symlink !== null) b.push("--symlink", s.symlink, absolute(s.path, "system path"));
    else b.push("--ro-bind", absolute(s.path, "system path"), s.path);
  }
  for (const e of host.etc) b.push("--ro-bind-try", absolute(e, "etc path"), e);
  b.push("--dev", "/dev", "--proc", "/proc", "--size", String(cmd.limits.tmpBytes), "--tmpfs", "/tmp");
  for (const d of cmd.devices ?? []) b.push("--dev-bind", absolute(d, "device"), d);
  for (const m of cmd.mounts) b.push(m.writable ? "--bind" : "--ro-bind", absolute(m.host, "mount"), absolute(m.at, "mount point"));
  files.forEach((f, i) => b.push("--perms", "0444", "--ro-bind-data", String(fileFds[i]), absolute(f.at, "file")));
  b.push("--chdir", absolute(cmd.cwd, "cwd"), "--");
  const l = cmd.limits;
  const limits = [
    ...(l.memoryBytes !== null ? [`--as=${l.memoryBytes}`] : []),
    ...(l.maxProcesses !== null ? [`--nproc=${l.maxProcesses}`] : []),
    ...(l.maxFileBytes !== null ? [`--fsize=${l.maxFileBytes}`] : []),
    "--core=0",
  ];
  b.push(host.prlimit, ...limits, "--", ...cmd.argv);
  if (!u.switchUser) return { file: host.bwrap, args: b };
  const groups = u.groups.length ? ["--groups", u.groups.join(",")] : ["--clear-groups"];
  return {
    file: host.setpriv,
    args: [
      "--reuid",
      String(u.uid),
      "--regid",
      String(u.gid),
      ...groups,
      "--inh-caps=-all",
      "--bounding-set=-all",
      "--no-new-privs",
      // Set after the uid switch (setpriv applies it last), so it survives it: bwrap dies with us.
      "--pdeathsig",
      "KILL",
      "--",
      host.bwrap,
      ...b,
    ],
  };
}
