/**
 * Small plots of IRQ descriptor counts over a run: baseline, then plugged/unplugged per cycle.
 * Pure: numbers in, text (ASCII, <= 72 columns) or SVG out.
 */
export interface CountSeries {
  baseline: number;
  cycles: Array<{ plugged: number; unplugged: number }>;
}

interface Point {
  label: string;
  value: number;
}

function points(s: CountSeries, maxPoints: number): { pts: Point[]; skipped: number } {
  let cycles = s.cycles.map((c, i) => ({ ...c, n: i + 1 }));
  let skipped = 0;
  const room = Math.floor((maxPoints - 1) / 2);
  if (cycles.length > room) {
    skipped = cycles.length - room;
    cycles = cycles.slice(-room);
  }
  const pts: Point[] = [{ label: "b", value: s.baseline }];
  for (const c of cycles) {
    pts.push({ label: `p${c.n}`, value: c.plugged }, { label: `u${c.n}`, value: c.unplugged });
  }
  return { pts, skipped };
}

/**
 * Rows from the highest count down to the lowest (at most `maxRows`, bucketed when the range is
 * larger), one column group per point; `*` marks the count, `-` the baseline row.
 */
export function plotCountsAscii(s: CountSeries, opts: { width?: number; maxRows?: number } = {}): string {
  const width = opts.width ?? 72;
  const maxRows = opts.maxRows ?? 8;
  const labelW = 5;
  const col = 4;
  const { pts, skipped } = points(s, Math.floor((width - labelW - 2) / col));
  const values = pts.map((p) => p.value);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const step = Math.max(1, Math.ceil((hi - lo + 1) / maxRows));
  const rows: string[] = [];
  for (let top = hi; top >= lo; top -= step) {
    const bottom = Math.max(lo, top - step + 1);
    const inRow = (v: number): boolean => v >= bottom && v <= top;
    const isBase = inRow(s.baseline);
    let line = `${String(top).padStart(labelW - 1)} |`;
    for (const p of pts) line += inRow(p.value) ? (isBase ? "--*-" : "  * ") : isBase ? "----" : "    ";
    rows.push(line.replace(/\s+$/, ""));
  }
  rows.push(" ".repeat(labelW - 1) + "+" + "-".repeat(pts.length * col));
  rows.push(" ".repeat(labelW) + pts.map((p) => p.label.padStart(col - 1) + " ").join("").replace(/\s+$/, ""));
  if (skipped) rows.push(`(first ${skipped} cycles not shown)`);
  return rows.join("\n");
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The same series as a small standalone SVG (for the Markdown/HTML report). */
export function plotCountsSvg(s: CountSeries, opts: { title?: string } = {}): string {
  const { pts } = points(s, 201);
  const w = Math.max(240, 40 + pts.length * 24);
  const h = 160;
  const values = pts.map((p) => p.value);
  const lo = Math.min(...values) - 1;
  const hi = Math.max(...values) + 1;
  const x = (i: number): number => 36 + i * 24;
  const y = (v: number): number => 20 + ((hi - v) / (hi - lo)) * (h - 50);
  const path = pts.map((p, i) => `${i ? "L" : "M"}${x(i)},${y(p.value).toFixed(1)}`).join(" ");
  const dots = pts
    .map((p, i) => `<circle cx="${x(i)}" cy="${y(p.value).toFixed(1)}" r="3"><title>${esc(p.label)}: ${p.value}</title></circle>`)
    .join("");
  const labels = pts.map((p, i) => `<text x="${x(i)}" y="${h - 12}" font-size="9" text-anchor="middle">${esc(p.label)}</text>`).join("");
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="monospace">`,
    opts.title ? `<title>${esc(opts.title)}</title>` : "",
    `<line x1="30" x2="${w - 6}" y1="${y(s.baseline).toFixed(1)}" y2="${y(s.baseline).toFixed(1)}" stroke="#999" stroke-dasharray="4 3"/>`,
    `<text x="2" y="${(y(s.baseline) + 3).toFixed(1)}" font-size="9">${s.baseline}</text>`,
    `<text x="2" y="${(y(hi - 1) + 3).toFixed(1)}" font-size="9">${hi - 1}</text>`,
    `<path d="${path}" fill="none" stroke="#c33" stroke-width="1.5"/>`,
    dots,
    labels,
    `</svg>`,
  ].join("");
}
