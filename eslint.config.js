import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "fixtures/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["src/mail/**", "src/patch/**", "src/sim/**", "src/report/**", "src/config/schema.ts", "src/analysis/core/**"],
    ignores: ["src/mail/sources/**", "src/mail/*-source.ts"],
    rules: {
      // Pure core: no file system, processes, network or store.
      "no-restricted-imports": ["error", { patterns: ["node:fs", "node:fs/*", "fs", "node:child_process", "child_process", "node:net", "node:http", "better-sqlite3", "imapflow", "nodemailer"] }],
    },
  },
);
