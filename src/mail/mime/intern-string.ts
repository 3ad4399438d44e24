/**
 * Bounded intern tables. List mail repeats the same short strings, header values and people in
 * every message (List-Id, To: the list, Precedence, MIME-Version, the regular reviewers); sharing
 * one copy keeps 100k messages in memory at a fraction of the size. Bounded (cleared when full)
 * so that hostile input cannot grow them. Lookups are keyed by the strings themselves (nested
 * maps, no concatenated keys) so a hit costs a hash that V8 caches on the string.
 */
import { ownCopy } from "../own-copy.js";

const MAX_ENTRIES = 65536;
const MAX_LENGTH = 200;

const table = new Map<string, string>();

export function intern(s: string): string {
  if (s.length > MAX_LENGTH) return s;
  const hit = table.get(s);
  if (hit !== undefined) return hit;
  if (table.size >= MAX_ENTRIES) table.clear();
  // its own copy: `s` may be a slice of a whole header value (or mailparser's header block),
  // which the table would otherwise keep alive for as long as the process runs
  const own = ownCopy(s);
  table.set(own, own);
  return own;
}

const lists = new Map<string, Map<string, string[]>>();
let listCount = 0;

/**
 * A shared, frozen one-element array for a header that has a single repeating value (see
 * REPEATING_HEADERS): `headers["list-id"]` of 100k list mails is then one array, not 100k.
 * Frozen so that a consumer that tried to modify it would fail loudly instead of changing every
 * message.
 */
export function internList(name: string, value: string): string[] {
  if (value.length > MAX_LENGTH) return [value];
  let byValue = lists.get(name);
  if (byValue === undefined) {
    byValue = new Map();
    lists.set(name, byValue);
  }
  let list = byValue.get(value);
  if (list === undefined) {
    if (++listCount > MAX_ENTRIES) {
      lists.clear();
      listCount = 0;
      return internList(name, value);
    }
    list = Object.freeze([value]) as unknown as string[];
    byValue.set(value, list);
  }
  return list;
}

const addresses = new Map<string, Map<string, { name: string; address: string }>>();
let addressCount = 0;

/** A shared, frozen Address for a (name, address) pair seen before (list mail repeats people). */
export function internAddress(name: string, address: string): { name: string; address: string } {
  if (name.length + address.length > MAX_LENGTH) return { name, address };
  let byName = addresses.get(address);
  if (byName === undefined) {
    byName = new Map();
    addresses.set(intern(address), byName);
  }
  let a = byName.get(name);
  if (a === undefined) {
    if (++addressCount > MAX_ENTRIES) {
      addresses.clear();
      addressCount = 0;
      return internAddress(name, address);
    }
    a = Object.freeze({ name: intern(name), address: intern(address) }) as { name: string; address: string };
    byName.set(a.name, a);
  }
  return a;
}
