/**
 * Visited-state set for the explorer: fixed-width Int32 states in one growing arena, an
 * open-addressing hash table of (index + 1, hash, second hash) triples, and BFS parent links. No
 * per-state objects or strings, which is what makes millions of states per second possible in
 * JavaScript. The arena order IS the BFS queue: state i is expanded at step i.
 * Two states are the same when their 64-bit fingerprints (both hashes) are equal, as in TLC;
 * the chance of a false merge is about n^2 / 2^65 (3e-8 for a million states). `exact` (the
 * default) also compares the stored ints: one more cache miss per duplicate, ~15% slower here.
 * (Tried: states stored inline in the table; slower here, the table gets too big to zero and grow.)
 */
export class StateStore {
  count = 0;
  /** States back to back, `width` ints each (read-only outside). */
  arena: Int32Array;
  private table: Int32Array;
  private mask: number;
  parent: Int32Array;
  via: Int32Array;
  /** Hash of each state, so that growing re-inserts without re-reading the arena. */
  private hashes: Int32Array;
  private hashes2: Int32Array;

  constructor(
    readonly width: number,
    initialCapacity = 1 << 16,
    readonly exact = true,
  ) {
    this.arena = new Int32Array(initialCapacity * width);
    this.parent = new Int32Array(initialCapacity);
    this.via = new Int32Array(initialCapacity);
    this.hashes = new Int32Array(initialCapacity);
    this.hashes2 = new Int32Array(initialCapacity);
    this.table = new Int32Array(initialCapacity * 6);
    this.mask = initialCapacity * 2 - 1;
  }

  private hash2(a: Int32Array): number {
    let h = 0x9747b28c | 0;
    for (let i = 0; i < this.width; i++) {
      h = Math.imul(h ^ (a[i] as number), 0x5bd1e995);
      h ^= h >>> 13;
    }
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    return h ^ (h >>> 12);
  }

  private hash(a: Int32Array, off: number): number {
    let h = 0x811c9dc5 | 0;
    for (let i = 0; i < this.width; i++) h = Math.imul(h ^ (a[off + i] as number), 0x01000193);
    // murmur3 fmix32: the low bits index the table, so every input bit must reach them.
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h;
  }

  /** Adds `s` (copied) unless present; returns its new index, or -1 when already visited. */
  add(s: Int32Array, parent: number, via: number): number {
    const w = this.width;
    const h = this.hash(s, 0);
    const h2 = this.hash2(s);
    const table = this.table;
    const mask = this.mask;
    let slot = h & mask;
    for (;;) {
      const t = slot * 3;
      const e = table[t] as number;
      if (e === 0) break;
      if (table[t + 1] === h && table[t + 2] === h2) {
        if (!this.exact) return -1;
        const arena = this.arena;
        const off = (e - 1) * w;
        let same = true;
        for (let i = 0; i < w; i++) {
          if (arena[off + i] !== s[i]) {
            same = false;
            break;
          }
        }
        if (same) return -1;
      }
      slot = (slot + 1) & mask;
    }
    const idx = this.count;
    if (idx >= this.parent.length) {
      this.grow();
      return this.add(s, parent, via);
    }
    this.arena.set(s, idx * w);
    this.parent[idx] = parent;
    this.via[idx] = via;
    this.hashes[idx] = h;
    this.hashes2[idx] = h2;
    const t = slot * 3;
    table[t] = idx + 1;
    table[t + 1] = h;
    table[t + 2] = h2;
    this.count = idx + 1;
    return idx;
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
    this.hashes = grown(this.hashes, cap);
    this.hashes2 = grown(this.hashes2, cap);
    const table = new Int32Array(cap * 6);
    const mask = cap * 2 - 1;
    for (let i = 0; i < this.count; i++) {
      const h = this.hashes[i] as number;
      let slot = h & mask;
      while (table[slot * 3] !== 0) slot = (slot + 1) & mask;
      table[slot * 3] = i + 1;
      table[slot * 3 + 1] = h;
      table[slot * 3 + 2] = this.hashes2[i] as number;
    }
    this.table = table;
    this.mask = mask;
  }
}
