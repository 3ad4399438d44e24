import type { Logger } from "../../log/logger.js";
import { createOctokit } from "./create-octokit.js";
import type { GithubConfig } from "../../config/sections/github.js";
import { OctokitPublisher } from "./octokit-publisher.js";
import type { Publisher } from "../publisher.js";

/** The Publisher the config asks for, or null when the GitHub mirror is off. */
export async function createPublisher(config: GithubConfig, o: { log: Logger; env?: NodeJS.ProcessEnv }): Promise<Publisher | null> {
  if (!config.enabled) return null;
  const { octokit, pushToken } = await createOctokit(config, o);
  return new OctokitPublisher({ config, octokit, pushToken, log: o.log });
}
