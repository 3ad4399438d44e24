import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { ImapFlow } from "imapflow";

/**
 * A real Dovecot (Debian's dovecot-imapd) for tests: its own config, state and maildirs in a
 * temp folder, plain-text login on 127.0.0.1 and a random free port, passwd-file auth. It runs
 * in the foreground as a child process, so stop()/start() really stop and restart the server
 * (on the same port, keeping the mail).
 *
 * Dovecot refuses to run logins or mail as root, so the Debian users `dovenull` (login) and
 * `dovecot` (internal + mail owner) are used; the temp folder is made traversable for them.
 */
export const DOVECOT_BIN = "/usr/sbin/dovecot";

export function dovecotAvailable(): boolean {
  return existsSync(DOVECOT_BIN);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function uidOf(name: string): { uid: number; gid: number } {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`user ${name} missing (install dovecot-imapd)`);
  const f = line.split(":");
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

export interface DovecotOptions {
  user?: string;
  password?: string;
}

export class Dovecot {
  readonly host = "127.0.0.1";
  readonly user: string;
  readonly password: string;
  private child: ChildProcess | null = null;

  private constructor(
    readonly dir: string,
    readonly port: number,
    opts: DovecotOptions,
  ) {
    this.user = opts.user ?? "list";
    this.password = opts.password ?? "secret";
  }

  static async start(opts: DovecotOptions = {}): Promise<Dovecot> {
    const dir = mkdtempSync(path.join(os.tmpdir(), "irqtriage-dovecot-"));
    const d = new Dovecot(dir, await freePort(), opts);
    d.writeConfig();
    await d.start();
    return d;
  }

  get logFile(): string {
    return path.join(this.dir, "dovecot.log");
  }

  /** imap://user@127.0.0.1:port/mailbox */
  url(mailbox = "INBOX"): string {
    return `imap://${encodeURIComponent(this.user)}@${this.host}:${this.port}/${encodeURIComponent(mailbox)}`;
  }

  private writeConfig(): void {
    const mailUser = uidOf("dovecot");
    for (const sub of ["base", "state", "mail"]) mkdirSync(path.join(this.dir, sub), { recursive: true });
    chmodSync(this.dir, 0o755);
    chownSync(path.join(this.dir, "mail"), mailUser.uid, mailUser.gid);
    writeFileSync(path.join(this.dir, "passwd"), `${this.user}:{PLAIN}${this.password}\n`, { mode: 0o644 });
    const conf = `
protocols = imap
listen = 127.0.0.1
base_dir = ${this.dir}/base
state_dir = ${this.dir}/state
log_path = ${this.dir}/dovecot.log
info_log_path = ${this.dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
mail_location = maildir:${this.dir}/mail/%u
mail_uid = dovecot
mail_gid = dovecot
first_valid_uid = ${mailUser.uid}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${this.dir}/passwd
}
userdb {
  driver = static
  args = uid=dovecot gid=dovecot home=${this.dir}/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${this.port}
  }
  inet_listener imaps {
    port = 0
  }
  chroot =
}
service anvil {
  chroot =
}
protocol imap {
  mail_max_userip_connections = 200
}
`;
    writeFileSync(path.join(this.dir, "dovecot.conf"), conf);
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Start (or restart after stop()) and wait until a login works. */
  async start(): Promise<void> {
    if (this.child) return;
    // Its own process group, so stop() can take the imap/login workers down with the master
    // (otherwise open sessions outlive a "restart" by up to 10 s).
    const child = spawn(DOVECOT_BIN, ["-F", "-c", path.join(this.dir, "dovecot.conf")], { stdio: ["ignore", "ignore", "pipe"], detached: true });
    let stderr = "";
    child.stderr?.on("data", (b: Buffer) => (stderr += b.toString()));
    this.child = child;
    // If the test process dies without close(), do not leave the server behind.
    const onExit = (): void => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    };
    process.once("exit", onExit);
    child.once("exit", () => {
      process.off("exit", onExit);
      if (this.child === child) this.child = null;
    });
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (!this.child) throw new Error(`dovecot exited at start: ${stderr}`);
      try {
        const c = this.client();
        await c.connect();
        await c.logout();
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`dovecot did not come up: ${(err as Error).message}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Stop the server process (all connections drop) and wait until it is gone. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      child.kill(signal);
    }
    await exited;
    this.child = null;
    // Its worker processes (imap, imap-login) exit with the master; wait for the port to be free.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if ((await portFree(this.port)) === true) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  client(): ImapFlow {
    return new ImapFlow({ host: this.host, port: this.port, secure: false, auth: { user: this.user, pass: this.password }, logger: false });
  }

  /** Deliver messages the way a list server would: IMAP APPEND. Returns the UIDs. */
  async append(raws: (string | Buffer)[], mailbox = "INBOX"): Promise<number[]> {
    const c = this.client();
    c.on("error", () => undefined);
    await c.connect();
    try {
      const uids: number[] = [];
      for (const raw of raws) {
        const res = await c.append(mailbox, raw);
        if (res && typeof res === "object" && typeof res.uid === "number") uids.push(res.uid);
      }
      return uids;
    } finally {
      await c.logout().catch(() => undefined);
    }
  }

  /** Create a mailbox (the list folder a test follows). */
  async createMailbox(mailbox: string): Promise<void> {
    const c = this.client();
    c.on("error", () => undefined);
    await c.connect();
    try {
      await c.mailboxCreate(mailbox);
    } finally {
      await c.logout().catch(() => undefined);
    }
  }

  async uidValidity(mailbox: string): Promise<number> {
    const c = this.client();
    c.on("error", () => undefined);
    await c.connect();
    try {
      const st = await c.status(mailbox, { uidValidity: true });
      return st ? Number(st.uidValidity) : 0;
    } finally {
      await c.logout().catch(() => undefined);
    }
  }

  /**
   * Delete and recreate a mailbox (a rebuilt list archive): it comes back empty with a new
   * UIDVALIDITY. INBOX cannot be deleted in IMAP, so tests follow another mailbox for this.
   */
  async recreateMailbox(mailbox: string): Promise<{ before: number; after: number }> {
    if (mailbox.toUpperCase() === "INBOX") throw new Error("INBOX cannot be deleted; use another mailbox");
    const before = await this.uidValidity(mailbox);
    // UIDVALIDITY is derived from the clock (seconds): make sure the new one differs.
    await new Promise((r) => setTimeout(r, 1100));
    const c = this.client();
    c.on("error", () => undefined);
    await c.connect();
    // The daemon has the mailbox selected (IDLE) meanwhile; under load Dovecot sometimes answers
    // the DELETE or CREATE with "Command failed". An admin rebuilding it would try again.
    const exists = async (): Promise<boolean> => (await c.list()).some((m) => m.path === mailbox);
    const retry = async (what: string, op: () => Promise<unknown>, done: () => Promise<boolean>): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        try {
          await op();
          return;
        } catch (e) {
          if (await done()) return;
          if (attempt >= 5) throw new Error(`${what} ${mailbox} failed 5 times: ${(e as Error).message}`);
          await new Promise((r) => setTimeout(r, 300 * attempt));
        }
      }
    };
    try {
      await retry("DELETE", () => c.mailboxDelete(mailbox), async () => !(await exists()));
      await retry("CREATE", () => c.mailboxCreate(mailbox), exists);
    } finally {
      await c.logout().catch(() => undefined);
    }
    return { before, after: await this.uidValidity(mailbox) };
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}
