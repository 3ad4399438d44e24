/**
 * The kernel release ("6.1.0-56-cloud-amd64") of an x86 bzImage, read from its setup header:
 * the 16-bit `kernel_version` field at 0x20e points (relative to 0x200) at the version string.
 * Pure; returns null when the bytes are not a bzImage with that header.
 */
export function bzImageRelease(img: Uint8Array): string | null {
  const b = Buffer.from(img.buffer, img.byteOffset, img.byteLength);
  if (b.length < 0x210 || b.toString("ascii", 0x202, 0x206) !== "HdrS") return null;
  const at = b.readUInt16LE(0x20e) + 0x200;
  if (at >= b.length) return null;
  const end = b.indexOf(0, at);
  const text = b.toString("ascii", at, end < 0 ? Math.min(b.length, at + 256) : end);
  const release = text.split(" ")[0] ?? "";
  return /^[0-9A-Za-z._+-]+$/.test(release) ? release : null;
}
