/**
 * Wrap plain text to `width` columns for a mail body. Lines that are already short, quoted
 * (">"), indented code/diff lines (tab or 4+ spaces) and lines without spaces to break at are
 * left alone: re-wrapping them would change their meaning. A wrapped list item ("- ", "* ",
 * "1. ") continues under its text, not under its bullet.
 */
export function wrapText(text: string, width = 72): string {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const trimmed = line.replace(/[ \t]+$/, "");
    if (trimmed.length <= width || /^(>|\t| {4})/.test(trimmed)) {
      out.push(trimmed);
      continue;
    }
    const m = /^(\s*(?:[-*]|\d+\.)?\s*)/.exec(trimmed);
    const lead = m?.[1] ?? "";
    const hang = " ".repeat(lead.length);
    let rest = trimmed.slice(lead.length);
    let prefix = lead;
    while (prefix.length + rest.length > width) {
      const room = width - prefix.length;
      let cut = rest.lastIndexOf(" ", room);
      if (cut <= 0) cut = rest.indexOf(" ", room);
      if (cut <= 0) break;
      out.push(prefix + rest.slice(0, cut).replace(/ +$/, ""));
      rest = rest.slice(cut + 1).replace(/^ +/, "");
      prefix = hang;
    }
    out.push(prefix + rest);
  }
  return out.join("\n");
}
