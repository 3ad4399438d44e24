import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const CHILD = fileURLToPath(new URL("./smtp-server-child.mjs", import.meta.url));

export interface SinkMail {
  file: string;
  envelopeTo: string[];
  headers: Record<string, string>;
  raw: string;
}

/**
 * A real SMTP server in its own process (test/support/smtp-server-child.mjs) that stores every
 * accepted mail as a file. stop()/start() kill and restart the process on the same port.
 */
export class SmtpSink {
  readonly host = "127.0.0.1";
  private child: ChildProcess | null = null;

  private constructor(
    readonly dir: string,
    public port: number,
  ) {}

  static async start(): Promise<SmtpSink> {
    const dir = mkdtempSync(path.join(os.tmpdir(), "irqtriage-smtp-"));
    const s = new SmtpSink(dir, 0);
    await s.start();
    return s;
  }

  url(): string {
    return `smtp://${this.host}:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  async start(): Promise<void> {
    if (this.child) return;
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        this.port = await this.spawnOnce();
        return;
      } catch (err) {
        // The old process's port may linger for a moment after a restart.
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  private spawnOnce(): Promise<number> {
    const child = spawn(process.execPath, [CHILD, path.join(this.dir, "mail"), String(this.port)], { stdio: ["ignore", "pipe", "pipe"] });
    return new Promise((resolve, reject) => {
      let out = "";
      let err = "";
      child.stderr?.on("data", (b: Buffer) => (err += b.toString()));
      child.stdout?.on("data", (b: Buffer) => {
        out += b.toString();
        const m = /listening (\d+)/.exec(out);
        if (m) {
          this.child = child;
          // If the test process dies without close(), do not leave the server behind.
          const onExit = (): void => {
            child.kill("SIGKILL");
          };
          process.once("exit", onExit);
          child.once("exit", () => {
            process.off("exit", onExit);
            if (this.child === child) this.child = null;
          });
          resolve(Number(m[1]));
        }
      });
      child.once("exit", (code) => {
        if (!this.child) reject(new Error(`smtp sink exited (${String(code)}): ${err}`));
      });
    });
  }

  async stop(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill(signal);
    await exited;
    this.child = null;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Mails received so far, oldest first. */
  messages(): SinkMail[] {
    let names: string[];
    try {
      names = readdirSync(path.join(this.dir, "mail")).filter((n) => n.endsWith(".eml")).sort();
    } catch {
      return [];
    }
    return names.map((name) => {
      const file = path.join(this.dir, "mail", name);
      const raw = readFileSync(file, "utf8");
      const head = raw.split(/\r?\n\r?\n/)[0] ?? "";
      const headers: Record<string, string> = {};
      for (const line of head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
        const i = line.indexOf(":");
        if (i > 0) headers[line.slice(0, i).toLowerCase()] ??= line.slice(i + 1).trim();
      }
      return { file, envelopeTo: (headers["x-sink-envelope-to"] ?? "").split(/,\s*/).filter(Boolean), headers, raw };
    });
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
