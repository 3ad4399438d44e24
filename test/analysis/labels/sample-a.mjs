#!/usr/bin/env node
// Seeded shuffle of the stratum-A file list (labelling order), so the sample can be re-drawn by anyone.
// usage: <sorted list of paths, one per line> | node test/analysis/label-sample.mjs [seed]
// Fisher-Yates shuffle driven by mulberry32(seed); default seed 20261207.
import { readFileSync } from 'node:fs';

function mulberry32(a) {
  return function () {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const seed = process.argv[2] !== undefined ? Number(process.argv[2]) : 20261207;
const lines = readFileSync(0, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
const rand = mulberry32(seed);
for (let i = lines.length - 1; i > 0; i--) {
  const j = Math.floor(rand() * (i + 1));
  [lines[i], lines[j]] = [lines[j], lines[i]];
}
process.stdout.write(lines.map((l) => l + '\n').join(''));
