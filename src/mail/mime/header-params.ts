import { decodeCharset } from "./decode-charset.js";
import { decodeWords } from "./decode-words.js";

/** A structured header value such as Content-Type: `text/plain; charset=utf-8`. */
export interface ParamValue {
  /** The main value, lower case ("text/plain", "attachment"). */
  value: string;
  /** Parameters by lower-case name, unquoted; RFC 2231 continuations and charsets decoded. */
  params: Record<string, string>;
}

/** Parses `value; a=b; c="d; e"` including RFC 2231 `name*0*=utf-8''...` continuations. */
export function parseParamValue(header: string): ParamValue {
  const parts = splitParams(header);
  const value = (parts.shift() ?? "").trim().toLowerCase();
  const params: Record<string, string> = {};
  const continued = new Map<string, { idx: number; text: string; encoded: boolean }[]>();
  for (const part of parts) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    let val = part.slice(eq + 1).trim();
    if (val.startsWith('"')) val = val.slice(1, val.endsWith('"') && val.length > 1 ? -1 : undefined).replace(/\\(.)/g, "$1");
    const m = /^([^*]+)\*(?:(\d+)(\*)?)?$/.exec(key);
    if (m) {
      // name* (one encoded piece) or name*N / name*N* (continuations, maybe encoded)
      const base = m[1]!;
      const idx = m[2] === undefined ? 0 : Number(m[2]);
      const encoded = m[2] === undefined ? true : m[3] === "*";
      const list = continued.get(base) ?? [];
      list.push({ idx, text: val, encoded });
      continued.set(base, list);
    } else {
      params[key] = decodeWords(val);
    }
  }
  for (const [base, list] of continued) {
    list.sort((a, b) => a.idx - b.idx);
    let charset: string | null = null;
    const bytes: Buffer[] = [];
    for (const piece of list) {
      let t = piece.text;
      if (piece.encoded) {
        if (piece.idx === 0) {
          const q = /^([^']*)'[^']*'(.*)$/.exec(t);
          if (q) {
            charset = q[1] || null;
            t = q[2]!;
          }
        }
        bytes.push(Buffer.from(t.replace(/%([0-9a-fA-F]{2})/g, (_s, h: string) => String.fromCharCode(parseInt(h, 16))), "latin1"));
      } else bytes.push(Buffer.from(t, "latin1"));
    }
    params[base] = decodeCharset(Buffer.concat(bytes), charset).text;
  }
  return { value, params };
}

function splitParams(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quoted) {
      if (c === "\\" && i + 1 < s.length) {
        cur += c + s[++i]!;
        continue;
      }
      if (c === '"') quoted = false;
      cur += c;
    } else if (c === '"') {
      quoted = true;
      cur += c;
    } else if (c === ";") {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out.filter((p, i) => i === 0 || p.trim() !== "");
}
