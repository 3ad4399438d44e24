import type { CompiledModel } from "./compile-scenario.js";
import { createExpander, FLAG_LEAK, VIA_SHIFT, type CandidateBatch } from "./expand-batch.js";
import { PROP_BITS, type Recorder, type SimMachine } from "./sim-machine.js";
import { canonicalize, pack, unpack } from "./state-packing.js";
import { StateStore } from "./state-store.js";
import { PROPERTIES, type PropertyName, type SimOptions } from "./sim-types.js";

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
  /** States whose BFS path passes a violation (explored like the others). */
  afterViolation: number;
  witnesses: Map<PropertyName, Witness>;
}

/** States expanded per batch (one batch is what another thread generates at a time). */
const BATCH_STATES = 8192;
/** Below this many states a run is over before a second thread (50-150 ms to start) helps. */
const PARALLEL_FROM = 16_384;

/**
 * Generates batches in another thread (src/sim/io/start-batch-worker.ts). The explorer submits
 * part of batch b + 1 before it looks up batch b, so generation and lookup overlap; results come
 * back in submission order and are identical to local expansion, so the run is the same.
 */
export interface BatchWorker {
  /** true once the thread is up (until then batches are expanded here). */
  ready(): boolean;
  submit(states: Int32Array, first: number, count: number): void;
  /** Blocks until the oldest submitted batch is back; `waited`: it was not back yet. */
  collect(): { batch: CandidateBatch; waited: boolean };
  close(): void;
}

/** `worker` is called once, when the run passes PARALLEL_FROM states. */
export type ExploreOptions = Pick<SimOptions, "symmetry" | "maxStates" | "exact" | "worker">;

const LEAK_BIT = PROP_BITS.leak;
const ALL_PROPS = PROPERTIES.reduce((m, p) => m | PROP_BITS[p], 0);

/** The lookup half of the explorer: visited set, marks, witnesses. */
class Visited {
  found = 0;
  truncated = false;
  /**
   * 1 for a state whose BFS path (the one its trace replays) passes a violating transition:
   * it is the consequence of an earlier violation. Marked states are expanded like any other.
   */
  marked: Uint8Array;
  markedCount = 0;
  readonly witnesses = new Map<PropertyName, Witness>();

  constructor(
    readonly store: StateStore,
    private readonly maxStates: number,
  ) {
    this.marked = new Uint8Array(store.capacity);
  }

  /** Looks up a batch's candidates in generation order (the order a one-by-one search has). */
  insert(batch: CandidateBatch): void {
    const store = this.store;
    const data = batch.data;
    const stride = batch.stride;
    const pw = stride - 5;
    store.reserve(batch.count);
    if (this.marked.length < store.capacity) {
      const grown = new Uint8Array(store.capacity);
      grown.set(this.marked);
      this.marked = grown;
    }
    const marked = this.marked;
    for (let c = 0; c < batch.count; c++) {
      const off = c * stride;
      const parent = data[off + pw + 2] as number;
      const via = data[off + pw + 3] as number;
      const flags = data[off + pw + 4] as number;
      const viol = flags & ALL_PROPS;
      if (viol & ~this.found) this.witness(viol, parent, via);
      const idx = store.insert(data, off, data[off + pw] as number, data[off + pw + 1] as number, parent, via);
      if (idx < 0) continue;
      // A state entered by a violating transition is marked and still expanded: what follows
      // a premature unmap (the other holders' stale dispose and free_irq) is reported too,
      // each property with its own shortest trace.
      if (viol !== 0 || marked[parent] === 1) {
        marked[idx] = 1;
        this.markedCount++;
      }
      if (flags & FLAG_LEAK && !(this.found & LEAK_BIT)) {
        this.found |= LEAK_BIT;
        this.witnesses.set("leak", { at: "state", state: idx });
      }
      if (store.count >= this.maxStates) {
        this.truncated = true;
        return;
      }
    }
  }

  private witness(viol: number, parent: number, via: number): void {
    for (const p of PROPERTIES) {
      const bit = PROP_BITS[p];
      if (viol & bit && !(this.found & bit)) {
        this.found |= bit;
        this.witnesses.set(p, { at: "transition", parent, via });
      }
    }
  }
}

/**
 * Breadth-first exploration of every interleaving of plug, probe (success and each failure
 * point), unplug and re-plug, up to `model.rounds` plugs per device. BFS order makes the first
 * witness of each property a shortest counterexample. States are expanded in batches; a batch's
 * successors are then looked up in generation order, so the states are numbered as in a
 * one-by-one search, and a run with a second thread visits the same states in the same order.
 */
export function explore(model: CompiledModel, opts: ExploreOptions = {}): Exploration {
  const symmetry = opts.symmetry ?? true;
  const local = createExpander(model, symmetry);
  const machine = local.machine;
  const pw = local.width;
  const store = new StateStore(pw, 1 << 12, opts.exact ?? false);
  const v = new Visited(store, opts.maxStates ?? 50_000_000);
  const init = new Int32Array(pw);
  pack(machine.initial(), init, 0, machine.d, machine.width);
  store.add(init, -1, -1);
  let transitions = 0;
  let worker: BatchWorker | null = null;
  let asked = false;
  // With a second thread, each batch is split: the thread generates [lo, mid), this thread
  // looks up the previous batch and then generates [mid, hi). `share` is this thread's part,
  // adapted so that neither waits long for the other; it changes speed, never the result.
  let share = 0.25;
  let workerPart = false;
  let localPart: CandidateBatch | null = null;
  const spare: Array<CandidateBatch | null> = [null, null];
  let flip = 0;
  const lookUpPrevious = (): void => {
    if (workerPart && worker !== null) {
      const { batch, waited } = worker.collect();
      workerPart = false;
      transitions += batch.transitions;
      share = waited ? Math.min(0.6, share + 1 / 64) : Math.max(0, share - 1 / 64);
      if (!v.truncated) v.insert(batch);
    }
    if (localPart !== null) {
      if (!v.truncated) v.insert(localPart);
      localPart = null;
    }
  };
  const expandHere = (lo: number, hi: number): CandidateBatch => {
    flip ^= 1;
    const out = local.expand(store.arena.subarray(lo * pw, hi * pw), lo, hi - lo, spare[flip] ?? null);
    spare[flip] = out;
    transitions += out.transitions;
    return out;
  };
  try {
    for (let lo = 0; !v.truncated; ) {
      if (lo === store.count) {
        // Every state found so far is expanded: the batch in flight may add more.
        lookUpPrevious();
        if (v.truncated || lo === store.count) break;
      }
      // The arena order is the BFS queue, so any run of states already in it can be expanded,
      // across layer boundaries too: the order of expansion and insertion stays the same.
      const hi = Math.min(store.count, lo + BATCH_STATES);
      if (!asked && opts.worker && store.count >= PARALLEL_FROM) {
        asked = true;
        worker = opts.worker(model, symmetry);
      }
      if (worker !== null && worker.ready()) {
        const mid = lo + Math.floor((hi - lo) * (1 - share));
        if (mid > lo) worker.submit(store.arena.slice(lo * pw, mid * pw), lo, mid - lo);
        lookUpPrevious();
        workerPart = mid > lo;
        // Generation order is state order, so the thread's part is looked up before this one.
        localPart = mid < hi ? expandHere(mid, hi) : null;
      } else {
        lookUpPrevious();
        v.insert(expandHere(lo, hi));
      }
      lo = hi;
    }
  } finally {
    worker?.close();
  }
  return { machine, store, symmetry, states: store.count, transitions, truncated: v.truncated, afterViolation: v.markedCount, witnesses: v.witnesses };
}

/**
 * Replays the BFS path to a witness on a concrete (unsorted) state so the trace names real
 * devices: a step recorded as "group position p" is taken by the first device of that group
 * (of the group renamed onto it, when the canonical state renames lines) whose local state
 * equals the canonical one.
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
  const said = (notes: Recorder["notes"]): string => notes.map((nt) => `${nt.property}: ${nt.text}`).join("; ");
  const renamings = model.lineSymmetries.map((r) => ({ lines: Int32Array.from(r.lines), devices: Int32Array.from(r.devices) }));
  const sorted = new Int32Array(machine.width);
  const alt = new Int32Array(machine.width);
  /** null: the concrete state with its groups sorted is the canonical one; else the device moves of the renaming that makes it so. */
  const renamingOnto = (c: Int32Array, target: Int32Array): Int32Array | null => {
    sorted.set(c);
    canonicalize(sorted, model.groups);
    if (sorted.every((v, i) => v === target[i])) return null;
    for (const r of renamings) {
      machine.renameLines(sorted, alt, r.lines, r.devices);
      if (alt.every((v, i) => v === target[i])) return r.devices;
    }
    throw new Error("sim: trace replay does not reach the stored state (model bug)");
  };
  steps.forEach((step, n) => {
    store.load(step.canonState, stored);
    unpack(stored, 0, canon, machine.d, machine.width);
    const pos = step.via >> VIA_SHIFT;
    const kind = step.via & ((1 << VIA_SHIFT) - 1);
    let dev = pos;
    if (x.symmetry) {
      let grp = model.groups.find(([a, b]) => pos >= a && pos < b) ?? [pos, pos + 1];
      const moved = renamingOnto(concrete, canon);
      if (moved !== null) {
        // The canonical state renames lines: take the concrete group that moved onto pos's.
        const start = grp[0];
        grp = model.groups.find(([a]) => moved[a] === start) ?? grp;
      }
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
    // The path may pass earlier violations (exploration goes on past them): say so where.
    const last = wit.at === "transition" && n === steps.length - 1;
    out.push(`${n + 1}. ${machine.stepLabel(dev, kind)}: ${ops}${!last && rec.notes.length ? ` => ${said(rec.notes)}` : ""}`);
  });
  if (wit.at === "transition") {
    const note = lastNotes.find((nt) => nt.property === property);
    const others = lastNotes.filter((nt) => nt.property !== property);
    const last = out.length - 1;
    out[last] = `${out[last]} => ${property}: ${note?.text ?? "(violation)"}${others.length ? ` (also ${said(others)})` : ""}`;
  } else {
    out.push(`${out.length + 1}. ${machine.leakText(concrete)}`);
  }
  return out;
}
