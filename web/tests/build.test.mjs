// The build's contract with the site steps: every config.json that `tenancy synth` writes
// (generated/sites/<site>/config.json) builds, with its placeholders filled from the
// environment the plan binds; and bad input is refused with the file, the key and the fix,
// leaving no output. Run by scripts/test: `node --test web/tests/`.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const WEB = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const GENERATED = path.join(WEB, "..", "generated", "sites");
// What the site steps bind from the baseline's outputs (`compile::sites::bound_variables`).
const BOUND = { ADMIN_ISSUER: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyZ", ADMIN_CLIENT_ID: "1example23456789client" };

/** Runs build.mjs for `site` with `config` and `env`; returns the exit status, stderr and output dir. */
function build(site, config, env = {}) {
  const out = mkdtempSync(path.join(os.tmpdir(), "tenancy-build-"));
  const run = spawnSync(process.execPath, [path.join(WEB, "build.mjs"), "--site", site, "--out", out, "--config", config], {
    encoding: "utf8",
    env: { PATH: process.env.PATH, ...env },
    timeout: 60_000,
  });
  return { status: run.status, stderr: run.stderr, out };
}

function configFile(contents) {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "tenancy-config-")), "config.json");
  writeFileSync(file, JSON.stringify(contents));
  return file;
}

for (const site of ["landing", "admin", "app"]) {
  test(`the ${site} site builds with the config.json synth writes, its placeholders filled`, () => {
    const generated = path.join(GENERATED, site, "config.json");
    const { status, stderr, out } = build(site, generated, BOUND);
    assert.equal(status, 0, stderr);
    const written = JSON.parse(readFileSync(path.join(out, site, "config.json"), "utf8"));
    const expected = JSON.parse(readFileSync(generated, "utf8").replace(/\$\{([A-Z_]+)\}/g, (_, name) => BOUND[name]));
    assert.deepEqual(written, expected);
    assert.ok(!JSON.stringify(written).includes("${"), JSON.stringify(written));
    assert.ok(existsSync(path.join(out, site, "index.html")));
  });
}

test("an unset placeholder and an unknown key are refused together, naming the file and each key, and nothing is written", () => {
  const generated = JSON.parse(readFileSync(path.join(GENERATED, "admin", "config.json"), "utf8"));
  const file = configFile({ ...generated, colour: "blue" });
  const { status, stderr, out } = build("admin", file, { ADMIN_CLIENT_ID: BOUND.ADMIN_CLIENT_ID });
  assert.equal(status, 1, stderr);
  assert.match(stderr, new RegExp(file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  assert.match(stderr, /key "issuer": \$\{ADMIN_ISSUER\} is not set in the environment/);
  assert.match(stderr, /key "colour" is unknown/);
  assert.ok(!existsSync(path.join(out, "admin")), "no partial output");
});

test("a missing key is refused by name", () => {
  const { apiUrl } = JSON.parse(readFileSync(path.join(GENERATED, "app", "config.json"), "utf8"));
  const { status, stderr, out } = build("app", configFile({ apiUrl }));
  assert.equal(status, 1, stderr);
  assert.match(stderr, /appDomain/);
  assert.ok(!existsSync(path.join(out, "app")), "no partial output");
});
