/**
 * `npm run bench [-- <name>...]`: runs the named benchmarks (default: all) and prints their
 * figures. Each benchmark module exports `bench(log: (line: string) => void): Promise<void>`.
 * Benchmarks measure; they never assert (targets are reported next to the figures).
 */
type Bench = (log: (line: string) => void) => Promise<void>;

const benches: Record<string, () => Promise<Bench>> = {
  // name: async () => (await import("./<name>-bench.js")).bench,
  ingest: async () => (await import("./ingest-bench.js")).bench,
  sim: async () => (await import("./sim-bench.js")).bench,
  scan: async () => (await import("./scan-bench.js")).bench,
  qemu: async () => (await import("./qemu-bench.js")).bench,
  daemon: async () => (await import("./daemon-bench.js")).bench,
  apply: async () => (await import("./apply-bench.js")).bench,
};

async function runBenches(): Promise<void> {
  const wanted = process.argv.slice(2);
  const names = wanted.length ? wanted : Object.keys(benches);
  for (const name of names) {
    const load = benches[name];
    if (!load) {
      process.stderr.write(`unknown benchmark "${name}"; known: ${Object.keys(benches).join(", ")}\n`);
      process.exitCode = 2;
      return;
    }
    process.stdout.write(`\n== ${name}\n`);
    const bench = await load();
    await bench((line) => process.stdout.write(line + "\n"));
  }
}

await runBenches();
