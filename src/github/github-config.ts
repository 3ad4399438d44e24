/**
 * The `github` config section: where the applied series are mirrored. Secrets never live here:
 * the token comes from IRQTRIAGE_GITHUB_TOKEN, the App key from a file named here.
 */
export interface GithubConfig {
  enabled: boolean;
  /** REST API root; GitHub Enterprise: https://host/api/v3. */
  baseUrl: string;
  owner: string | null;
  repo: string | null;
  /** git URL the branches are pushed to; null = https://github.com/<owner>/<repo>.git. */
  pushUrl: string | null;
  /** Pull requests are opened against this branch of the mirror repository. */
  baseBranch: string;
  /** Branch per lineage: `<prefix><hash of lineage>`. */
  branchPrefix: string;
  /** Findings as a check run (needs a GitHub App) or a commit status (works with a token). */
  report: "check-run" | "status";
  auth: {
    mode: "token" | "app";
    appId: number | null;
    /** PEM file of the App's private key (relative paths: from the working directory). */
    privateKeyPath: string | null;
    installationId: number | null;
  };
  /** Minimum spacing of write requests, GitHub's guidance is 1 s (secondary rate limits). */
  writeIntervalMs: number;
}

/** JSON schema fragment for `github` (ajv fills the defaults). */
export const githubConfigSchema = {
  type: "object",
  additionalProperties: false,
  default: {},
  properties: {
    enabled: { type: "boolean", default: false },
    baseUrl: { type: "string", minLength: 1, default: "https://api.github.com" },
    owner: { type: ["string", "null"], pattern: "^[A-Za-z0-9_.-]+$", default: null },
    repo: { type: ["string", "null"], pattern: "^[A-Za-z0-9_.-]+$", default: null },
    pushUrl: { type: ["string", "null"], default: null },
    baseBranch: { type: "string", minLength: 1, default: "master" },
    branchPrefix: { type: "string", pattern: "^[A-Za-z0-9/_.-]*$", default: "irqtriage/" },
    report: { enum: ["check-run", "status"], default: "check-run" },
    auth: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        mode: { enum: ["token", "app"], default: "token" },
        appId: { type: ["integer", "null"], default: null },
        privateKeyPath: { type: ["string", "null"], default: null },
        installationId: { type: ["integer", "null"], default: null },
      },
    },
    writeIntervalMs: { type: "integer", minimum: 0, default: 1000 },
  },
} as const;
