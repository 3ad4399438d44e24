/**
 * The guest kernel's config fragment and its verification. Pure: text in, findings out.
 * A fragment line is `CONFIG_X=value` or `# CONFIG_X is not set`; anything else is a comment.
 */
export interface FragmentOption {
  name: string;
  /** "y", "m", a number or a quoted string; null for "is not set". */
  value: string | null;
}

export function parseConfigFragment(text: string): FragmentOption[] {
  const out: FragmentOption[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    let m = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (m) {
      out.push({ name: m[1] as string, value: (m[2] as string).trim() });
      continue;
    }
    m = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/.exec(line);
    if (m) out.push({ name: m[1] as string, value: null });
  }
  return out;
}

/** Options of the fragment that did not end up in the final .config as asked, with what they got. */
export function verifyKernelConfig(fragment: readonly FragmentOption[], dotConfig: string): Array<FragmentOption & { actual: string | null }> {
  const actual = new Map<string, string | null>();
  for (const o of parseConfigFragment(dotConfig)) actual.set(o.name, o.value);
  const missing: Array<FragmentOption & { actual: string | null }> = [];
  for (const want of fragment) {
    const got = actual.has(want.name) ? (actual.get(want.name) ?? null) : null;
    if (got !== want.value) missing.push({ ...want, actual: got });
  }
  return missing;
}
