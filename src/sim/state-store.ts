/**
 * Visited-state set for the explorer: fixed-width Int32 states in one growing arena, an
 * open-addressing hash table of fingerprints (two 32-bit hashes), and BFS parent links. No
 * per-state objects or strings, which is what makes millions of states per second possible in
 * JavaScript. The arena order IS the BFS queue: state i is expanded at step i.
 *
 * Two states are the same when their 64-bit fingerprints (both hashes) are equal, as in TLC; the
 * chance of any false merge is about n^2 / 2^65 (3e-8 for a million states, 4e-5 for 40 million).
 * `exact` also compares the stored ints. The explorer looks a batch's candidates up in
 * generation order; the exact comparison reads the arena at random and costs about as much as
 * all the rest of a lookup. (Tried: states stored inline in the table; slower here, the table
 * gets too big to zero and grow. Tried: a read-only pass over each batch in table-slot order
 * before the in-order inserts, to turn random probes into a forward sweep; 20-30 % more CPU for
 * 7 devices plain, the table sits in the processor's large L3 anyway.)
 */
export class StateStore {
  count = 0;
  /** States back to back, `width` ints each (read-only outside). */
  arena: Int32Array;
  parent: Int32Array;
  via: Int32Array;
  /**
   * Open addressing, two ints per slot: the state's two hashes (its fingerprint; a second hash
   * of 0 is stored as 1, and (0, 0) marks an empty slot). No index: a duplicate needs none, and
   * 8-byte slots keep the table of a few million states inside the processor's cache.
   */
  private table: Int32Array;
  /** Arena index + 1 per slot, only for `exact` (which compares the stored ints). */
  private tableIdx: Int32Array | null;
  private mask: number;
  /** log2 of the number of table slots (the explorer sorts lookups by slot). */
  tableBits: number;

  constructor(
    readonly width: number,
    initialCapacity = 1 << 16,
    readonly exact = false,
  ) {
    const cap = 1 << Math.max(4, Math.ceil(Math.log2(initialCapacity)));
    this.arena = new Int32Array(cap * width);
    this.parent = new Int32Array(cap);
    this.via = new Int32Array(cap);
    const slots = cap * 2;
    this.table = new Int32Array(slots * 2);
    this.tableIdx = exact ? new Int32Array(slots) : null;
    this.mask = slots - 1;
    this.tableBits = Math.log2(slots);
  }

  get capacity(): number {
    return this.parent.length;
  }

  /** Table slot of a state with first hash `h` (valid until the next reserve()). */
  slotOf(h: number): number {
    return h & this.mask;
  }

  /** Makes room for `n` more states, so that slots stay valid while they are inserted. */
  reserve(n: number): void {
    while (this.count + n > this.parent.length) this.grow();
  }

  /**
   * Adds the state at `buf[off .. off + width)` (copied) with its two hashes unless present;
   * returns its new index, or -1 when already visited. The caller has reserved room.
   */
  insert(buf: Int32Array, off: number, h: number, h2in: number, parent: number, via: number): number {
    const h2 = h2in === 0 ? 1 : h2in;
    const w = this.width;
    const table = this.table;
    const mask = this.mask;
    let slot = h & mask;
    for (;;) {
      const t = slot << 1;
      const e2 = table[t + 1] as number;
      if (e2 === 0) break;
      if (e2 === h2 && table[t] === h) {
        const idx = this.tableIdx;
        if (idx === null) return -1;
        const arena = this.arena;
        const at = ((idx[slot] as number) - 1) * w;
        let same = true;
        for (let i = 0; i < w; i++) {
          if (arena[at + i] !== buf[off + i]) {
            same = false;
            break;
          }
        }
        if (same) return -1;
      }
      slot = (slot + 1) & mask;
    }
    const idx = this.count;
    const arena = this.arena;
    const at = idx * w;
    for (let i = 0; i < w; i++) arena[at + i] = buf[off + i] as number;
    this.parent[idx] = parent;
    this.via[idx] = via;
    table[slot << 1] = h;
    table[(slot << 1) + 1] = h2;
    if (this.tableIdx !== null) this.tableIdx[slot] = idx + 1;
    this.count = idx + 1;
    return idx;
  }

  /** Adds `s` unless present (one state, not batched); returns its index or -1. */
  add(s: Int32Array, parent: number, via: number): number {
    this.reserve(1);
    return this.insert(s, 0, stateHash(s, 0, this.width), stateHash2(s, 0, this.width), parent, via);
  }

  /** Copies state `idx` into `out`. */
  load(idx: number, out: Int32Array): void {
    const off = idx * this.width;
    const a = this.arena;
    for (let i = 0; i < this.width; i++) out[i] = a[off + i] as number;
  }

  /** Path of state indices from the initial state to `idx` (inclusive). */
  path(idx: number): number[] {
    const p: number[] = [];
    for (let i = idx; i >= 0; i = this.parent[i] as number) p.push(i);
    return p.reverse();
  }

  private grow(): void {
    const cap = this.parent.length * 2;
    const grown = (a: Int32Array, n: number): Int32Array => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.arena = grown(this.arena, cap * this.width);
    this.parent = grown(this.parent, cap);
    this.via = grown(this.via, cap);
    // Re-insert by walking the old table in slot order, not the states in index order: an
    // entry's new home is its old one or that plus the old size, so the writes sweep the new
    // table in two forward streams instead of landing at random (a cache miss per state).
    const slots = cap * 2;
    const table = new Int32Array(slots * 2);
    const tableIdx = this.exact ? new Int32Array(slots) : null;
    const mask = slots - 1;
    const old = this.table;
    const oldIdx = this.tableIdx;
    const oldSlots = old.length >> 1;
    for (let o = 0; o < oldSlots; o++) {
      const h2 = old[(o << 1) + 1] as number;
      if (h2 === 0) continue;
      const h = old[o << 1] as number;
      let slot = h & mask;
      while (table[(slot << 1) + 1] !== 0) slot = (slot + 1) & mask;
      table[slot << 1] = h;
      table[(slot << 1) + 1] = h2;
      if (tableIdx !== null && oldIdx !== null) tableIdx[slot] = oldIdx[o] as number;
    }
    this.table = table;
    this.tableIdx = tableIdx;
    this.mask = mask;
    this.tableBits = Math.log2(slots);
  }
}

/** First hash (FNV-1a over ints, murmur3 fmix32): its low bits index the table. */
export function stateHash(a: Int32Array, off: number, w: number): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < w; i++) h = Math.imul(h ^ (a[off + i] as number), 0x01000193);
  return finishHash(h);
}

/** murmur3 fmix32: the low bits index the table, so every input bit must reach them. */
export function finishHash(x: number): number {
  let h = x ^ (x >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Second, independent hash: with the first, a 64-bit fingerprint. */
export function stateHash2(a: Int32Array, off: number, w: number): number {
  let h = 0x9747b28c | 0;
  for (let i = 0; i < w; i++) {
    h = Math.imul(h ^ (a[off + i] as number), 0x5bd1e995);
    h ^= h >>> 13;
  }
  return finishHash2(h);
}

export function finishHash2(x: number): number {
  const h = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d);
  return h ^ (h >>> 12);
}
