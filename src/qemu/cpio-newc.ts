/**
 * A minimal writer (and reader, for tests and `--list`) of the cpio "newc" format the kernel
 * unpacks as an initramfs. Pure: entries in, bytes out.
 */
export type CpioEntry =
  | { type: "dir"; path: string; mode?: number }
  | { type: "file"; path: string; data: Uint8Array; mode?: number }
  | { type: "symlink"; path: string; target: string }
  | { type: "chardev"; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

function header(f: {
  ino: number;
  mode: number;
  nlink: number;
  size: number;
  rmaj?: number;
  rmin?: number;
  nameSize: number;
}): string {
  return (
    "070701" +
    [f.ino, f.mode, 0, 0, f.nlink, 0, f.size, 0, 0, f.rmaj ?? 0, f.rmin ?? 0, f.nameSize, 0].map(hex8).join("")
  );
}

/** Serialize entries (parents must come before children) into a newc archive with trailer. */
export function cpioNewc(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  const push = (name: string, mode: number, nlink: number, data: Uint8Array, rmaj = 0, rmin = 0): void => {
    const nameBuf = Buffer.from(name + "\0", "utf8");
    const h = Buffer.from(header({ ino: ino++, mode, nlink, size: data.length, rmaj, rmin, nameSize: nameBuf.length }), "ascii");
    parts.push(h, nameBuf, Buffer.alloc(pad4(h.length + nameBuf.length)), Buffer.from(data), Buffer.alloc(pad4(data.length)));
  };
  for (const e of entries) {
    const name = e.path.replace(/^\/+/, "");
    if (!name || name.split("/").includes("..")) throw new Error(`bad cpio path ${JSON.stringify(e.path)}`);
    switch (e.type) {
      case "dir":
        push(name, S_IFDIR | (e.mode ?? 0o755), 2, new Uint8Array());
        break;
      case "file":
        push(name, S_IFREG | (e.mode ?? 0o644), 1, e.data);
        break;
      case "symlink":
        push(name, S_IFLNK | 0o777, 1, Buffer.from(e.target, "utf8"));
        break;
      case "chardev":
        push(name, S_IFCHR | (e.mode ?? 0o600), 1, new Uint8Array(), e.major, e.minor);
        break;
    }
  }
  push("TRAILER!!!", 0, 1, new Uint8Array());
  return Buffer.concat(parts);
}

export interface CpioListing {
  path: string;
  mode: number;
  size: number;
  type: "dir" | "file" | "symlink" | "chardev" | "other";
}

/** Read back a newc archive's table of contents (stops at the trailer). */
export function listCpio(buf: Uint8Array): CpioListing[] {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: CpioListing[] = [];
  let off = 0;
  while (off + 110 <= b.length) {
    const magic = b.toString("ascii", off, off + 6);
    if (magic !== "070701" && magic !== "070702") throw new Error(`bad cpio magic at ${off}`);
    const field = (i: number): number => parseInt(b.toString("ascii", off + 6 + i * 8, off + 14 + i * 8), 16);
    const mode = field(1);
    const size = field(6);
    const nameSize = field(11);
    const nameStart = off + 110;
    const name = b.toString("utf8", nameStart, nameStart + nameSize - 1);
    const dataStart = nameStart + nameSize + pad4(110 + nameSize);
    if (name === "TRAILER!!!") break;
    const fmt = mode & 0o170000;
    const type = fmt === S_IFDIR ? "dir" : fmt === S_IFREG ? "file" : fmt === S_IFLNK ? "symlink" : fmt === S_IFCHR ? "chardev" : "other";
    out.push({ path: name, mode: mode & 0o7777, size, type });
    off = dataStart + size + pad4(size);
  }
  return out;
}
