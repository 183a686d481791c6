// The site's runtime config, GET /config.json from its own origin, written by build.mjs --config
// at deploy time: one build serves every environment. Never cached, so a new deploy's config is
// read at the next load.

import { configProblems, type Schema } from "./config-schema.mjs";
import { fetchJson } from "./http";

/**
 * The config, checked against the site's `config.schema.json`. The schema is typed as having
 * every key of `T`, so a key the code reads but the schema lacks is a compile error.
 */
export async function loadConfig<T>(schema: Record<keyof T, unknown>): Promise<T> {
  const value = await fetchJson<unknown>("/config.json", { cache: "no-store" });
  const problems = configProblems(schema as Schema, value);
  if (problems.length > 0) throw new Error(`This site's /config.json does not fit: ${problems.join("; ")}.`);
  return value as T;
}
