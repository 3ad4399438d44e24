import { headerValue, readHeaderBlock } from "./mime/header-block.js";
import { parseParamValue } from "./mime/header-params.js";

const WANTED: ReadonlySet<string> = new Set(["content-type"]);
/** Only the end of a message is searched for its last hunk (a patch shows its last hunk late). */
const TAIL_BYTES = 1024 * 1024;
const HUNK = Buffer.from("\n@@ -", "latin1");

/**
 * Why a message cut out of an mbox cannot have ended where the cut is, or null (pure, and cheap:
 * it runs once per message). Two tells that the separator which ended it was a body line:
 * - its top-level multipart body has no closing "--boundary--" line;
 * - its last diff hunk ("@@ -a,b +c,d @@") is followed by fewer lines than it announces.
 * A truncated mail shows the same, so this only ever adds a record, it never changes a cut.
 */
export function cutInsideReason(raw: Buffer): string | null {
  const head = readHeaderBlock(raw, 0, WANTED);
  const ct = headerValue(head.fields, "content-type");
  if (ct !== null) {
    const p = parseParamValue(ct);
    const boundary = p.params["boundary"];
    if (p.value.startsWith("multipart/") && boundary && raw.indexOf(`--${boundary}--`, head.bodyStart, "latin1") < 0) {
      return `its ${p.value} body has no closing boundary`;
    }
  }
  const from = Math.max(0, head.bodyStart - 1, raw.length - TAIL_BYTES);
  const at = raw.subarray(from).lastIndexOf(HUNK);
  if (at < 0) return null;
  return shortHunk(raw, from + at + 1);
}

/** "its last diff hunk is N lines short" when the hunk at `start` is not complete, else null. */
function shortHunk(raw: Buffer, start: number): string | null {
  let eol = raw.indexOf(0x0a, start);
  if (eol < 0) eol = raw.length;
  const m = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@/.exec(raw.toString("latin1", start, Math.min(eol, start + 200)));
  if (!m) return null;
  let oldLeft = m[1] === undefined ? 1 : Number(m[1]);
  let newLeft = m[2] === undefined ? 1 : Number(m[2]);
  let pos = eol + 1;
  while ((oldLeft > 0 || newLeft > 0) && pos < raw.length) {
    let next = raw.indexOf(0x0a, pos);
    if (next < 0) next = raw.length;
    const c = raw[pos];
    if (c === 0x20 || c === 0x0a || c === 0x0d) {
      oldLeft--;
      newLeft--;
    } else if (c === 0x2d) oldLeft--;
    else if (c === 0x2b) newLeft--;
    else if (c !== 0x5c) break; // not a hunk line: the hunk lied (git apply says so, not us)
    pos = next + 1;
  }
  if (pos < raw.length || (oldLeft <= 0 && newLeft <= 0)) return null;
  return `its last diff hunk is ${Math.max(oldLeft, newLeft)} line${Math.max(oldLeft, newLeft) === 1 ? "" : "s"} short`;
}
