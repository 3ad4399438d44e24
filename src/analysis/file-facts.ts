import type { Phase } from "./balance-rules.js";

/**
 * What one C file says about the mapping API, extracted from its parse tree: the call sites, the
 * functions that (transitively) reach them, who calls those, and which of them are lifecycle
 * roots. Plain data (structured-clone safe) so that worker threads can hand it back.
 */
export interface FileFacts {
  file: string;
  /** Functions that contain a site or call (transitively, in this file) one that does. */
  functions: FunctionFact[];
  sites: SiteFact[];
  roots: RootFact[];
  /** Names referenced from this file that are defined elsewhere (cross-file callees). */
  externalCalls: (CallerEdge & { callee: string })[];
  /** Driver-ish structs with lifecycle fields, e.g. "platform_driver foo_driver". */
  units: string[];
  /** tree-sitter had to recover from syntax it does not know (kernel macros); facts may be partial. */
  parseErrors: boolean;
}

export interface FunctionFact {
  name: string;
  line: number;
  isStatic: boolean;
  /** Functions of this file (or elsewhere) that call this one, with the call line. */
  callers: CallerEdge[];
  /** True when the function hands a created mapping back to its caller (return virq). */
  returnsMapping: boolean;
  /** Passed to kref_put & co as the release callback: runs only on the last put. */
  refcountRelease: boolean;
}

export interface SiteFact {
  api: string;
  family: string;
  role: "create" | "release";
  line: number;
  function: string | null;
  /** Argument source text (trimmed, whitespace collapsed). */
  args: string[];
  /** On an error-unwind path: a goto label after the success return, or an `if (err) {...return}`. */
  errorPath: boolean;
  inLoop: boolean;
  /** The loop or argument goes through irq_find_mapping & co: disposes what the domain holds. */
  viaLookup: boolean;
  /** Bus-notifier actions this site is conditioned on (BUS_NOTIFY_DEL_DEVICE, ...). */
  notifierActions: string[];
  /** Under a refcount guard (kref_put release callback, refcount_dec_and_test). */
  refcounted: boolean;
  /** The created value is returned to the caller (a wrapper, not an owner). */
  returned: boolean;
}

export interface RootFact {
  function: string;
  kind: string;
  phase: Phase;
  line: number;
  /** How it was found: "platform_driver.probe", "module_init", "devm_add_action_or_reset". */
  via: string;
  /** The initializer the field sits in ("platform_driver foo_driver"), for struct-field roots. */
  owner?: string;
  /** The counterpart field of the same initializer (.alloc's .free, .map's .unmap), if set. */
  peer?: { field: string; value: string; line: number };
}

/** A call of a tracked function: where, and whether that call is on an error path / a notifier action. */
export interface CallerEdge {
  caller: string | null;
  line: number;
  errorPath: boolean;
  actions: string[];
}
