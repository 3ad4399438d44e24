import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * Real git repositories in temp dirs for the kernel tests. Test-side git runs with a clean,
 * fixed environment too, so the developer's ~/.gitconfig cannot change the outcome.
 */
export function testGitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("GIT_") && v !== undefined) env[k] = v;
  return {
    ...env,
    LC_ALL: "C",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_AUTHOR_NAME: "Test Author",
    GIT_AUTHOR_EMAIL: "author@example.org",
    GIT_COMMITTER_NAME: "Test Committer",
    GIT_COMMITTER_EMAIL: "committer@example.org",
    ...extra,
  };
}

export function git(cwd: string, args: string[], extraEnv: Record<string, string> = {}): string {
  return execFileSync("git", args, { cwd, env: testGitEnv(extraEnv), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export interface TempRepo {
  dir: string;
  root: string;
  write(file: string, text: string): void;
  read(file: string): string;
  commit(msg: string, date?: string, author?: { name: string; email: string }): string;
  git(args: string[], env?: Record<string, string>): string;
  cleanup(): void;
}

/** A repo at `<tmp>/mirror` with one commit on master; `root` is the temp dir to clean. */
export function makeRepo(files: Record<string, string>): TempRepo {
  const root = mkdtempSync(path.join(os.tmpdir(), "irqtriage-kernel-"));
  const dir = path.join(root, "mirror");
  mkdirSync(dir);
  git(dir, ["init", "-q", "-b", "master"]);
  const repo: TempRepo = {
    dir,
    root,
    write(file, text) {
      const p = path.join(dir, file);
      mkdirSync(path.dirname(p), { recursive: true });
      writeFileSync(p, text);
    },
    read(file) {
      return readFileSync(path.join(dir, file), "utf8");
    },
    commit(msg, date = "2024-02-03T04:05:06Z", author) {
      git(dir, ["add", "-A"]);
      const env: Record<string, string> = { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date };
      if (author) Object.assign(env, { GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email });
      git(dir, ["commit", "-q", "-m", msg], env);
      return git(dir, ["rev-parse", "HEAD"]).trim();
    },
    git: (args, env = {}) => git(dir, args, env),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
  for (const [f, t] of Object.entries(files)) repo.write(f, t);
  repo.commit("initial import");
  return repo;
}

/** Splits `git format-patch --stdout` output into one raw mail per patch (without the From line). */
export function splitMbox(mbox: string): Buffer[] {
  return mbox
    .split(/^(?=From [0-9a-f]{40} Mon Sep 17 00:00:00 2001$)/m)
    .filter((m) => m.trim() !== "")
    .map((m) => Buffer.from(m.slice(m.indexOf("\n") + 1)));
}

/** A C file with a few functions, long enough that hunks carry a function name in their header. */
export function cFile(name: string, fns: string[]): string {
  const out = [`// SPDX-License-Identifier: GPL-2.0`, `/* ${name} */`, `#include <linux/irq.h>`, ``];
  for (const fn of fns) {
    out.push(`static int ${fn}(struct device *dev)`, `{`);
    for (let i = 0; i < 12; i++) out.push(`\tint v${i} = ${i};`);
    out.push(`\tirq = irq_create_mapping(NULL, 0);`, `\tirq_dispose_mapping(irq);`, `\treturn 0;`, `}`, ``);
  }
  return out.join("\n");
}

/**
 * The fields applySeries reads from a MailMessage, taken from a plain format-patch mail (8bit,
 * one part) without mailparser: tests of the kernel part must not depend on the mail parser.
 */
export function patchMessage(raw: Buffer, msgid: string): {
  msgid: string;
  subject: string;
  raw: Buffer;
  text: string;
  attachments: [];
} {
  const s = raw.toString("utf8");
  const sep = s.indexOf("\n\n");
  const head = s.slice(0, sep).replace(/\n[ \t]+/g, " ");
  const subject = /^Subject: (.*)$/m.exec(head)?.[1] ?? "";
  return { msgid, subject, raw, text: s.slice(sep + 2), attachments: [] };
}

/** Gives each format-patch mail a Message-Id header (format-patch only adds one with --thread). */
export function withMessageId(raw: Buffer, msgid: string): Buffer {
  const s = raw.toString("utf8");
  const sep = s.indexOf("\n\n");
  return Buffer.from(`${s.slice(0, sep)}\nMessage-Id: <${msgid}>${s.slice(sep)}`);
}
