import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { ExternalError } from "../../errors.js";
import { cpioNewc, listCpio, type CpioEntry, type CpioListing } from "../cpio-newc.js";
import { renderGuestInit } from "../guest-init.js";
import { resolveModules, type ModuleResolution } from "../resolve-modules.js";

export interface InitramfsOptions {
  /** Where to write the archive. */
  out: string;
  /** A static busybox; default /bin/busybox (Debian busybox-static). */
  busybox?: string;
  /** /lib/modules/<release> of the guest kernel, or null for a kernel without modules. */
  modulesDir: string | null;
  /** Modules the scenario needs (names); ignored when built in. */
  modules: readonly string[];
}

export interface InitramfsResult {
  path: string;
  bytes: number;
  modules: ModuleResolution;
  listing: CpioListing[];
}

function parents(p: string): string[] {
  const parts = p.split("/").filter(Boolean);
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join("/"));
  return out;
}

/**
 * Build the guest's initramfs: busybox, the scenario's modules with their dependencies (load
 * order from modules.dep), /dev/console (so init has a console before devtmpfs is mounted) and
 * the reporting /init. Written by our own newc writer, uncompressed: the kernel unpacks it
 * directly and there is nothing to gain from compressing 2-3 MB for a local boot.
 */
export async function buildInitramfs(opts: InitramfsOptions): Promise<InitramfsResult> {
  const busybox = opts.busybox ?? "/bin/busybox";
  if (!existsSync(busybox)) throw new ExternalError(`busybox not found at ${busybox} (install busybox-static)`, "busybox");
  let modules: ModuleResolution = { load: [], builtin: [], missing: [] };
  if (opts.modulesDir && opts.modules.length) {
    const dep = await readFile(path.join(opts.modulesDir, "modules.dep"), "utf8");
    const builtinFile = path.join(opts.modulesDir, "modules.builtin");
    const builtin = existsSync(builtinFile) ? await readFile(builtinFile, "utf8") : "";
    modules = resolveModules(opts.modules, dep, builtin);
  } else if (opts.modules.length) {
    // A kernel without a module tree: everything the scenario needs must be built in.
    modules = { load: [], builtin: [...opts.modules], missing: [] };
  }
  const entries: CpioEntry[] = [];
  const dirs = new Set<string>();
  const addDir = (d: string): void => {
    for (const p of [...parents(d + "/x")]) {
      if (!dirs.has(p)) {
        dirs.add(p);
        entries.push({ type: "dir", path: p });
      }
    }
  };
  for (const d of ["bin", "dev", "proc", "sys", "tmp", "lib/modules"]) addDir(d);
  entries.push({ type: "chardev", path: "dev/console", major: 5, minor: 1 });
  entries.push({ type: "chardev", path: "dev/null", major: 1, minor: 3, mode: 0o666 });
  entries.push({ type: "file", path: "bin/busybox", data: await readFile(busybox), mode: 0o755 });
  entries.push({ type: "symlink", path: "bin/sh", target: "busybox" });
  const guestPaths: string[] = [];
  for (const rel of modules.load) {
    const guest = `lib/modules/${rel}`;
    for (const p of parents(guest)) addDir(p);
    entries.push({ type: "file", path: guest, data: await readFile(path.join(opts.modulesDir ?? "", rel)) });
    guestPaths.push("/" + guest);
  }
  entries.push({ type: "file", path: "init", data: Buffer.from(renderGuestInit({ modules: guestPaths })), mode: 0o755 });
  const archive = cpioNewc(entries);
  await writeFile(opts.out, archive);
  return { path: opts.out, bytes: archive.length, modules, listing: listCpio(archive) };
}
