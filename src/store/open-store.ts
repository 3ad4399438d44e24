import { ConfigError } from "../errors.js";
import { SqliteStore } from "./sqlite/sqlite-store.js";
import type { Store } from "./store.js";

/**
 * The one place a store is chosen. `spec` is a state folder (the embedded SQLite default,
 * `<dir>/irqtriage.sqlite`) or a `sqlite:<file>` URL.
 */
export async function openStore(spec: { stateDir: string; url?: string | null }): Promise<Store> {
  const url = spec.url ?? null;
  if (!url) return SqliteStore.open(spec.stateDir);
  if (url.startsWith("sqlite:")) return SqliteStore.openFile(url.slice("sqlite:".length));
  throw new ConfigError(`unsupported store ${JSON.stringify(url.replace(/\/\/[^@/]*@/, "//***@"))}: give a state folder or sqlite:<file>`);
}
