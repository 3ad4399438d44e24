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

const lists = new Map<string, string[]>();

/**
 * A shared, frozen one-element array for a header that has a single repeating value (see
 * REPEATING_HEADERS): `headers["list-id"]` of 100k list mails is then one array, not 100k.
 * Frozen so that a consumer that tried to modify it would fail loudly instead of changing every
 * message.
 */
export function internList(name: string, value: string): string[] {
  if (value.length > MAX_LENGTH) return [value];
  const key = `${name}\n${value}`;
  let list = lists.get(key);
  if (list === undefined) {
    if (lists.size >= MAX_ENTRIES) lists.clear();
    list = Object.freeze([value]) as unknown as string[];
    lists.set(key, list);
  }
  return list;
}

const addresses = new Map<string, { name: string; address: string }>();

/** A shared, frozen Address for a (name, address) pair seen before (list mail repeats people). */
export function internAddress(name: string, address: string): { name: string; address: string } {
  if (name.length + address.length > MAX_LENGTH) return { name, address };
  const key = `${name}\n${address}`;
  let a = addresses.get(key);
  if (a === undefined) {
    if (addresses.size >= MAX_ENTRIES) addresses.clear();
    a = Object.freeze({ name: intern(name), address: intern(address) }) as { name: string; address: string };
    addresses.set(key, a);
  }
  return a;
}
