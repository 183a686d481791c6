// @ts-check
// What a site's config.json must hold, checked in two places from this one file: by build.mjs
// before it writes config.json (so a bad deploy fails the build), and by the site at start (so
// a hand-edited config.json is named in words rather than failing somewhere later).
// No IO here: values in, problems out.

/**
 * One key of a site's config: `url` is an absolute http(s) URL, `string` a non-empty string,
 * `strings` a non-empty list of non-empty strings.
 * @typedef {{ kind: "url" | "string" | "strings", optional?: boolean }} KeySchema
 * @typedef {Record<string, KeySchema>} Schema
 */

/**
 * Every problem of `value` against `schema`, each naming its key; empty when it fits. The values
 * of `unchecked` keys are not checked (their problem is known already), only their presence.
 * @param {Schema} schema
 * @param {unknown} value
 * @param {Set<string>} [unchecked]
 * @returns {string[]}
 */
export function configProblems(schema, value, unchecked = new Set()) {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return ["the config must be a JSON object"];
  }
  /** @type {Record<string, unknown>} */
  const config = /** @type {Record<string, unknown>} */ (value);
  const problems = [];
  for (const [key, spec] of Object.entries(schema)) {
    if (!(key in config)) {
      if (!spec.optional) problems.push(`key "${key}" is missing`);
      continue;
    }
    const problem = unchecked.has(key) ? null : kindProblem(spec.kind, config[key]);
    if (problem) problems.push(`key "${key}" ${problem}`);
  }
  for (const key of Object.keys(config)) {
    if (!(key in schema)) problems.push(`key "${key}" is unknown (known: ${Object.keys(schema).join(", ")})`);
  }
  return problems;
}

/**
 * @param {KeySchema["kind"]} kind
 * @param {unknown} value
 * @returns {string | null}
 */
function kindProblem(kind, value) {
  switch (kind) {
    case "string":
      return typeof value === "string" && value.trim() !== "" ? null : "must be a non-empty string";
    case "strings":
      return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string" && v.trim() !== "")
        ? null
        : "must be a non-empty list of non-empty strings";
    case "url":
      return typeof value === "string" && isHttpUrl(value) ? null : `must be an absolute http(s) URL, not ${JSON.stringify(value)}`;
  }
}

/** @param {string} text */
function isHttpUrl(text) {
  try {
    const url = new URL(text);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}
