/**
 * Visited-state set for the explorer: fixed-width Int32 states in one growing arena, an
 * open-addressing hash table of indices, and BFS parent links. No per-state objects or strings,
 * which is what makes millions of states per second possible in JavaScript.
 * The arena order IS the BFS queue: state i is expanded at step i.
 */
export class StateStore {
  count = 0;
  private arena: Int32Array;
  private table: Int32Array;
  private mask: number;
  parent: Int32Array;
  via: Int32Array;

  constructor(readonly width: number, initialCapacity = 1 << 16) {
    this.arena = new Int32Array(initialCapacity * width);
    this.parent = new Int32Array(initialCapacity);
    this.via = new Int32Array(initialCapacity);
    this.table = new Int32Array(initialCapacity * 2);
    this.mask = initialCapacity * 2 - 1;
  }

  private hash(a: Int32Array, off: number): number {
    let h = 0x811c9dc5 | 0;
    for (let i = 0; i < this.width; i++) {
      h = Math.imul(h ^ (a[off + i] as number), 0x01000193);
    }
    // murmur3 fmix32: the low bits index the table, so every input bit must reach them.
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h;
  }

  /** Adds `s` (copied) unless present; returns its new index, or -1 when already visited. */
  probes = 0;

  add(s: Int32Array, parent: number, via: number): number {
    const w = this.width;
    let slot = this.hash(s, 0) & this.mask;
    const arena = this.arena;
    for (;;) {
      const e = this.table[slot] as number;
      if (e === 0) break;
      const off = (e - 1) * w;
      let same = true;
      for (let i = 0; i < w; i++) {
        if (arena[off + i] !== s[i]) {
          same = false;
          break;
        }
      }
      if (same) return -1;
      slot = (slot + 1) & this.mask;
      this.probes++;
    }
    const idx = this.count;
    if (idx >= this.parent.length) {
      this.grow();
      return this.add(s, parent, via);
    }
    this.arena.set(s, idx * w);
    this.parent[idx] = parent;
    this.via[idx] = via;
    this.table[slot] = idx + 1;
    this.count = idx + 1;
    return idx;
  }

  /** Copies state `idx` into `out`. */
  load(idx: number, out: Int32Array): void {
    const off = idx * this.width;
    out.set(this.arena.subarray(off, off + this.width));
  }

  /** Path of state indices from the initial state to `idx` (inclusive). */
  path(idx: number): number[] {
    const p: number[] = [];
    for (let i = idx; i >= 0; i = this.parent[i] as number) p.push(i);
    return p.reverse();
  }

  private grow(): void {
    const cap = this.parent.length * 2;
    const arena = new Int32Array(cap * this.width);
    arena.set(this.arena);
    this.arena = arena;
    const parent = new Int32Array(cap);
    parent.set(this.parent);
    this.parent = parent;
    const via = new Int32Array(cap);
    via.set(this.via);
    this.via = via;
    this.table = new Int32Array(cap * 2);
    this.mask = cap * 2 - 1;
    const w = this.width;
    for (let i = 0; i < this.count; i++) {
      let slot = this.hash(this.arena, i * w) & this.mask;
      while (this.table[slot] !== 0) slot = (slot + 1) & this.mask;
      this.table[slot] = i + 1;
    }
  }
}
