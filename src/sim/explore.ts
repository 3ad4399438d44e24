import type { CompiledModel } from "./compile-scenario.js";
import { PROP_BITS, SimMachine, type Recorder } from "./sim-machine.js";
import { StateStore } from "./state-store.js";
import { PROPERTIES, type PropertyName } from "./sim-types.js";

/** Where the first (shortest) violation of a property was seen. */
export type Witness =
  | { at: "transition"; parent: number; via: number }
  | { at: "state"; state: number };

export interface Exploration {
  machine: SimMachine;
  store: StateStore;
  symmetry: boolean;
  states: number;
  transitions: number;
  truncated: boolean;
  witnesses: Map<PropertyName, Witness>;
}

const VIA_SHIFT = 6;

/**
 * Canonical representative under the counting abstraction: inside each group of interchangeable
 * devices (same class, same line) only the multiset of local states matters, so the group's
 * slice is sorted. Slots and globals refer to virq numbers and lines, never to device names.
 */
function canonicalize(s: Int32Array, groups: Array<[number, number]>): void {
  for (let g = 0; g < groups.length; g++) {
    const grp = groups[g] as [number, number];
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

/**
 * Stored states are packed: device codes use 14 bits, so two share one int; slot codes and the
 * zombie count keep one int each. Fewer ints = cheaper hashing, comparing and cache traffic.
 */
function packedWidth(d: number, w: number): number {
  return ((d + 1) >> 1) + (w - d);
}

function pack(src: Int32Array, dst: Int32Array, d: number, w: number): void {
  let j = 0;
  let i = 0;
  for (; i + 1 < d; i += 2) dst[j++] = (src[i] as number) | ((src[i + 1] as number) << 14);
  if (i < d) dst[j++] = src[i] as number;
  for (i = d; i < w; i++) dst[j++] = src[i] as number;
}

function unpack(src: Int32Array, dst: Int32Array, d: number, w: number): void {
  let j = 0;
  let i = 0;
  for (; i + 1 < d; i += 2) {
    const v = src[j++] as number;
    dst[i] = v & 0x3fff;
    dst[i + 1] = v >>> 14;
  }
  if (i < d) dst[i] = src[j++] as number;
  for (i = d; i < w; i++) dst[i] = src[j++] as number;
}

/** Only device `d` changed: move it to its sorted place inside its group [a, b). */
function resort(s: Int32Array, d: number, a: number, b: number): void {
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

function sameState(a: Int32Array, b: Int32Array, w: number): boolean {
  for (let i = 0; i < w; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Breadth-first exploration of every interleaving of plug, probe (success and each failure
 * point), unplug and re-plug, up to `model.rounds` plugs per device. BFS order makes the first
 * witness of each property a shortest counterexample.
 */
export function explore(
  model: CompiledModel,
  opts: { symmetry?: boolean; maxStates?: number; pastViolations?: boolean; exact?: boolean } = {},
): Exploration {
  const symmetry = opts.symmetry ?? true;
  const pastViolations = opts.pastViolations ?? false;
  // States entered by a violating transition are not expanded (like spin stopping at an error):
  // what follows a premature unmap is its consequence, and exploring it multiplies the states.
  let errorState = new Uint8Array(1 << 16);
  const maxStates = opts.maxStates ?? 50_000_000;
  const machine = new SimMachine(model);
  const w = machine.width;
  const pw = packedWidth(machine.d, w);
  const store = new StateStore(pw, 1 << 12, opts.exact ?? false);
  const packed = new Int32Array(pw);
  const stored = new Int32Array(pw);
  const witnesses = new Map<PropertyName, Witness>();
  const cur = new Int32Array(w);
  const next = new Int32Array(w);
  const kinds = new Int32Array(16);
  const groups = model.groups.filter(([a, b]) => b - a > 1);
  const groupStart = new Int8Array(machine.d);
  const groupOf = new Int32Array(machine.d);
  const groupEnd = new Int32Array(machine.d);
  for (const [a, b] of model.groups) {
    groupStart[a] = 1;
    for (let e = a; e < b; e++) {
      groupOf[e] = a;
      groupEnd[e] = b;
    }
  }
  let found = 0;
  const leakBit = PROP_BITS.leak;
  let transitions = 0;
  let truncated = false;

  pack(machine.initial(), packed, machine.d, w);
  store.add(packed, -1, -1);
  for (let i = 0; i < store.count; i++) {
    if (errorState[i] === 1) continue;
    store.load(i, stored);
    unpack(stored, cur, machine.d, w);
    for (let d = 0; d < machine.d; d++) {
      // Identical devices of one group are adjacent after sorting: expand only the first.
      if (symmetry && groupStart[d] === 0 && cur[d] === cur[d - 1]) continue;
      const n = machine.kinds(cur, d, kinds);
      for (let t = 0; t < n; t++) {
        const kind = kinds[t] as number;
        next.set(cur);
        const viol = machine.apply(next, d, kind, null);
        transitions++;
        if (viol < 0) continue;
        if (viol === 0 && next[d] === cur[d] && !machine.touchedOthers && sameState(next, cur, w)) continue;
        if (symmetry) {
          if (machine.touchedOthers) canonicalize(next, groups);
          else resort(next, d, groupOf[d] as number, groupEnd[d] as number);
        }
        const via = (d << VIA_SHIFT) | kind;
        pack(next, packed, machine.d, w);
        const idx = store.add(packed, i, via);
        if (viol !== 0 && idx >= 0 && !pastViolations) {
          if (idx >= errorState.length) {
            const grown = new Uint8Array(errorState.length * 2 > idx ? errorState.length * 2 : idx + 1);
            grown.set(errorState);
            errorState = grown;
          }
          errorState[idx] = 1;
        }
        if (viol & ~found) {
          for (const p of PROPERTIES) {
            const bit = PROP_BITS[p];
            if (viol & bit && !(found & bit)) {
              found |= bit;
              witnesses.set(p, { at: "transition", parent: i, via });
            }
          }
        }
        if (idx >= 0 && !(found & leakBit) && machine.allOut(next) && machine.leftovers(next)) {
          found |= leakBit;
          witnesses.set("leak", { at: "state", state: idx });
        }
        if (store.count >= maxStates) {
          truncated = true;
          break;
        }
      }
      if (truncated) break;
    }
    if (truncated) break;
  }
  return { machine, store, symmetry, states: store.count, transitions, truncated, witnesses };
}

/**
 * Replays the BFS path to a witness on a concrete (unsorted) state so the trace names real
 * devices: a step recorded as "group position p" is taken by the first device of that group
 * whose local state equals the canonical one.
 */
export function traceOf(x: Exploration, property: PropertyName): string[] | null {
  const wit = x.witnesses.get(property);
  if (!wit) return null;
  const { machine, store } = x;
  const model = machine.model;
  const path = store.path(wit.at === "state" ? wit.state : wit.parent);
  const steps: Array<{ canonState: number; via: number }> = [];
  for (let i = 1; i < path.length; i++) steps.push({ canonState: path[i - 1] as number, via: store.via[path[i] as number] as number });
  if (wit.at === "transition") steps.push({ canonState: wit.parent, via: wit.via });
  const concrete = machine.initial();
  const canon = new Int32Array(machine.width);
  const stored = new Int32Array(store.width);
  const out: string[] = [];
  let lastNotes: Recorder["notes"] = [];
  steps.forEach((step, n) => {
    store.load(step.canonState, stored);
    unpack(stored, canon, machine.d, machine.width);
    const pos = step.via >> VIA_SHIFT;
    const kind = step.via & ((1 << VIA_SHIFT) - 1);
    let dev = pos;
    if (x.symmetry) {
      const grp = model.groups.find(([a, b]) => pos >= a && pos < b) ?? [pos, pos + 1];
      for (let e = grp[0]; e < grp[1]; e++) {
        if (concrete[e] === canon[pos]) {
          dev = e;
          break;
        }
      }
    }
    const rec: Recorder = { ops: [], notes: [] };
    machine.apply(concrete, dev, kind, rec);
    lastNotes = rec.notes;
    const ops = rec.ops.length ? rec.ops.join("; ").replace(/error path:; /g, "error path: ").replace(/; error path:$/, "; error path: (nothing)") : "(no mapping calls)";
    out.push(`${n + 1}. ${machine.stepLabel(dev, kind)}: ${ops}`);
  });
  if (wit.at === "transition") {
    const note = lastNotes.find((nt) => nt.property === property);
    const last = out.length - 1;
    out[last] = `${out[last]} => ${property}: ${note?.text ?? "(violation)"}`;
  } else {
    out.push(`${out.length + 1}. ${machine.leakText(concrete)}`);
  }
  return out;
}
