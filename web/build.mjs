#!/usr/bin/env node
// Builds the sites: node build.mjs --site <landing|admin|app> [--site ...] --out <dir> [--config <file.json>]
//
// For each site, <out>/<site>/ gets index.html, assets/<name>-<hash>.{js,css} (bundled and
// minified by esbuild, named by their content, so the same sources give the same bytes) and,
// with --config, config.json. Everything is built and checked in memory first, then written to
// a temporary directory beside the output and renamed into place: a failed build writes nothing,
// and a site directory is always one whole build.

import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { configProblems } from "./shared/config-schema.mjs";

const ROOT = path.dirname(fileURLToPath(import.meta.url));
const SITES = ["landing", "admin", "app"];
const USAGE = "usage: node build.mjs --site <landing|admin|app> [--site ...] --out <dir> [--config <file.json>]";

/** A problem the user can fix; printed without a stack trace. */
class BuildError extends Error {}

function parseArgs(argv) {
  const sites = [];
  let out;
  let config;
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (!["--site", "--out", "--config"].includes(flag)) throw new BuildError(`unknown argument "${flag}"\n${USAGE}`);
    if (value === undefined || value.startsWith("--")) throw new BuildError(`${flag} needs a value\n${USAGE}`);
    i += 1;
    if (flag === "--site") {
      if (!SITES.includes(value)) throw new BuildError(`--site "${value}" is not a site (one of ${SITES.join(", ")})`);
      if (sites.includes(value)) throw new BuildError(`--site "${value}" is given twice`);
      sites.push(value);
    } else if (flag === "--out") {
      out = value;
    } else {
      config = value;
    }
  }
  if (sites.length === 0) throw new BuildError(`no --site given\n${USAGE}`);
  if (out === undefined) throw new BuildError(`no --out given\n${USAGE}`);
  if (config !== undefined && sites.length > 1) {
    throw new BuildError("--config is for one site: build each site with its own --config");
  }
  return { sites, out: path.resolve(out), config };
}

/** `${NAME}` in every string of `value` (nested in lists too), from `env`; unset names are problems of `key`. */
function substitute(value, key, env, problems) {
  if (typeof value === "string") {
    return value.replace(/\$\{([^}]*)\}/g, (whole, name) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        problems.push(`key "${key}": "${whole}" is not a placeholder (use \${NAME}, NAME of letters, digits and _)`);
      } else if (env[name] === undefined) {
        problems.push(`key "${key}": \${${name}} is not set in the environment`);
      } else {
        return env[name];
      }
      return whole;
    });
  }
  if (Array.isArray(value)) return value.map((item) => substitute(item, key, env, problems));
  return value;
}

/** The site's config.json text: the file's placeholders filled in and checked against the site's schema. */
async function siteConfig(site, file) {
  let parsed;
  try {
    parsed = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new BuildError(`${file}: cannot read it as JSON: ${err.message}`);
  }
  const problems = [];
  const unfilled = new Set();
  const filled =
    typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? Object.fromEntries(
          Object.entries(parsed).map(([key, v]) => {
            const before = problems.length;
            const value = substitute(v, key, process.env, problems);
            if (problems.length > before) unfilled.add(key);
            return [key, value];
          }),
        )
      : parsed;
  const schema = JSON.parse(await readFile(path.join(ROOT, site, "config.schema.json"), "utf8"));
  problems.push(...configProblems(schema, filled, unfilled));
  if (problems.length > 0) {
    throw new BuildError(`${file} (config of site "${site}"):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
  return `${JSON.stringify(filled, null, 2)}\n`;
}

/** The page with its two source references replaced by the hashed assets; refuses inline code (CSP). */
function page(site, template, script, style) {
  const file = `${site}/index.html`;
  if (/<script(?![^>]*\ssrc=)[^>]*>/i.test(template) || /\son[a-z]+\s*=/i.test(template)) {
    throw new BuildError(`${file}: inline scripts and event handler attributes break the Content-Security-Policy`);
  }
  let html = template;
  for (const [source, asset] of [
    ['src="main.ts"', `src="/assets/${script}"`],
    ['href="style.css"', `href="/assets/${style}"`],
  ]) {
    const count = html.split(source).length - 1;
    if (count !== 1) throw new BuildError(`${file}: expected ${source} once, found it ${count} times`);
    html = html.replace(source, asset);
  }
  return html;
}

/** One site's files, in memory: relative path -> bytes. */
async function buildSite(site, configFile) {
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: { main: `${site}/main.ts`, style: `${site}/style.css` },
    entryNames: "[name]-[hash]",
    outdir: "assets",
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: ["es2022"],
    charset: "utf8",
    legalComments: "none",
    metafile: true,
    write: false,
    logLevel: "silent",
  }).catch((err) => {
    const messages = (err.errors ?? []).map((e) => `  - ${e.location ? `${e.location.file}:${e.location.line}: ` : ""}${e.text}`);
    throw new BuildError(`site "${site}": esbuild failed:\n${messages.join("\n") || err.message}`);
  });
  const files = new Map();
  for (const output of result.outputFiles) files.set(path.relative(ROOT, output.path), output.contents);
  const named = (ext) => [...files.keys()].find((f) => f.endsWith(ext))?.slice("assets/".length);
  const template = await readFile(path.join(ROOT, site, "index.html"), "utf8");
  files.set("index.html", Buffer.from(page(site, template, named(".js"), named(".css"))));
  if (configFile !== undefined) files.set("config.json", Buffer.from(await siteConfig(site, configFile)));
  return files;
}

/** Writes every site into a temporary directory inside `out`, then renames each into place. */
async function install(out, built) {
  await mkdir(out, { recursive: true });
  const temp = await mkdtemp(path.join(out, ".build-"));
  try {
    for (const [site, files] of built) {
      for (const [file, contents] of files) {
        const target = path.join(temp, site, file);
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, contents);
      }
    }
    for (const site of built.keys()) {
      // rename(2) cannot replace a non-empty directory: move the old one aside first.
      await rename(path.join(out, site), path.join(temp, `${site}.old`)).catch((err) => {
        if (err.code !== "ENOENT") throw err;
      });
      await rename(path.join(temp, site), path.join(out, site));
    }
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

async function main() {
  const { sites, out, config } = parseArgs(process.argv.slice(2));
  const built = new Map();
  for (const site of sites) built.set(site, await buildSite(site, config));
  await install(out, built);
  for (const [site, files] of built) {
    const sizes = [...files].map(([file, contents]) => `${file} ${contents.length} B`).join(", ");
    console.log(`${path.join(out, site)}: ${sizes}`);
  }
}

main().catch((err) => {
  console.error(`build.mjs: ${err instanceof BuildError ? err.message : err.stack}`);
  process.exit(1);
});
