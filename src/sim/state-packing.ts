/**
 * The explorer's state layouts. Unpacked (what SimMachine works on): one int per device code,
 * virq slot code and the zombie count. Packed (what is stored and hashed): device codes use 15
 * bits, so two share one int; slot codes and the zombie count keep one int each. Fewer ints =
 * cheaper hashing, comparing and cache traffic.
 */
/** Bits of a device code (sim-machine.ts); two codes share one packed int. */
export const DEV_BITS = 15;
const DEV_MASK = (1 << DEV_BITS) - 1;

export function packedWidth(d: number, w: number): number {
  return ((d + 1) >> 1) + (w - d);
}

/** Packs `src` (d devices, width w) into `dst` from `off`. */
export function pack(src: Int32Array, dst: Int32Array, off: number, d: number, w: number): void {
  let j = off;
  let i = 0;
  for (; i + 1 < d; i += 2) dst[j++] = (src[i] as number) | ((src[i + 1] as number) << DEV_BITS);
  if (i < d) dst[j++] = src[i] as number;
  for (i = d; i < w; i++) dst[j++] = src[i] as number;
}

/** Unpacks the state at `src[off ..]` into `dst`. */
export function unpack(src: Int32Array, off: number, dst: Int32Array, d: number, w: number): void {
  let j = off;
  let i = 0;
  for (; i + 1 < d; i += 2) {
    const v = src[j++] as number;
    dst[i] = v & DEV_MASK;
    dst[i + 1] = v >>> DEV_BITS;
  }
  if (i < d) dst[i] = src[j++] as number;
  for (i = d; i < w; i++) dst[i] = src[j++] as number;
}

/**
 * Canonical representative under the counting abstraction: inside each group of interchangeable
 * devices (same class, same line) only the multiset of local states matters, so the group's
 * slice is sorted. Slots and globals refer to virq numbers and lines, never to device names.
 */
export function canonicalize(s: Int32Array, groups: ReadonlyArray<readonly [number, number]>): void {
  for (let g = 0; g < groups.length; g++) {
    const grp = groups[g] as readonly [number, number];
    const a = grp[0];
    const b = grp[1];
    for (let i = a + 1; i < b; i++) {
      const v = s[i] as number;
      let j = i - 1;
      while (j >= a && (s[j] as number) > v) {
        s[j + 1] = s[j] as number;
        j--;
      }
      s[j + 1] = v;
    }
  }
}

/** Only device `d` changed: move it to its sorted place inside its group [a, b). */
export function resort(s: Int32Array, d: number, a: number, b: number): void {
  const v = s[d] as number;
  let j = d;
  while (j > a && (s[j - 1] as number) > v) {
    s[j] = s[j - 1] as number;
    j--;
  }
  while (j + 1 < b && (s[j + 1] as number) < v) {
    s[j] = s[j + 1] as number;
    j++;
  }
  s[j] = v;
}
