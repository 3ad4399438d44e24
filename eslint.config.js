import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

// The pure core: every part's folder except its io/ (where its I/O lives behind one interface
// per outside system). Only pipeline/, daemon/, cli/ and bench/ choose real implementations.
export const pureFolders = ["types", "config", "mail", "patch", "analysis", "sim", "report", "mail-commands", "kernel", "qemu", "github"];

// What a pure file must not import: the file system, processes, threads, the network, the
// clients of outside systems, the store, and any part's I/O or the composition roots.
export const impureImports = [
  "fs", "node:fs", "fs/*", "node:fs/*", "child_process", "node:child_process", "worker_threads", "node:worker_threads",
  "net", "node:net", "http", "node:http", "https", "node:https", "http2", "node:http2", "tls", "node:tls", "dgram", "node:dgram",
  "dns", "node:dns", "dns/*", "node:dns/*", "readline", "node:readline", "cluster", "node:cluster",
  "imapflow", "smtp-server", "octokit", "@octokit/*", "better-sqlite3", "pg", "pg-*", "mailauth", "mailauth/*",
  "**/io/*", "**/store/*", "**/daemon/*", "**/pipeline/*", "**/cli/*", "**/bench/*",
];

// nodemailer is the SMTP client: refused, except its address parser, a pure function of a string
// that requires nothing (mail/ parses addresses with it instead of loading all of mailparser).
export const nodemailerImports = "^nodemailer(?:/(?!lib/addressparser/index\\.js$).*)?$";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "fixtures/", "coverage/", "test/fixtures/lint/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  // Plain Node scripts (label sampling, bench helpers) run with Node's globals.
  { files: ["**/*.mjs", "**/*.js"], languageOptions: { globals: globals.node } },
  {
    files: pureFolders.map((f) => `src/${f}/**/*.ts`),
    ignores: pureFolders.map((f) => `src/${f}/**/io/**`),
    rules: {
      // Pure core: data in, data out. Type-only imports are refused too: a pure file that needs
      // a store or I/O type is in the wrong folder.
      "no-restricted-imports": ["error", { patterns: [{ group: impureImports }, { regex: nodemailerImports }] }],
    },
  },
);
