import { InputError } from "../errors.js";
import { OP, type CompiledModel, type CompiledOp, type CompiledProgram } from "./compile-scenario.js";
import type { PropertyName } from "./sim-types.js";

/*
 * Packed state (one Int32Array, no objects, so that hashing and copying are cheap):
 *   [device codes (D)] [virq slot codes (K)] [zombie descriptors (1)]
 * device code bits: phase 0-1 (0 out, 1 plugged, 2 bound), round 2-4,
 *   (a failed probe returns to "plugged": the driver core may probe again),
 *   held virq slot+1 5-9 (0 = none), refs taken 10-11, stale 12 (the mapping the device got
 *   was torn down: the number it holds is dead or belongs to a reused incarnation), handler 13
 *   (request_irq'd on the held virq), handler stale 14 (that handler sat on an incarnation
 *   that was torn down since: free_irq will not find it). 15 bits: see state-packing.ts.
 * slot code bits (virq = virqBase + slot): alive 0, line 1-5, kobject ref 6-11,
 *   handlers 12-16, exclusive handler 17, ppc intx_list kref 18-23 (keyed by virq NUMBER, so it
 *   survives teardown of the mapping, as in arch/powerpc/kernel/pci-common.c).
 */
export const PHASE_OUT = 0;
export const PHASE_PLUGGED = 1;
export const PHASE_BOUND = 2;
export const PHASE_FAILED = 3;

export const KIND_PLUG = 0;
export const KIND_UNPLUG = 1;
export const KIND_PROBE_OK = 2;
/** KIND_PROBE_FAIL + k: probe fails after its op k+1. */
export const KIND_PROBE_FAIL = 3;

export const PROP_BITS: Record<PropertyName, number> = {
  "premature-unmap": 1,
  leak: 2,
  "double-dispose": 4,
  hierarchy: 8,
  "dead-free": 16,
};

const MAX_REF = 63;
const MAX_HANDLERS = 31;
const MAX_ZOMBIES = 7;

const phaseOf = (c: number): number => c & 3;
const roundOf = (c: number): number => (c >> 2) & 7;
const vslotOf = (c: number): number => (c >> 5) & 31;
const nrefOf = (c: number): number => (c >> 10) & 3;
const staleOf = (c: number): number => (c >> 12) & 1;
const handlerOf = (c: number): number => (c >> 13) & 1;
const hstaleOf = (c: number): number => (c >> 14) & 1;
const STALE = 1 << 12;
const HANDLER = 1 << 13;
const HSTALE = 1 << 14;
const devCode = (phase: number, round: number, vslot: number, nref: number, stale: number, handler: number, hstale = 0): number =>
  phase | (round << 2) | (vslot << 5) | (nref << 10) | (stale << 12) | (handler << 13) | (hstale << 14);

const aliveOf = (s: number): number => s & 1;
const lineOf = (s: number): number => (s >> 1) & 31;
const refOf = (s: number): number => (s >> 6) & 63;
const handlersOf = (s: number): number => (s >> 12) & 31;
const exclOf = (s: number): number => (s >> 17) & 1;
const klOf = (s: number): number => (s >> 18) & 63;
const slotCode = (alive: number, line: number, ref: number, handlers: number, excl: number, kl: number): number =>
  alive | (line << 1) | (ref << 6) | (handlers << 12) | (excl << 17) | (kl << 18);

/** Collects kernel-terms text while replaying a counterexample; null in the hot loop. */
export interface Recorder {
  ops: string[];
  notes: Array<{ property: PropertyName; text: string }>;
}

const PHASE_NAMES = ["plug", "unplug", "probe"];

/**
 * The mapping layer under one semantics, as transitions on packed states. `apply` mutates the
 * state in place and returns the bit set of properties violated by the transition.
 */
export class SimMachine {
  readonly d: number;
  readonly k: number;
  readonly width: number;
  private readonly slotOff: number;
  private readonly zOff: number;
  private viol = 0;
  // Flat copies of the model for the hot loop (no object walks per transition).
  private readonly devLine: Int32Array;
  private readonly progs: CompiledProgram[];
  private readonly probeLen: Int32Array;
  private readonly lineIntx: Uint8Array;
  private readonly lineShared: Uint8Array;
  private pruned = false;
  /** Set when a transition changed devices other than the actor (teardown marks holders stale). */
  touchedOthers = false;
  private rec: Recorder | null = null;

  constructor(readonly model: CompiledModel) {
    this.d = model.devices.length;
    this.k = model.slots;
    this.slotOff = this.d;
    this.zOff = this.d + this.k;
    this.width = this.d + this.k + 1;
    this.devLine = Int32Array.from(model.devices, (x) => x.line);
    this.progs = model.devices.map((x) => x.program);
    this.probeLen = Int32Array.from(model.devices, (x) => x.program.probe.length);
    this.lineIntx = Uint8Array.from(model.lines, (l) => (l.intx ? 1 : 0));
    this.lineShared = Uint8Array.from(model.lines, (l) => (l.shared ? 1 : 0));
  }

  initial(): Int32Array {
    return new Int32Array(this.width);
  }

  /**
   * `dst` = `src` after a renaming of lines (a model symmetry): devices move to the indexes of
   * their new groups, live slots get the new line numbers. Virq slots do not move.
   */
  renameLines(src: Int32Array, dst: Int32Array, lines: Int32Array, devices: Int32Array): void {
    for (let i = 0; i < this.d; i++) dst[devices[i] as number] = src[i] as number;
    for (let j = this.slotOff; j < this.zOff; j++) {
      const sl = src[j] as number;
      dst[j] = aliveOf(sl) ? (sl & ~(31 << 1)) | ((lines[lineOf(sl)] as number) << 1) : sl;
    }
    dst[this.zOff] = src[this.zOff] as number;
  }

  /** Number of transition kinds a device can take in its current phase (0 = none). */
  kinds(s: Int32Array, dev: number, out: Int32Array): number {
    const c = s[dev] as number;
    const ph = phaseOf(c);
    if (ph === PHASE_OUT) {
      if (roundOf(c) >= this.model.rounds) return 0;
      out[0] = KIND_PLUG;
      return 1;
    }
    if (ph === PHASE_PLUGGED || ph === PHASE_FAILED) {
      const len = this.probeLen[dev] as number;
      out[0] = KIND_PROBE_OK;
      let n = 1;
      for (let i = 0; i < len; i++) out[n++] = KIND_PROBE_FAIL + i;
      out[n++] = KIND_UNPLUG;
      return n;
    }
    out[0] = KIND_UNPLUG;
    return 1;
  }

  /** true when every device is gone. */
  allOut(s: Int32Array): boolean {
    for (let i = 0; i < this.d; i++) if (((s[i] as number) & 3) !== PHASE_OUT) return false;
    return true;
  }

  /** Live mappings or leaked descriptors left (for the leak property). */
  leftovers(s: Int32Array): boolean {
    for (let i = 0; i < this.k; i++) if (aliveOf(s[this.slotOff + i] as number)) return true;
    return (s[this.zOff] as number) > 0;
  }

  leakText(s: Int32Array): string {
    const parts: string[] = [];
    for (let i = 0; i < this.k; i++) {
      const sl = s[this.slotOff + i] as number;
      if (!aliveOf(sl)) continue;
      const line = this.model.lines[lineOf(sl)];
      const kl = klOf(sl);
      parts.push(
        `mapping (${line?.label}) -> virq ${this.model.virqBase + i} survives` +
          (this.model.disposePut ? `, ref ${refOf(sl)}` : "") +
          (kl ? `, intx_list kref ${kl}` : "") +
          (handlersOf(sl) ? `, ${handlersOf(sl)} handler(s) still registered` : ""),
      );
    }
    const z = s[this.zOff] as number;
    if (z) parts.push(`${z} descriptor(s) of freed MSI virqs never released (kobject ref held)`);
    return `after every device is gone: ${parts.join("; ")} -> leak`;
  }

  apply(s: Int32Array, dev: number, kind: number, rec: Recorder | null): number {
    this.viol = 0;
    this.pruned = false;
    this.touchedOthers = false;
    this.rec = rec;
    const prog = this.progs[dev] as CompiledProgram;
    const c = s[dev] as number;
    const round = roundOf(c);
    if (kind === KIND_PLUG) {
      s[dev] = devCode(PHASE_PLUGGED, round + 1, 0, 0, 0, 0);
      this.runAll(s, dev, prog.plug);
    } else if (kind === KIND_UNPLUG) {
      if (phaseOf(c) === PHASE_BOUND) this.runAll(s, dev, prog.remove);
      this.runAll(s, dev, prog.unplug);
      // The pci_dev is gone: whatever it still held is dropped without a call.
      s[dev] = devCode(PHASE_OUT, round, 0, 0, 0, 0);
    } else if (kind === KIND_PROBE_OK) {
      const failed = this.runProbe(s, dev, prog.probe, prog.probe.length);
      if (failed >= 0) this.unwind(s, dev, prog.unwind, c);
      else s[dev] = ((s[dev] as number) & ~3) | PHASE_BOUND;
    } else {
      const stopAfter = kind - KIND_PROBE_FAIL + 1;
      const failed = this.runProbe(s, dev, prog.probe, stopAfter);
      if (failed < 0 && rec) rec.ops.push(`probe fails after ${prog.probe[stopAfter - 1]?.api ?? "?"}`);
      this.unwind(s, dev, prog.unwind, c);
    }
    this.rec = null;
    return this.pruned ? -1 : this.viol;
  }

  /**
   * The state in the neutral form of rules/sim/promela/shared-lsi.pml's DUMP_STATES output,
   * for the spin cross-check: devices by name, "name:phase,plugs,virq,uses" (virq = slot + 1,
   * 0 = none; uses = bound: its handler sits on the live descriptor behind its number, else:
   * it holds the mapping behind its number), then "virqN:alive,line,handlers" per slot.
   */
  describe(s: Int32Array): string {
    const devs = this.model.devices
      .map((dv, e) => {
        const c = s[e] as number;
        const vs = vslotOf(c);
        const uses = phaseOf(c) === PHASE_BOUND ? handlerOf(c) === 1 && hstaleOf(c) === 0 : vs > 0 && staleOf(c) === 0;
        return { name: dv.name, text: `${dv.name}:${phaseOf(c)},${roundOf(c)},${vs},${uses ? 1 : 0}` };
      })
      .sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }))
      .map((x) => x.text);
    const slots: string[] = [];
    for (let i = 0; i < this.k; i++) {
      const sl = s[this.slotOff + i] as number;
      slots.push(`virq${i + 1}:${aliveOf(sl)},${aliveOf(sl) ? lineOf(sl) : 0},${handlersOf(sl)}`);
    }
    return ["S", ...devs, ...slots].join(" ");
  }

  stepLabel(dev: number, kind: number): string {
    const name = this.model.devices[dev]?.name ?? `dev${dev}`;
    if (kind < KIND_PROBE_FAIL) return `${name} ${PHASE_NAMES[kind]}`;
    return `${name} probe (fails after op ${kind - KIND_PROBE_FAIL + 1})`;
  }

  private unwind(s: Int32Array, dev: number, ops: CompiledOp[], before: number): void {
    this.rec?.ops.push("error path:");
    this.runAll(s, dev, ops);
    const c = s[dev] as number;
    if (vslotOf(before) === 0 && !handlerOf(c)) {
      // The failed probe's driver data is gone: a virq it looked up or mapped is no longer
      // used by the device (references it leaked stay counted in the descriptor).
      s[dev] = devCode(PHASE_PLUGGED, roundOf(c), 0, 0, 0, 0);
      return;
    }
    // The driver core may probe again later (deferred probe, rebind): back to "plugged".
    s[dev] = (c & ~3) | PHASE_PLUGGED;
  }

  private runAll(s: Int32Array, dev: number, ops: CompiledOp[]): void {
    for (let i = 0; i < ops.length; i++) this.op(s, dev, ops[i] as CompiledOp);
  }

  /** Runs the first `count` probe ops; returns the index of an op that failed, or -1. */
  private runProbe(s: Int32Array, dev: number, ops: CompiledOp[], count: number): number {
    for (let i = 0; i < count; i++) if (!this.op(s, dev, ops[i] as CompiledOp)) return i;
    return -1;
  }

  private virq(slot: number): number {
    return this.model.virqBase + slot;
  }

  private note(property: PropertyName, text: string): void {
    this.viol |= PROP_BITS[property];
    this.rec?.notes.push({ property, text });
  }

  private findAlive(s: Int32Array, line: number): number {
    for (let i = 0; i < this.k; i++) {
      const sl = s[this.slotOff + i] as number;
      if ((sl & 1) === 1 && lineOf(sl) === line) return i;
    }
    return -1;
  }

  private lowestFree(s: Int32Array): number {
    for (let i = 0; i < this.k; i++) if (((s[this.slotOff + i] as number) & 1) === 0) return i;
    throw new InputError("virq slots exhausted (model bug: more live mappings than lines)", "sim");
  }

  /** Executes one op; returns false when it fails (probe then runs its error path). */
  private op(s: Int32Array, dev: number, op: CompiledOp): boolean {
    switch (op.code) {
      case OP.create:
        return this.create(s, dev, op);
      case OP.find:
        return this.find(s, dev, op);
      case OP.dispose:
        this.dispose(s, dev, op);
        return true;
      case OP.request:
        return this.request(s, dev, op);
      case OP.free:
        this.free(s, dev, op);
        return true;
      case OP.msiAlloc:
        return this.msiAlloc(s, dev, op);
      default:
        this.msiFree(s, dev, op);
        return true;
    }
  }

  private hold(s: Int32Array, dev: number, slot: number, addRef: boolean): void {
    const c = s[dev] as number;
    if (vslotOf(c) === slot + 1 && !staleOf(c)) {
      const n = addRef ? nrefOf(c) + 1 : nrefOf(c);
      // Bound: a device holding more than 3 references is not explored further (the leak or
      // imbalance it shows is already visible with fewer).
      if (n > 3) {
        this.pruned = true;
        return;
      }
      s[dev] = devCode(phaseOf(c), roundOf(c), slot + 1, n, 0, handlerOf(c), hstaleOf(c));
    } else {
      s[dev] = devCode(phaseOf(c), roundOf(c), slot + 1, addRef ? 1 : 0, 0, 0);
    }
  }

  /** After a dispose: drop one ref; keep the virq while a handler is still registered on it. */
  private release(s: Int32Array, dev: number): void {
    const c = s[dev] as number;
    const n = nrefOf(c);
    if (n > 1) s[dev] = devCode(phaseOf(c), roundOf(c), vslotOf(c), n - 1, staleOf(c), handlerOf(c), hstaleOf(c));
    else if (handlerOf(c)) s[dev] = devCode(phaseOf(c), roundOf(c), vslotOf(c), 0, staleOf(c), 1, hstaleOf(c));
    else s[dev] = devCode(phaseOf(c), roundOf(c), 0, 0, 0, 0);
  }

  private create(s: Int32Array, dev: number, op: CompiledOp): boolean {
    const m = this.model;
    const line = this.devLine[dev] as number;
    const info = this.rec ? m.lines[line] : undefined;
    let slot = this.findAlive(s, line);
    let sl: number;
    const rec = this.rec;
    if (slot >= 0) {
      sl = s[this.slotOff + slot] as number;
      if (m.createGet) {
        const ref = refOf(sl) + 1;
        if (ref > MAX_REF) {
          this.pruned = true;
          return true;
        }
        sl = slotCode(1, line, ref, handlersOf(sl), exclOf(sl), klOf(sl));
        if (rec) rec.ops.push(`${op.api}(${info?.label}) -> virq ${this.virq(slot)} (existing), kobject_get: ref ${ref}`);
      } else if (rec) {
        rec.ops.push(`${op.api}(${info?.label}) -> virq ${this.virq(slot)} (existing, no side effect)`);
      }
    } else {
      slot = this.lowestFree(s);
      const old = s[this.slotOff + slot] as number;
      sl = slotCode(1, line, 1, 0, 0, klOf(old));
      if (rec) rec.ops.push(`${op.api}(${info?.label}) -> virq ${this.virq(slot)} (new), ref 1`);
    }
    if (op.platform && m.intxKref && this.lineIntx[line] === 1) {
      const kl = klOf(sl);
      if (kl > 0) {
        if (kl + 1 > MAX_REF) {
          this.pruned = true;
          return true;
        }
        sl = (sl & ~(63 << 18)) | ((kl + 1) << 18);
        rec?.ops.push(`intx_list entry for virq ${this.virq(slot)}: kref_get -> kref ${kl + 1}`);
      } else {
        sl = (sl & ~(63 << 18)) | (1 << 18);
        rec?.ops.push(`intx_list entry for virq ${this.virq(slot)}: kref_init -> kref 1`);
      }
    }
    s[this.slotOff + slot] = sl;
    this.hold(s, dev, slot, true);
    return true;
  }

  private find(s: Int32Array, dev: number, op: CompiledOp): boolean {
    const line = this.devLine[dev] as number;
    const slot = this.findAlive(s, line);
    const label = this.rec ? this.model.lines[line]?.label : "";
    if (slot < 0) {
      this.rec?.ops.push(`${op.api}(${label}) -> 0 (no mapping), probe returns -ENXIO`);
      return false;
    }
    this.rec?.ops.push(`${op.api}(${label}) -> virq ${this.virq(slot)} (found, no reference taken)`);
    this.hold(s, dev, slot, false);
    return true;
  }

  private dispose(s: Int32Array, dev: number, op: CompiledOp): void {
    const c = s[dev] as number;
    const vs = vslotOf(c);
    if (vs === 0) return;
    const slot = vs - 1;
    const m = this.model;
    if (op.platform && m.intxKref && this.lineIntx[this.devLine[dev] as number] === 1) {
      // ppc_pci_unmap_irq_line(): the list is searched by pdev->irq, a virq NUMBER.
      const sl = s[this.slotOff + slot] as number;
      const kl = klOf(sl);
      const v = this.virq(slot);
      if (kl === 0) {
        this.rec?.ops.push(`BUS_NOTIFY_DEL_DEVICE: virq ${v} not in intx_list, nothing done`);
      } else {
        s[this.slotOff + slot] = (sl & ~(63 << 18)) | ((kl - 1) << 18);
        this.rec?.ops.push(`intx_list entry for virq ${v}: kref_put -> kref ${kl - 1}`);
        if (kl - 1 === 0) this.genDispose(s, dev, slot, "ppc_pci_intx_release: irq_dispose_mapping");
      }
    } else {
      this.genDispose(s, dev, slot, op.api);
    }
    this.release(s, dev);
  }

  private genDispose(s: Int32Array, dev: number, slot: number, api: string): void {
    const m = this.model;
    const v = this.virq(slot);
    let sl = s[this.slotOff + slot] as number;
    const rec = this.rec;
    if (!aliveOf(sl)) {
      rec?.ops.push(`${api}(${v})`);
      this.note("double-dispose", `${api}(${v}): virq ${v} is not mapped any more (already disposed)`);
      return;
    }
    const c = s[dev] as number;
    const devLine = this.devLine[dev] as number;
    if (staleOf(c) || lineOf(sl) !== devLine) {
      this.note(
        "double-dispose",
        `${api}(${v}): stale virq ${v} was reused, now maps (${m.lines[lineOf(sl)]?.label}); someone else's mapping is hit`,
      );
    }
    const line = rec ? m.lines[lineOf(sl)] : undefined;
    const how = !rec ? "" : line?.hierarchical ? `irq_domain_free_irqs(${v}, 1)` : `irq_domain_disassociate + irq_free_desc(${v})`;
    if (m.disposePut) {
      const ref = refOf(sl);
      if (ref <= 0) {
        this.note("double-dispose", `${api}(${v}): kobject_put with count ${ref}: count below zero`);
        return;
      }
      if (ref > 1) {
        sl = slotCode(1, lineOf(sl), ref - 1, handlersOf(sl), exclOf(sl), klOf(sl));
        s[this.slotOff + slot] = sl;
        rec?.ops.push(`${api}(${v}): kobject_put -> ref ${ref - 1}`);
        return;
      }
      rec?.ops.push(`${api}(${v}): kobject_put -> ref 0, irq_kobj_release: ${how}, mapping (${line?.label}) destroyed`);
    } else {
      rec?.ops.push(`${api}(${v}): ${how}, mapping (${line?.label}) destroyed`);
    }
    this.teardown(s, dev, slot);
  }

  /**
   * The mapping in `slot` is gone; anyone else still using it is a victim: a device that holds
   * it (got it from create or find), or whose handler sits on it (requested through a stale
   * number after the number was reused).
   */
  private teardown(s: Int32Array, actor: number, slot: number): void {
    const want = slot + 1;
    let victims = "";
    for (let e = 0; e < this.d; e++) {
      const c = s[e] as number;
      if (vslotOf(c) !== want) continue;
      const handlerHere = handlerOf(c) === 1 && hstaleOf(c) === 0;
      if (e !== actor && (!staleOf(c) || handlerHere)) {
        if (this.rec) victims += (victims ? ", " : "") + (this.model.devices[e]?.name ?? "?");
        else victims = "x";
      }
      if (e !== actor) this.touchedOthers = true;
      s[e] = c | STALE | (handlerHere ? HSTALE : 0);
    }
    const old = s[this.slotOff + slot] as number;
    s[this.slotOff + slot] = slotCode(0, 0, 0, 0, 0, klOf(old));
    if (victims) {
      this.note("premature-unmap", `${victims} still use${victims.includes(",") ? "" : "s"} virq ${this.virq(slot)}, torn down under them`);
    }
  }

  private request(s: Int32Array, dev: number, op: CompiledOp): boolean {
    const c = s[dev] as number;
    const vs = vslotOf(c);
    if (vs === 0) {
      this.rec?.ops.push(`${op.api}(0) -> -EINVAL`);
      return false;
    }
    const slot = vs - 1;
    const v = this.virq(slot);
    let sl = s[this.slotOff + slot] as number;
    if (!aliveOf(sl)) {
      this.rec?.ops.push(`${op.api}(${v}) -> -EINVAL`);
      this.note("premature-unmap", `${op.api}(${v}): the mapping behind virq ${v} was torn down`);
      return false;
    }
    if (staleOf(c)) {
      this.note("premature-unmap", `${op.api}(${v}): virq ${v} was torn down and reused for (${this.model.lines[lineOf(sl)]?.label})`);
    }
    const h = handlersOf(sl);
    const shared = this.lineShared[lineOf(sl)] === 1;
    if (exclOf(sl) || (h > 0 && !shared)) {
      this.rec?.ops.push(`${op.api}(${v}) -> -EBUSY`);
      return false;
    }
    if (h + 1 > MAX_HANDLERS) {
      this.pruned = true;
      return true;
    }
    sl = slotCode(1, lineOf(sl), refOf(sl), h + 1, shared ? 0 : 1, klOf(sl));
    s[this.slotOff + slot] = sl;
    // The handler now sits on the descriptor behind this number (a reused one if stale), so
    // free_irq() will find it there. The number stays stale: the mapping the device got is
    // still gone, and disposing this one is still a stale dispose.
    s[dev] = (c | HANDLER) & ~HSTALE;
    this.rec?.ops.push(`${op.api}(${v}${shared ? ", IRQF_SHARED" : ""}) -> ${h + 1} handler${h ? "s" : ""}`);
    return true;
  }

  private free(s: Int32Array, dev: number, op: CompiledOp): void {
    const c = s[dev] as number;
    if (!handlerOf(c)) return;
    const vs = vslotOf(c);
    const slot = vs - 1;
    const v = this.virq(slot);
    const sl = s[this.slotOff + slot] as number;
    s[dev] = c & ~(HANDLER | HSTALE);
    this.rec?.ops.push(`${op.api}(${v})`);
    if (!aliveOf(sl)) {
      this.note("dead-free", `${op.api}(${v}): the descriptor of virq ${v} is gone`);
      return;
    }
    if (hstaleOf(c)) {
      this.note("dead-free", `${op.api}(${v}): virq ${v} now belongs to (${this.model.lines[lineOf(sl)]?.label}), "Trying to free already-free IRQ ${v}"`);
      return;
    }
    const h = handlersOf(sl) - 1;
    s[this.slotOff + slot] = slotCode(1, lineOf(sl), refOf(sl), h, h > 0 ? exclOf(sl) : 0, klOf(sl));
  }

  private msiAlloc(s: Int32Array, dev: number, op: CompiledOp): boolean {
    const m = this.model;
    const line = this.devLine[dev] as number;
    const info = m.lines[line];
    if (this.findAlive(s, line) >= 0) {
      // Simplification: a vector of this device still allocated (leaked) blocks a new one.
      this.rec?.ops.push(`${op.api} -> irq_domain_alloc_irqs(${info?.domain}) -> -EEXIST (old vector still allocated)`);
      return false;
    }
    const slot = this.lowestFree(s);
    const old = s[this.slotOff + slot] as number;
    s[this.slotOff + slot] = slotCode(1, line, 1, 0, 0, klOf(old));
    this.hold(s, dev, slot, true);
    this.rec?.ops.push(`${op.api} -> irq_domain_alloc_irqs(${info?.domain}) -> virq ${this.virq(slot)}: ${info?.levels.join(" -> ")}, ref 1`);
    return true;
  }

  private msiFree(s: Int32Array, dev: number, op: CompiledOp): void {
    const m = this.model;
    const c = s[dev] as number;
    const vs = vslotOf(c);
    if (vs === 0) return;
    const slot = vs - 1;
    const v = this.virq(slot);
    const sl = s[this.slotOff + slot] as number;
    const rec = this.rec;
    if (!aliveOf(sl)) {
      rec?.ops.push(`${op.api} -> irq_domain_free_irqs(${v}, 1)`);
      this.note("double-dispose", `irq_domain_free_irqs(${v}, 1): virq ${v} is not allocated any more`);
      this.release(s, dev);
      return;
    }
    if (staleOf(c) || lineOf(sl) !== (this.devLine[dev] as number)) {
      this.note("double-dispose", `irq_domain_free_irqs(${v}, 1): stale virq ${v} was reused by (${m.lines[lineOf(sl)]?.label})`);
    }
    const levels = rec ? (m.lines[lineOf(sl)]?.levels.map((l) => l.split(" ")[0]).join(", ") ?? "") : "";
    if (m.msiBypass) {
      const ref = refOf(sl);
      rec?.ops.push(
        `${op.api} -> irq_domain_free_irqs(${v}, 1): levels ${levels} freed, irq_free_descs(${v}) -> free_desc() without kobject_put (ref stays ${ref})`,
      );
      this.note(
        "hierarchy",
        `virq ${v}: the descriptor (outermost level) keeps kobject ref ${ref} while its hierarchy levels were torn down; the MSI free path bypasses the count`,
      );
      const z = s[this.zOff] as number;
      s[this.zOff] = Math.min(z + 1, MAX_ZOMBIES);
    } else {
      rec?.ops.push(`${op.api} -> irq_domain_free_irqs(${v}, 1): levels ${levels} freed, descriptor freed`);
    }
    this.teardown(s, dev, slot);
    this.release(s, dev);
  }
}
