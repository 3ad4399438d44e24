/**
 * RFC 3676 format=flowed decoding, applied only when the part declares it. A line ending in a
 * space (other than the "-- " signature separator) is soft: it joins the next line of the same
 * quote depth; with delsp=yes that trailing space is removed. Space-stuffing (a leading space
 * added before " ", ">" or "From ") is undone. Hard line ends, including the last one, are kept.
 */
export function undoFlowed(text: string, delsp: boolean): string {
  const lines = text.split("\n");
  const out: string[] = [];
  let cur: string | null = null;
  let curDepth = 0;
  for (let idx = 0; idx < lines.length; idx++) {
    let line = lines[idx]!;
    if (idx === lines.length - 1 && line === "") break; // text ended with "\n"
    let depth = 0;
    while (depth < line.length && line.charCodeAt(depth) === 0x3e) depth++;
    const quote = line.slice(0, depth);
    line = line.slice(depth);
    if (line.startsWith(" ")) line = line.slice(1); // stuffing
    const soft = line.endsWith(" ") && line !== "-- ";
    if (cur !== null && depth !== curDepth) {
      out.push(cur);
      cur = null;
    }
    const piece = soft && delsp ? line.slice(0, -1) : line;
    // quoted lines are rebuilt as "> text" (the conventional form) once stuffing is undone
    cur = cur === null ? (depth > 0 && piece !== "" ? quote + " " + piece : quote + piece) : cur + piece;
    curDepth = depth;
    if (!soft) {
      out.push(cur);
      cur = null;
    }
  }
  if (cur !== null) out.push(cur);
  return out.join("\n") + (text.endsWith("\n") ? "\n" : "");
}
