/**
 * Why a sandboxed kernel build did not give a kernel, in words a reply can carry: "build stopped:
 * exceeded 30 min", "build stopped: over the memory limit (2048 MiB per process)", "build failed:
 * <first error line>". Pure: the build's output tail and exit in, the outcome out.
 */
export interface BuildOutcome {
  kind: "failed" | "timeout" | "memory" | "processes";
  /** The step: "make tinyconfig", "merge_config.sh", "make olddefconfig", "make bzImage". */
  step: string;
  /** The one line that says what went wrong (paths inside the sandbox, made relative). */
  firstError: string | null;
  /** The lines around it, for the reply's excerpt. */
  excerpt: string;
  /** The sentence for the reply. */
  reason: string;
}

export interface BuildFailureInput {
  step: string;
  code: number | null;
  signal: string | null;
  /** irqtriage stopped it at the time limit. */
  timedOut: boolean;
  tail: string;
  limits: { timeoutMs: number; memoryBytes: number | null; maxProcesses: number | null };
}

/** Allocation failures as gcc, ld, make, the shells, perl and python report them under RLIMIT_AS. */
const MEMORY = /out of memory|virtual memory exhausted|cannot allocate memory|memory exhausted|std::bad_alloc|\bMemoryError\b|xmalloc: .*cannot allocate|mmap.*failed/i;
/** fork/clone refused under RLIMIT_NPROC. */
const PROCESSES = /Cannot fork|fork: (retry: )?Resource temporarily unavailable|vfork: Resource temporarily unavailable|posix_spawn.*Resource temporarily unavailable|pthread_create.*Resource temporarily unavailable/i;
/** The line that names the problem, best first. */
const ERROR_LINES: readonly RegExp[] = [
  /\berror:/i,
  /syntax error|undefined reference to|multiple definition of|No rule to make target|fatal error|recipe for target .* failed/i,
  /^\*\*\* (?!\[)/,
  /\bError \d+/,
];

/** A line from the build as a reply may quote it: no control characters, no sandbox prefixes, at most 200 characters (indentation kept: gcc's carets). */
export function cleanBuildLine(line: string): string {
  const l = line
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f\u0080-\u009f]/g, "")
    .replace(/\t/g, " ")
    .replace(/\/kbuild\/(src|out)\//g, "")
    .replace(/\s+$/, "");
  return l.length > 200 ? l.slice(0, 197) + "..." : l;
}

/** The first line of the output that names an error, cleaned; null when none does. */
export function firstBuildError(tail: string): string | null {
  const lines = tail.split("\n");
  for (const re of ERROR_LINES) {
    const hit = lines.find((l) => re.test(l) && !/^make(\[\d+\])?: Leaving directory/.test(l));
    if (hit !== undefined) return cleanBuildLine(hit).trim();
  }
  return null;
}

/** "30 min", "90 s", "1 h 5 min". */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120 && s % 60 !== 0) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
}

function excerptAround(tail: string, needle: string | null, max = 15): string {
  const lines = tail.split("\n").map(cleanBuildLine).filter(Boolean);
  if (!needle) return lines.slice(-max).join("\n");
  const at = lines.findIndex((l) => l.trim() === needle);
  const from = Math.max(0, (at < 0 ? lines.length : at) - 3);
  return lines.slice(from, from + max).join("\n");
}

/** Classify a make step that did not succeed. A limit wins over the error lines it caused. */
export function classifyBuildFailure(input: BuildFailureInput): BuildOutcome {
  const { step, limits } = input;
  if (input.timedOut) {
    return { kind: "timeout", step, firstError: null, excerpt: excerptAround(input.tail, null), reason: `build stopped: exceeded ${formatDuration(limits.timeoutMs)}` };
  }
  // Tools say it at the start of a line; gcc's quotes of source lines (pr_err("out of memory"))
  // are indented, and must not turn a compile error into a limit.
  const said = input.tail.split("\n").filter((l) => !/^\s/.test(l));
  const memLine = said.find((l) => MEMORY.test(l));
  if (memLine !== undefined && limits.memoryBytes !== null) {
    const first = cleanBuildLine(memLine).trim();
    const mib = Math.round(limits.memoryBytes / (1 << 20));
    return { kind: "memory", step, firstError: first, excerpt: excerptAround(input.tail, first), reason: `build stopped: over the memory limit (${mib} MiB per process)` };
  }
  const procLine = said.find((l) => PROCESSES.test(l));
  if (procLine !== undefined && limits.maxProcesses !== null) {
    const first = cleanBuildLine(procLine).trim();
    return { kind: "processes", step, firstError: first, excerpt: excerptAround(input.tail, first), reason: `build stopped: over the process limit (${limits.maxProcesses})` };
  }
  const first = firstBuildError(input.tail);
  const how = input.signal ? `killed by ${input.signal}` : `exit ${input.code}`;
  return {
    kind: "failed",
    step,
    firstError: first,
    excerpt: excerptAround(input.tail, first),
    reason: `build failed: ${first ?? `${step} failed (${how})`}`,
  };
}
