/**
 * A bounded string intern table. List mail repeats the same short strings in every message
 * (List-Id, To: the list, Precedence, MIME-Version, common names and addresses); sharing one copy
 * keeps 100k messages in memory at a fraction of the size. Bounded so hostile input cannot grow it.
 */
const table = new Map<string, string>();
const MAX_ENTRIES = 65536;
const MAX_LENGTH = 200;

export function intern(s: string): string {
  if (s.length > MAX_LENGTH) return s;
  const hit = table.get(s);
  if (hit !== undefined) return hit;
  if (table.size >= MAX_ENTRIES) table.clear();
  table.set(s, s);
  return s;
}
