import type { FromSchema } from "json-schema-to-ts";

/**
 * `github`: where the applied series are mirrored. Secrets never live here: the token comes
 * from IRQTRIAGE_GITHUB_TOKEN, the App key from a file named here.
 */
export const githubSection = {
  type: "object",
  additionalProperties: false,
  default: {},
  properties: {
    enabled: { type: "boolean", default: false },
    baseUrl: { type: "string", minLength: 1, default: "https://api.github.com", description: "REST API root; GitHub Enterprise: https://host/api/v3." },
    owner: { type: ["string", "null"], pattern: "^[A-Za-z0-9_.-]+$", default: null },
    repo: { type: ["string", "null"], pattern: "^[A-Za-z0-9_.-]+$", default: null },
    pushUrl: { type: ["string", "null"], default: null, description: "git URL the branches are pushed to; null = https://github.com/<owner>/<repo>.git." },
    baseBranch: { type: "string", minLength: 1, default: "master", description: "Pull requests are opened against this branch." },
    branchPrefix: { type: "string", pattern: "^[A-Za-z0-9/_.-]*$", default: "irqtriage/", description: "Branch per lineage: <prefix><hash of lineage>." },
    report: { enum: ["check-run", "status"], default: "check-run", description: "Findings as a check run (needs a GitHub App) or a commit status (works with a token)." },
    auth: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        mode: { enum: ["token", "app"], default: "token" },
        appId: { type: ["integer", "null"], default: null },
        privateKeyPath: { type: ["string", "null"], default: null, description: "PEM file of the App's private key." },
        installationId: { type: ["integer", "null"], default: null },
      },
    },
    writeIntervalMs: { type: "integer", minimum: 0, default: 1000, description: "Minimum spacing of write requests (GitHub's secondary rate limits)." },
  },
} as const;

export type GithubConfig = FromSchema<typeof githubSection>;
