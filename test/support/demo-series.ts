import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Config } from "../../src/config/config.js";
import { validateConfig } from "../../src/config/validate-config.js";
import { LocalGitMirror } from "../../src/kernel/io/local-git-mirror.js";
import { ingest } from "../../src/mail/io/ingest.js";
import type { MailMessage } from "../../src/mail/mail-message.js";
import { fixturesDir } from "../../src/package-root.js";
import { ensureDemoMirror } from "../../src/pipeline/ensure-demo-mirror.js";

export interface DemoSeries {
  /** Temp state dir (holds the demo mirror); remove it with close(). */
  state: string;
  config: Config;
  mirror: LocalGitMirror;
  /** fixtures/mail/series, ingested. */
  messages: MailMessage[];
  close(): Promise<void>;
}

/** The demo kernel tree as a git mirror plus the fixture series, in a fresh temp state dir. */
export async function demoSeries(prefix: string): Promise<DemoSeries> {
  const state = await mkdtemp(path.join(os.tmpdir(), prefix));
  const v = validateConfig({ stateDir: state });
  if (!v.ok) throw new Error(v.problems.join("; "));
  const mirror = new LocalGitMirror({ path: await ensureDemoMirror(path.join(fixturesDir, "kernel-tree"), path.join(state, "mirror")) });
  const messages: MailMessage[] = [];
  for await (const m of ingest([path.join(fixturesDir, "mail", "series")])) if (!("error" in m)) messages.push(m);
  return { state, config: v.config, mirror, messages, close: () => rm(state, { recursive: true, force: true }) };
}
