/**
 * Types of the reference-count simulation (issue 4). Everything here is data: semantics,
 * topology, balance classes and scenarios come from rules/sim/ (validated by
 * src/sim/validate-sim-rules.ts) or are built in code (build-shared-lsi.ts).
 */
import type { CompiledModel } from "./compile-scenario.js";
import type { BatchWorker } from "./explore.js";

export const PROPERTIES = ["premature-unmap", "leak", "double-dispose", "hierarchy", "dead-free"] as const;
export type PropertyName = (typeof PROPERTIES)[number];

/** How the generic genirq core behaves (kernel/irq/irqdomain.c + irqdesc.c). */
export interface CoreSemantics {
  /** create on an existing (domain, hwirq): "return" = mainline (no side effect), "get" = v3 kobject_get. */
  createExisting: "return" | "get";
  /** irq_dispose_mapping: "destroy" = mainline teardown, "put" = v3 kobject_put, teardown at zero. */
  dispose: "destroy" | "put";
  /**
   * irq_domain_free_irqs (MSI free path): "destroy" tears the chain down and frees the descriptor
   * (mainline); "bypass" tears the chain down through irq_free_descs() without touching the count,
   * so the descriptor's kobject is never released (v3: free_desc() no longer does the last put).
   */
  msiFree: "destroy" | "bypass";
}

export interface DetectRule {
  /** Path inside the kernel tree, e.g. kernel/irq/irqdomain.c. */
  file: string;
  /** Functions whose bodies are searched; empty or absent = the whole file. */
  functions?: string[];
  /** Regular expression (JavaScript syntax) matched per line. */
  pattern: string;
  /** Plain words printed next to the evidence line. */
  means: string;
}

export interface SemanticsDetect {
  /** All must match (at least one line each). */
  require: DetectRule[];
  /** None may match. */
  forbid?: DetectRule[];
}

export interface SemanticsSpec {
  name: string;
  title: string;
  description: string;
  /** "core" semantics describe kernel/irq/; an "overlay" is arch code on top of the mainline core. */
  kind: "core" | "overlay";
  core: CoreSemantics;
  /** What platform (pcibios) create/dispose of legacy INTx lines go through. */
  platformIntx: "direct" | "kref-list";
  detect: SemanticsDetect;
}

export interface DomainSpec {
  name: string;
  type: "linear" | "tree" | "legacy" | "hierarchy";
  /** Number of hwirqs (linear/legacy revmap size); absent = unbounded (tree). */
  size?: number;
  /** First hwirq of a legacy domain (INTA = 1). */
  firstHwirq?: number;
  parent?: string;
  /** hwirq at the parent level = hwirq here + parentHwirqOffset (for traces of hierarchies). */
  parentHwirqOffset?: number;
  /** Handlers on this domain's lines are requested with IRQF_SHARED (PCI LSIs). */
  shared?: boolean;
  /** Lines of this domain are PCI INTx handled by pcibios (ppc kref list applies). */
  intx?: boolean;
  description?: string;
}

export interface TopologySpec {
  /** First virq number handed out (lowest free from there). */
  virqBase: number;
  domains: DomainSpec[];
}

export type OpKind = "create" | "find" | "dispose" | "request" | "free" | "msi-alloc" | "msi-free";

export interface OpSpec {
  op: OpKind;
  /** Kernel function shown in traces (create wrappers: irq_of_parse_and_map, platform_get_irq ...). */
  api?: string;
  /** "platform" = pcibios / bus notifier code, "driver" = the device driver. */
  site?: "driver" | "platform";
}

export interface ActorClassSpec {
  description: string;
  /** BUS_NOTIFY_ADD_DEVICE / pcibios fixup. */
  plug?: OpSpec[];
  probe?: OpSpec[];
  remove?: OpSpec[];
  /** BUS_NOTIFY_DEL_DEVICE. */
  unplug?: OpSpec[];
  /** Probe error path, run after a failure point (applicable ops only). */
  unwind?: OpSpec[];
}

export interface ScenarioDeviceSpec {
  name: string;
  /** Interchangeable copies: name1, name2, ... */
  count?: number;
  class: string;
  /** "domain/hwirq", e.g. phb0-intx/1 or pci-msi/0x800. */
  line: string;
}

export interface ScenarioSpec {
  name: string;
  description: string;
  rounds: number;
  devices: ScenarioDeviceSpec[];
  /** Semantics under which this scenario is expected to fail (documentation + table). */
  expect?: Record<string, "fail" | "clean">;
}

export interface SimRules {
  semantics: SemanticsSpec[];
  topology: TopologySpec;
  classes: Record<string, ActorClassSpec>;
  scenarios: ScenarioSpec[];
}

export interface SimViolation {
  property: PropertyName;
  /** Numbered steps in kernel terms; the last one says what went wrong. */
  trace: string[];
}

/** The `irqtriage sim --json` contract. */
export interface SimResult {
  semantics: string;
  scenario: string;
  states: number;
  seconds: number;
  violations: SimViolation[];
}

export interface SimOptions {
  /** Symmetry reduction (counting abstraction); default true. */
  symmetry?: boolean;
  /** Stop after this many states (result marked truncated); default 50 million. */
  maxStates?: number;
  /** Compare stored states int by int, not only by 64-bit fingerprint (default true). */
  exact?: boolean;
  /** Clock for `seconds`; default performance.now. */
  now?: () => number;
  /**
   * Starts a second thread for large runs (src/sim/io/start-batch-worker.ts); absent = one
   * thread. The result is the same either way.
   */
  worker?: (model: CompiledModel, symmetry: boolean) => BatchWorker | null;
}
