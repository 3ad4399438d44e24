#!/usr/bin/env node
// Merge the two labellers' files, drop units that are not measurable, and split ONCE into a
// tuning half and a held-out half. Run from the repository root:
//   node test/analysis/labels/split.mjs
// Deterministic: the same inputs give the same halves (mulberry32, seed 20261208, a
// Fisher-Yates shuffle within each class signature, alternating halves down each shuffled
// list, so every class is in both halves in proportion).
import { readFileSync, writeFileSync } from "node:fs";

const dir = "test/analysis/labels";
const a = JSON.parse(readFileSync(`${dir}/stratum-a.json`, "utf8"));
const b = JSON.parse(readFileSync(`${dir}/stratum-b-and-targeted.json`, "utf8"));

function mulberry32(s) {
  return () => {
    s |= 0;
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// A unit labelled by both labellers (10 targeted units of B that are also in A's files) keeps
// A's label: A drew it in the fixed random order; the pair is kept in `doubleLabelled` below.
const key = (u) => `${u.file}#${u.driver ?? ""}`;
const seen = new Map();
const units = [];
const doubles = [];
for (const u of [...a, ...b]) {
  const k = key(u);
  if (seen.has(k)) {
    doubles.push({ kept: seen.get(k).id, dropped: u.id, keptClasses: seen.get(k).classes, droppedClasses: u.classes });
    continue;
  }
  seen.set(k, u);
  if (u.classes.includes("unclear")) continue;
  units.push(u);
}

const rand = mulberry32(20261208);
const bySig = new Map();
for (const u of units) {
  const sig = [...u.classes].sort().join("+");
  if (!bySig.has(sig)) bySig.set(sig, []);
  bySig.get(sig).push(u);
}
const tune = [];
const heldOut = [];
let next = 0; // alternate across signatures too, so odd-sized groups do not all favour one half
for (const sig of [...bySig.keys()].sort()) {
  const list = bySig.get(sig);
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
  for (const u of list) (next++ % 2 === 0 ? tune : heldOut).push(u);
}
const byId = (x, y) => x.id.localeCompare(y.id);
tune.sort(byId);
heldOut.sort(byId);
const write = (name, v) => writeFileSync(`${dir}/${name}`, JSON.stringify(v, null, 1) + "\n");
write("tune.json", tune);
write("held-out.json", heldOut);
write("multi-class.json", units.filter((u) => u.classes.length > 1).map((u) => ({ id: u.id, file: u.file, driver: u.driver, classes: u.classes, half: tune.includes(u) ? "tune" : "held-out" })));
write("double-labelled.json", doubles);
const count = (list) => {
  const c = {};
  for (const u of list) for (const k of u.classes) c[k] = (c[k] ?? 0) + 1;
  return c;
};
console.log(JSON.stringify({ units: units.length, tune: tune.length, heldOut: heldOut.length, doubles: doubles.length, tuneClasses: count(tune), heldOutClasses: count(heldOut) }, null, 1));
