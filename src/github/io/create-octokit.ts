import { readFile } from "node:fs/promises";
import Bottleneck from "bottleneck";
import { App, Octokit } from "octokit";
import { ConfigError } from "../../errors.js";
import type { Logger } from "../../log/logger.js";
import type { GithubConfig } from "../../config/sections/github.js";

export type GithubClient = InstanceType<typeof Octokit>;

export interface CreateOctokitOptions {
  log: Logger;
  env?: NodeJS.ProcessEnv;
  /** Retries after a (secondary) rate limit before giving up; default 2. */
  maxRateLimitRetries?: number;
}

export interface GithubAuth {
  octokit: GithubClient;
  /** A token git can push with (the env token or a fresh installation token). */
  pushToken(): Promise<string>;
}

/**
 * Octokit with the retry and throttling plugins the `octokit` package bundles, pointed at
 * `baseUrl`, authenticated by IRQTRIAGE_GITHUB_TOKEN or as a GitHub App installation (App class:
 * a JWT from the private key, exchanged for an installation token, renewed by octokit).
 * Write requests are spaced `writeIntervalMs` apart, as GitHub asks of integrations.
 */
export async function createOctokit(config: GithubConfig, o: CreateOctokitOptions): Promise<GithubAuth> {
  const env = o.env ?? process.env;
  const maxRetries = o.maxRateLimitRetries ?? 2;
  const log = o.log.child({ part: "github" });
  const onLimit =
    (kind: string) =>
    (retryAfter: number, options: { method: string; url: string }, _octokit: unknown, retryCount: number): boolean => {
      const retry = retryCount < maxRetries;
      log.warn({ kind, retryAfter, method: options.method, url: options.url, retryCount, retry }, "GitHub rate limit");
      return retry;
    };
  const interval = config.writeIntervalMs;
  const MyOctokit = Octokit.defaults({
    baseUrl: config.baseUrl.replace(/\/+$/, ""),
    userAgent: "irqtriage",
    throttle: {
      onRateLimit: onLimit("primary"),
      onSecondaryRateLimit: onLimit("secondary"),
      // Own groups so the pacing follows the config (octokit's are module-global, 1 s / 3 s).
      write: new Bottleneck.Group({ maxConcurrent: 1, minTime: interval }),
      notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: interval * 3 }),
    },
    log: {
      debug: () => undefined,
      info: (m: string) => log.debug(m),
      warn: (m: string) => log.warn(m),
      error: (m: string) => log.error(m),
    },
  });

  if (config.auth.mode === "token") {
    const token = env["IRQTRIAGE_GITHUB_TOKEN"];
    if (!token) throw new ConfigError("github.auth.mode is token but IRQTRIAGE_GITHUB_TOKEN is not set");
    return { octokit: new MyOctokit({ auth: token }), pushToken: async () => token };
  }
  const { appId, privateKeyPath, installationId } = config.auth;
  if (appId === null || privateKeyPath === null || installationId === null) {
    throw new ConfigError("github.auth.mode app needs appId, privateKeyPath and installationId");
  }
  let privateKey: string;
  try {
    privateKey = await readFile(privateKeyPath, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read GitHub App key ${privateKeyPath}: ${(err as Error).message}`);
  }
  const app = new App({ appId, privateKey, Octokit: MyOctokit });
  const octokit = (await app.getInstallationOctokit(installationId)) as unknown as GithubClient;
  return {
    octokit,
    pushToken: async () => ((await octokit.auth({ type: "installation" })) as { token: string }).token,
  };
}
