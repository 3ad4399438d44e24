import type { CompiledModel } from "./compile-scenario.js";
import { SimMachine } from "./sim-machine.js";
import { canonicalize, DEV_BITS, packedWidth, resort, unpack } from "./state-packing.js";
import { finishHash, finishHash2 } from "./state-store.js";

/** Bits of a transition's `via`: device << VIA_SHIFT | kind. */
export const VIA_SHIFT = 6;
/** Candidate flag bits above the five property bits: every device gone with leftovers. */
export const FLAG_LEAK = 1 << 5;

/**
 * The successors of a batch of states, in generation order: per candidate the packed state,
 * its two hashes, the index of the state it came from, the transition (via) and flags (the
 * property bits the transition violated, FLAG_LEAK). One flat Int32Array of records, so that a
 * batch moves between threads as one transferable buffer.
 */
export interface CandidateBatch {
  /** Records of `stride` ints: packed state (width), h, h2, parent, via, flags. */
  data: Int32Array;
  count: number;
  stride: number;
  /** Transitions computed (including self-loops and pruned ones), for the statistics. */
  transitions: number;
}

/** Everything the expansion needs, built once per model (in each thread that expands). */
export interface Expander {
  machine: SimMachine;
  symmetry: boolean;
  /** Packed state width. */
  width: number;
  expand(states: Int32Array, first: number, count: number, out: CandidateBatch | null): CandidateBatch;
}

/**
 * Successor generation, the pure half of the explorer (the other half is the visited-set lookup
 * in explore.ts). Separate so that another thread can generate one batch while the explorer
 * looks up the previous one; both produce the same records in the same order.
 */
export function createExpander(model: CompiledModel, symmetry: boolean): Expander {
  const machine = new SimMachine(model);
  const d = machine.d;
  const w = machine.width;
  const pw = packedWidth(d, w);
  const stride = pw + 5;
  const groups = model.groups.filter(([a, b]) => b - a > 1);
  const groupStart = new Int8Array(d);
  const groupOf = new Int32Array(d);
  const groupEnd = new Int32Array(d);
  for (const [a, b] of model.groups) {
    groupStart[a] = 1;
    for (let e = a; e < b; e++) {
      groupOf[e] = a;
      groupEnd[e] = b;
    }
  }
  const cur = new Int32Array(w);
  const next = new Int32Array(w);
  const kinds = new Int32Array(16);
  const renamings = symmetry ? model.lineSymmetries.map((x) => ({ lines: Int32Array.from(x.lines), devices: Int32Array.from(x.devices) })) : [];
  const alt = new Int32Array(w);
  const best = new Int32Array(w);
  /** `next` (groups sorted) becomes the least of its line renamings: the canonical state. */
  const leastRenaming = (): void => {
    let changed = false;
    for (let r = 0; r < renamings.length; r++) {
      const x = renamings[r] as { lines: Int32Array; devices: Int32Array };
      // A group's sorted slice moves as a block to an equal-size group: still sorted.
      machine.renameLines(next, alt, x.lines, x.devices);
      if (lexLess(alt, changed ? best : next, w)) {
        best.set(alt);
        changed = true;
      }
    }
    if (changed) next.set(best);
  };

  /**
   * Expands `count` packed states (`states`, from index 0), numbered from `first`, every one
   * (states entered by a violation too). Appends to `out` (reset first).
   */
  const expand = (states: Int32Array, first: number, count: number, reuse: CandidateBatch | null): CandidateBatch => {
    const out = reuse ?? { data: new Int32Array(count * 8 * stride), count: 0, stride, transitions: 0 };
    out.count = 0;
    out.transitions = 0;
    let data = out.data;
    let n = 0;
    let transitions = 0;
    for (let k = 0; k < count; k++) {
      unpack(states, k * pw, cur, d, w);
      for (let q = 0; q < w; q++) next[q] = cur[q] as number;
      // `next` is reset to `cur` before each transition. A transition writes only its own
      // device, the virq slots and the zombie count, unless it marks other holders stale
      // (touchedOthers) or the counting abstraction re-sorts: only then is all of it copied.
      let lastDev = -1;
      let full = false;
      const parent = first + k;
      for (let dev = 0; dev < d; dev++) {
        // Identical devices of one group are adjacent after sorting: expand only the first.
        if (symmetry && groupStart[dev] === 0 && cur[dev] === cur[dev - 1]) continue;
        const nk = machine.kinds(cur, dev, kinds);
        for (let t = 0; t < nk; t++) {
          const kind = kinds[t] as number;
          if (full) {
            for (let q = 0; q < w; q++) next[q] = cur[q] as number;
          } else if (lastDev >= 0) {
            next[lastDev] = cur[lastDev] as number;
            for (let q = d; q < w; q++) next[q] = cur[q] as number;
          }
          const viol = machine.apply(next, dev, kind, null);
          lastDev = dev;
          full = symmetry || machine.touchedOthers;
          transitions++;
          if (viol < 0) continue;
          if (viol === 0 && next[dev] === cur[dev] && !machine.touchedOthers && sameState(next, cur, w)) continue;
          if (symmetry) {
            if (machine.touchedOthers) canonicalize(next, groups);
            else resort(next, dev, groupOf[dev] as number, groupEnd[dev] as number);
            if (renamings.length > 0) leastRenaming();
          }
          const off = n * stride;
          if (off + stride > data.length) {
            const grown = new Int32Array(data.length * 2 + stride * 64);
            grown.set(data);
            data = grown;
          }
          packAndHash(next, data, off, d, w);
          data[off + pw + 2] = parent;
          data[off + pw + 3] = (dev << VIA_SHIFT) | kind;
          data[off + pw + 4] = viol | (machine.allOut(next) && machine.leftovers(next) ? FLAG_LEAK : 0);
          n++;
        }
      }
    }
    out.data = data;
    out.count = n;
    out.transitions = transitions;
    return out;
  };
  return { machine, symmetry, width: pw, expand };
}

/**
 * pack() followed by stateHash() and stateHash2() of the packed ints, in one pass (this runs for
 * every successor): writes the packed state at `off` and its two hashes right after it.
 */
function packAndHash(src: Int32Array, dst: Int32Array, off: number, d: number, w: number): void {
  let h = 0x811c9dc5 | 0;
  let g = 0x9747b28c | 0;
  let j = off;
  let i = 0;
  for (; i < w; ) {
    let v: number;
    if (i + 1 < d) {
      v = (src[i] as number) | ((src[i + 1] as number) << DEV_BITS);
      i += 2;
    } else {
      v = src[i] as number;
      i++;
    }
    dst[j++] = v;
    h = Math.imul(h ^ v, 0x01000193);
    g = Math.imul(g ^ v, 0x5bd1e995);
    g ^= g >>> 13;
  }
  dst[j++] = finishHash(h);
  dst[j] = finishHash2(g);
}

/** Lexicographic order of two unpacked states. */
export function lexLess(a: Int32Array, b: Int32Array, w: number): boolean {
  for (let i = 0; i < w; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (x !== y) return x < y;
  }
  return false;
}

function sameState(a: Int32Array, b: Int32Array, w: number): boolean {
  for (let i = 0; i < w; i++) if (a[i] !== b[i]) return false;
  return true;
}
