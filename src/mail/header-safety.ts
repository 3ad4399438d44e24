/**
 * What a value taken from a received mail must look like before anything of ours (threading, a
 * reply's headers, a reply's body) uses it. Pure; shared by parsing (mail/) and composing
 * (report/), so that both apply the same rules.
 *
 * - Text (a subject, a display name) is decoded first, then every character that could end a
 *   line or a header somewhere (CR, LF, NUL, the other C0 controls, DEL, NEL, U+2028/2029) is
 *   replaced by U+FFFD; a TAB becomes a space. The caller records that it happened.
 * - An id (Message-ID, In-Reply-To, References) is never RFC 2047-decoded (RFC 2047 section 5
 *   forbids encoded words there); one holding a control character is dropped.
 */

/** Characters that end a line or a header for some reader, or are invisible controls. */
/* eslint-disable no-control-regex -- matching control characters is the point here */
const UNSAFE_TEXT = /[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]/;
const UNSAFE_TEXT_G = /[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]/g;
const CONTROL = /[\x00-\x1f\x7f]/;
/* eslint-enable no-control-regex */

export const REPLACEMENT = "\ufffd";

/** Text with line-breaking and control characters replaced; `replaced` counts them (0: unchanged). */
export function cleanText(s: string): { text: string; replaced: number } {
  if (!UNSAFE_TEXT.test(s) && s.indexOf("\t") < 0) return { text: s, replaced: 0 };
  let replaced = 0;
  const text = s.replace(/\t/g, " ").replace(UNSAFE_TEXT_G, () => {
    replaced++;
    return REPLACEMENT;
  });
  return { text, replaced };
}

/** Which characters of a text were unsafe, for a record: "CR, LF" (empty when none). */
export function unsafeCharNames(s: string): string {
  const names = new Set<string>();
  for (const ch of s) {
    if (!UNSAFE_TEXT.test(ch)) continue;
    const c = ch.codePointAt(0)!;
    names.add(c === 0x0d ? "CR" : c === 0x0a ? "LF" : c === 0 ? "NUL" : `U+${c.toString(16).toUpperCase().padStart(4, "0")}`);
  }
  return [...names].join(", ");
}

/** An id that cannot be one at all: it holds a control character (CR, LF, NUL, TAB, ...). */
export function hasControl(s: string): boolean {
  return CONTROL.test(s);
}

/** RFC 5322 section 3.6.4 (without the obsolete forms): the longest id a reply copies. */
export const MAX_MSGID_LENGTH = 250;

// atext of RFC 5322 3.2.3; dot-atom-text = 1*atext *("." 1*atext)
const DOT_ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*";
// no-fold-literal = "[" *dtext "]", dtext = %d33-90 / %d94-126
const NO_FOLD_LITERAL = "\\[[\\x21-\\x5a\\x5e-\\x7e]*\\]";
const MSG_ID = new RegExp(`^${DOT_ATOM}@(?:${DOT_ATOM}|${NO_FOLD_LITERAL})$`);

/**
 * Why an id (without its angle brackets) may not be copied into a reply, or null when it may:
 * it must match RFC 5322 `msg-id` (id-left "@" id-right, no obsolete forms) and be at most
 * MAX_MSGID_LENGTH characters.
 */
export function msgIdProblem(id: string): string | null {
  if (hasControl(id)) return `holds ${unsafeCharNames(id) || "control characters"}`;
  if (id.length > MAX_MSGID_LENGTH) return `is ${id.length} characters long (at most ${MAX_MSGID_LENGTH})`;
  if (!MSG_ID.test(id)) return "is not an RFC 5322 msg-id";
  return null;
}

const LOCAL_PART = new RegExp(`^${DOT_ATOM}$`);
// A domain: labels of letters, digits and hyphens (any script: IDNs are punycoded when written).
const DOMAIN = /^(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?)(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?)*$/u;

/**
 * Why an address may not be a recipient (or sender) of a reply, or null when it may: a plain
 * addr-spec, dot-atom local part of at most 64 characters, a domain of letters, digits and
 * hyphens, 254 characters in all (RFC 5321 4.5.3.1).
 */
export function addressProblem(address: string): string | null {
  if (hasControl(address)) return `holds ${unsafeCharNames(address) || "control characters"}`;
  if (address.length > 254) return `is ${address.length} characters long (at most 254)`;
  const at = address.lastIndexOf("@");
  if (at <= 0 || at === address.length - 1) return "is not of the form local@domain";
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local.length > 64 || !LOCAL_PART.test(local)) return "has a local part that is not a plain dot-atom";
  if (!DOMAIN.test(domain)) return "has an invalid domain";
  return null;
}

/** A short, printable rendering of a hostile value for records and logs (never for a mail). */
export function preview(s: string, max = 60): string {
  const j = JSON.stringify(s.length > max ? s.slice(0, max) : s);
  return s.length > max ? `${j.slice(0, -1)}..." (${s.length} characters)` : j;
}
