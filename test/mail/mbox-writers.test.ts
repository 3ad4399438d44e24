import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingest } from "../../src/mail/io/ingest.js";
import { readMailItems, type RawMail } from "../../src/mail/io/read-mail.js";
import type { RawMailItem } from "../../src/mail/io/read-mail.js";

/**
 * mbox files written by the tools kernel mail passes through, read back by the splitter: the
 * messages must come out exactly as written, whatever "From " lines their bodies hold, and every
 * piece must be a message or a record.
 * - git format-patch --stdout: mboxo that quotes nothing (a body "From " line is left as it is);
 * - git format-patch --pretty=mboxrd, b4 mbox (reads and writes mboxrd), public-inbox's mboxrd
 *   writer (PublicInbox::LeiToMail::eml2mboxrd, what lore's mbox.gz downloads use).
 */
const CI = process.env["CI"] === "true";
const have = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { encoding: "utf8" }).status === 0;
const tools = {
  git: have("git", ["--version"]),
  b4: have("b4", ["--version"]),
  publicInbox: have("perl", ["-MPublicInbox::LeiToMail", "-MPublicInbox::Eml", "-e", "1"]),
};

let dir = "";
let repo = "";
/** The messages as git wrote them one per file (format-patch -o), without their "From " line. */
let originals: Buffer[] = [];

function git(args: string[], input?: string): string {
  const r = spawnSync("git", args, { cwd: repo, encoding: "utf8", input, env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1", LC_ALL: "C" } });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

const COMMITS = [
  // "From " lines an unquoting writer (format-patch --stdout) leaves as they are: after an empty
  // line but with no mbox date, and an exact separator line inside a paragraph (git mailsplit
  // cuts there; the format does not).
  "genirq: one\n\nFrom the logs it looks like a leak.\nFrom 1234567890abcdef Mon Sep 17 00:00:00 2001\nstill the same mail\n",
  // only mboxrd can carry these: quoted lines, and a first body line right after the empty line
  // that ends the header
  "genirq: two\n\nSome text.\n>From quoted\n>>From quoted twice\n",
  "genirq: three\n\nFrom 1234567890abcdef Mon Sep 17 00:00:00 2001\nafter the empty line\n",
];

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "irqtriage-writers-"));
  if (!tools.git) return;
  repo = path.join(dir, "repo");
  mkdirSync(repo);
  git(["init", "-q"]);
  git(["config", "user.name", "Ann Author"]);
  git(["config", "user.email", "ann@example.org"]);
  writeFileSync(path.join(repo, "irq.c"), "int a;\n");
  git(["add", "irq.c"]);
  git(["commit", "-qm", "base"]);
  for (const [i, msg] of COMMITS.entries()) {
    writeFileSync(path.join(repo, "irq.c"), `int a;\n${"From x\n>From y\n".repeat(i + 1)}`);
    git(["commit", "-qaF", "-"], msg);
  }
  const out = path.join(dir, "patches");
  git(["format-patch", "-q", "--thread", "-o", out, "-3"]);
  originals = readdirSync(out)
    .sort()
    .map((f) => {
      const b = readFileSync(path.join(out, f));
      // the file's last empty line is, in an mbox, the separator's (not the message's)
      const end = b[b.length - 1] === 0x0a && b[b.length - 2] === 0x0a ? b.length - 1 : b.length;
      return b.subarray(b.indexOf(0x0a) + 1, end);
    });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function need(tool: keyof typeof tools, pkg: string): boolean {
  if (tools[tool]) return true;
  if (CI) throw new Error(`${tool} is missing: install the Debian package ${pkg}`);
  console.warn(`skipped: ${tool} not installed (Debian package ${pkg})`);
  return false;
}

async function items(file: string, mboxFormat: "mboxrd" | "mboxo"): Promise<RawMailItem[]> {
  const out: RawMailItem[] = [];
  for await (const it of readMailItems([file], { mboxFormat })) out.push("raw" in it ? { ...it, raw: Buffer.from(it.raw) } : it);
  return out;
}
const messages = (list: RawMailItem[]): RawMail[] => list.filter((i): i is RawMail => "raw" in i);
/**
 * Writers differ in whether a message's own last empty line survives next to the separator's;
 * git's Message-IDs carry the second they were made in.
 */
const text = (b: Buffer): string => b.toString("latin1").replace(/\n+$/, "\n").replace(/\.\d+\.git\./g, ".T.git.");
const bodyOf = (b: Buffer): string => {
  const s = text(b);
  return s.slice(s.indexOf("\n\n") + 2);
};

describe("mbox files written by git format-patch, b4 and public-inbox", () => {
  it("git format-patch --stdout (mboxo, nothing quoted): a 'From ' line inside a paragraph stays in its mail", async () => {
    if (!need("git", "git")) return;
    const file = path.join(dir, "o.mbox");
    const once = git(["format-patch", "--thread", "--stdout", "-1", "HEAD~2"]);
    writeFileSync(file, once + once.replace(/Subject: \[PATCH\]/, "Subject: [PATCH RESEND]"));
    const got = await items(file, "mboxo");
    expect(got.filter((i) => "error" in i)).toEqual([]);
    const one = text(originals[0]!).replace("[PATCH 1/3]", "[PATCH]").replace(/^(In-Reply-To|References): .*\n/gm, "").replace(/^Message-Id: .*\n/m, "");
    expect(messages(got).map((m) => text(m.raw).replace(/^Message-Id: .*\n/m, ""))).toEqual([one, one.replace("[PATCH]", "[PATCH RESEND]")]);
    expect(messages(got)[0]!.notes).toEqual([expect.stringMatching(/looks like an mbox separator but does not follow an empty line/)]);
  });

  it("git format-patch --stdout with a body that starts with a 'From ' line: mboxo cannot carry it, and the cut is recorded, not lost", async () => {
    if (!need("git", "git")) return;
    const file = path.join(dir, "o3.mbox");
    writeFileSync(file, git(["format-patch", "--thread", "--stdout", "-1"]));
    const got = await items(file, "mboxo");
    const bits: string[] = [];
    for await (const it of ingest([file], { mboxFormat: "mboxo" })) bits.push("error" in it ? `error ${it.error.source.replace(file, "")}: ${it.error.message}` : `mail ${it.source.replace(file, "")} ${it.msgid}`);
    // the header part is a mail; the rest (the commit text and the diff) is a record, not dropped
    expect(got).toHaveLength(2);
    expect(bits).toEqual([expect.stringMatching(/^mail #1 /), "error #2: not a mail message: no header fields"]);
  });

  it("git format-patch --pretty=mboxrd: every message exactly as written", async () => {
    if (!need("git", "git")) return;
    const file = path.join(dir, "rd.mbox");
    writeFileSync(file, git(["format-patch", "--thread", "--pretty=mboxrd", "--stdout", "-3"]));
    const got = await items(file, "mboxrd");
    expect(got.filter((i) => "error" in i)).toEqual([]);
    expect(messages(got).map((m) => text(m.raw))).toEqual(originals.map(text));
    expect(messages(got).every((m) => m.notes === undefined)).toBe(true);
  });

  it("b4 mbox (mboxrd): the thread's bodies exactly as written", async () => {
    if (!need("git", "git") || !need("b4", "b4")) return;
    const src = path.join(dir, "b4-src.mbox");
    writeFileSync(src, git(["format-patch", "--thread", "--pretty=mboxrd", "--stdout", "-3"]));
    const first = /^Message-Id: <([^>]+)>/im.exec(readFileSync(src, "latin1"))![1]!;
    const out = path.join(dir, "b4out");
    mkdirSync(out);
    const r = spawnSync("b4", ["--offline-mode", "mbox", "-C", "-m", src, "-o", out, first], { encoding: "utf8", env: { ...process.env, HOME: dir } });
    expect(r.status, r.stderr).toBe(0);
    const [file] = readdirSync(out).map((f) => path.join(out, f));
    const got = await items(file!, "mboxrd");
    expect(got.filter((i) => "error" in i)).toEqual([]);
    expect(messages(got).map((m) => bodyOf(m.raw)).sort()).toEqual(originals.map(bodyOf).sort());
    expect(readFileSync(file!, "latin1")).toMatch(/^>From 1234567890abcdef/m); // b4 did quote it
  });

  it("public-inbox's mboxrd writer (lore downloads): the bodies exactly as written", async () => {
    if (!need("git", "git") || !need("publicInbox", "libpublicinbox-perl")) return;
    const emls = originals.map((o, i) => {
      const f = path.join(dir, `pi-${i}.eml`);
      writeFileSync(f, o);
      return f;
    });
    const file = path.join(dir, "pi.mbox");
    const script = 'use PublicInbox::Eml; use PublicInbox::LeiToMail; binmode STDOUT; for my $f (@ARGV) { open my $fh, "<", $f or die; local $/; my $raw = <$fh>; print ${PublicInbox::LeiToMail::eml2mboxrd(PublicInbox::Eml->new(\\$raw))}; }';
    const r = spawnSync("perl", ["-e", script, ...emls], { encoding: "buffer" });
    expect(r.status, r.stderr.toString()).toBe(0);
    writeFileSync(file, r.stdout);
    const got = await items(file, "mboxrd");
    expect(got.filter((i) => "error" in i)).toEqual([]);
    expect(messages(got).map((m) => bodyOf(m.raw))).toEqual(originals.map(bodyOf));
  });
});
