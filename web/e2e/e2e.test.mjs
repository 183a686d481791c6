// The web apps in Debian's Chromium against the real platform on 127.0.0.1 (lib/platform.mjs):
// the scenarios of issue 17, each bounded in time and leaving a screenshot, and the budgets of
// each app's first load. Run by scripts/test: `node --test --test-concurrency=1 web/e2e/`.
//
// TENANCY_E2E_OUT: where logs, the build and screenshots go (default: a new directory under the
// system's temporary directory, printed). TENANCY_E2E_SCREENSHOTS: where the screenshots go
// (default <out>/screenshots); web/e2e/screenshots/ holds the committed ones.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { codebuild } from './lib/cognito.mjs';
import { DOMAIN, PASSWORD, startPlatform } from './lib/platform.mjs';

const CHROMIUM = '/usr/bin/chromium';
// axe-core, the accessibility rules engine, injected into each page as it ships (pinned).
const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const out = process.env.TENANCY_E2E_OUT ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tenancy-e2e-'));
const shots = process.env.TENANCY_E2E_SCREENSHOTS ?? path.join(out, 'screenshots');
fs.mkdirSync(shots, { recursive: true });
const events = [];
const log = (line) => events.push(`${new Date().toISOString()} ${line}`);

const site = (host) => `https://${host}.${DOMAIN}`;
const LANDING = site('www');
const ADMIN = site('admin');
const API = site('api');
const app = (tenant) => site(`${tenant}.app`);

let platform;
let browser;
const contexts = [];
const strays = [];

before(async () => {
  const started = Date.now();
  platform = await startPlatform({ workDir: path.join(out, 'work'), log });
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: scripts/test installs Debian's chromium`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // Playwright starts it with a fresh --user-data-dir of its own and --headless.
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
      // Only the edge stand-in's certificate, made at start, by its public key.
      `--ignore-certificate-errors-spki-list=${platform.tls.spki}`,
    ],
    proxy: { server: platform.proxy.url },
  });
  console.log(`# platform up in ${Date.now() - started} ms (${JSON.stringify(platform.timings)}); output in ${out}`);
});

after(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
  await platform?.stop();
  fs.writeFileSync(path.join(out, 'events.log'), events.join('\n') + '\n');
  // Nothing leaves 127.0.0.1: the proxy refused whatever was not the platform. Chromium's own
  // services (Google's hosts, requests of no page) try despite the flags, and are listed; no page
  // may have asked for anything but the platform's origins and the issuers.
  const own = [...new Set((platform?.proxy.refused ?? []).map((r) => r.replace(/^(CONNECT|GET) (https?:\/\/)?([^/:]+).*$/, '$3')))];
  console.log(`# refused by the proxy: ${platform?.proxy.refused.length ?? 0} requests of Chromium's own services (${own.join(', ')})`);
  assert.deepEqual(own.filter((host) => !/(^|\.)(google\.com|googleapis\.com|gvt1\.com)$/.test(host)), [], 'refused hosts other than Chromium\'s own services');
  assert.deepEqual(strays, [], 'pages asked for something other than the platform');
});

/** A fresh browser context (empty cache and storage), which may call the loopback issuer. */
async function context(options = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  // Chromium's Local Network Access: a public origin's fetch to 127.0.0.1 (the issuer's token
  // endpoint) asks the user first. On AWS the issuer is Cognito's public host and nothing asks.
  await ctx.grantPermissions(['local-network-access']);
  ctx.on('request', (request) => {
    const url = new URL(request.url());
    const ours = url.protocol === 'https:' && url.hostname.endsWith(`.${DOMAIN}`) && url.port === '';
    const issuer = url.origin === platform.identity.base;
    if (!ours && !issuer && !['data:', 'blob:', 'about:'].includes(url.protocol)) strays.push(request.url());
  });
  ctx.setDefaultTimeout(15_000);
  contexts.push(ctx);
  return ctx;
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

/** At the stand-in hosted UI: signs in as `email`. */
async function signIn(page, email, password = PASSWORD) {
  await page.waitForURL((url) => url.hostname === '127.0.0.1');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function alerts(page) {
  return (await page.getByRole('alert').allInnerTexts()).map((t) => t.trim()).filter(Boolean);
}

/** The ID token the app keeps. */
const storedToken = (page) => page.evaluate(() => sessionStorage.getItem('tenancy.idToken'));

/**
 * How many onboarding builds moto's CodeBuild has started. (moto keeps no environment overrides
 * of a build, so what each build was for is read from the service's answer.)
 */
async function builds() {
  const call = codebuild(platform.moto.url, 'eu-west-1');
  const { ids = [] } = await call('ListBuildsForProject', { projectName: platform.seed.onboardingProject });
  return ids.length;
}

const adminPage = {};
async function signedInAdmin() {
  if (adminPage.page) return adminPage.page;
  const ctx = await context();
  const page = await ctx.newPage();
  await page.goto(ADMIN + '/');
  await signIn(page, platform.seed.admin.email);
  await page.waitForURL(ADMIN + '/');
  await page.getByRole('heading', { name: 'Tenants' }).waitFor();
  adminPage.page = page;
  return page;
}

const acme = {};
async function signedInAcme() {
  if (acme.page) return acme.page;
  const ctx = await context();
  const page = await ctx.newPage();
  await page.goto(app('acme') + '/');
  await signIn(page, platform.seed.tenants.acme.adminEmail);
  await page.waitForURL(app('acme') + '/');
  await page.getByRole('heading', { name: 'Products' }).waitFor();
  acme.page = page;
  return page;
}

/** The row of the admin console's tenants table whose first cell is `id`. */
const tenantRow = (page, id) =>
  page.getByRole('table', { name: 'Tenants' }).getByRole('row').filter({ has: page.getByRole('cell', { name: id, exact: true }) });

test('a. a sign-up on the landing page shows in the admin console, and its state follows the onboarding job without a reload', { timeout: 120_000 }, async () => {
  const ctx = await context();
  const page = await ctx.newPage();
  await page.goto(LANDING + '/');
  await page.getByLabel('Company name').fill('Hooli');
  await page.getByLabel('Tenant id').fill('hooli');
  await page.getByLabel('Admin email').fill('ops@hooli.example');
  await page.getByLabel('Tier').selectOption('standard');
  const before = await builds();
  const registered = page.waitForResponse((r) => r.url() === `${API}/register` && r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Create my tenant' }).click();
  const answer = await registered;
  assert.equal(answer.status(), 202, await answer.text());
  const status = page.getByRole('status');
  await assert.doesNotReject(status.filter({ hasText: 'requested' }).filter({ hasText: 'hooli' }).waitFor());
  await shot(page, 'landing');
  // The registration started the onboarding build.
  assert.ok((await answer.json()).buildId, 'the answer names the build');
  assert.equal(await builds(), before + 1, 'one onboarding build started');

  const admin = await signedInAdmin();
  const row = tenantRow(admin, 'hooli');
  await row.getByRole('cell', { name: 'requested' }).waitFor();
  // The real writer: the onboarding job's binary, with the environment the build gives it, on a
  // bare clone of this repository and moto. Its apply finds no platform deployed in moto (no
  // bootstrap, no cluster), so it reports `fail` with its cause: the record goes requested ->
  // provisioning -> failed, and the console, which refreshes every 5 s, shows it.
  const remote = path.join(out, 'work', 'platform.git');
  execFileSync('git', ['clone', '--quiet', '--bare', platform.repo, remote]);
  const job = spawnSync(
    path.join(platform.repo, 'target/debug/tenancy'),
    ['job', 'onboard', '--remote', remote, '--endpoint-url', platform.moto.url],
    {
      encoding: 'utf8',
      timeout: 90_000,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME ?? os.tmpdir(),
        TENANT_ID: 'hooli',
        TENANT_NAME: 'Hooli',
        TENANT_TIER: 'standard',
        TENANT_ADMIN_EMAIL: 'ops@hooli.example',
        REGISTRY_TABLE: platform.seed.registryTable,
        LIFECYCLE_TOPIC_ARN: platform.seed.topicArn,
        TENANT_TABLE: platform.seed.tenantTable,
        CODEBUILD_BUILD_ID: 'saas-onboarding:e2e-1',
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_EC2_METADATA_DISABLED: 'true',
        GIT_AUTHOR_NAME: 'e2e',
        GIT_AUTHOR_EMAIL: 'e2e@example.com',
        GIT_COMMITTER_NAME: 'e2e',
        GIT_COMMITTER_EMAIL: 'e2e@example.com',
      },
    },
  );
  fs.writeFileSync(path.join(platform.logs, 'onboarding-job.log'), `${job.stdout}\n${job.stderr}`);
  assert.equal(job.status, 1, `the job ends failed at its apply (exit 1); it exited ${job.status}:\n${job.stderr.slice(-1500)}`);
  // Pushed: the tenant is a commit of the platform repository before the apply.
  const pushed = execFileSync('git', ['--git-dir', remote, 'log', '-1', '--format=%s%n%b', 'main'], { encoding: 'utf8' });
  assert.match(pushed, /Tenancy-Tenant: hooli/);
  await row.getByRole('cell', { name: 'failed' }).waitFor({ timeout: 15_000 });
  await shot(admin, 'admin');
});

test('admin: suspend and activate from the console reach tenant management, which starts the job on CodeBuild', { timeout: 60_000 }, async () => {
  const admin = await signedInAdmin();
  const before = await builds();
  const jobs = [];
  admin.on('response', async (r) => {
    if (r.request().method() === 'POST' && r.url().startsWith(`${API}/tenants/`)) jobs.push(`${r.status()} ${(await r.json()).job} ${r.url().split('/')[4]}`);
  });
  // The console offers what the lifecycle allows: an active tenant can be suspended, not
  // activated; a suspended one the reverse.
  const offered = (id, action) => tenantRow(admin, id).getByRole('button', { name: `${action} ${id}` }).isEnabled();
  assert.deepEqual(
    [await offered('acme', 'Suspend'), await offered('acme', 'Activate'), await offered('initech', 'Suspend'), await offered('initech', 'Activate')],
    [true, false, false, true],
  );
  await tenantRow(admin, 'acme').getByRole('button', { name: 'Suspend acme' }).click();
  await admin.getByRole('status').filter({ hasText: /acme/ }).waitFor();
  await tenantRow(admin, 'initech').getByRole('button', { name: 'Activate initech' }).click();
  await admin.getByRole('status').filter({ hasText: /initech/ }).waitFor();
  await admin.waitForTimeout(200);
  assert.deepEqual(jobs.sort(), ['202 activate initech', '202 suspend acme']);
  assert.equal(await builds(), before + 2, 'each action started the job on CodeBuild');
  assert.deepEqual(await alerts(admin), []);
  // The job applies the suspension; until it reports, the record says acme still serves.
  await tenantRow(admin, 'acme').getByRole('cell', { name: 'active' }).waitFor();
});

test('b. acme signs in, adds two products and orders both; the total is the one the service computed', { timeout: 60_000 }, async () => {
  const page = await signedInAcme();
  await page.getByText(platform.seed.tenants.acme.adminEmail).first().waitFor();
  for (const [name, price] of [['Anvil', '12.50'], ['Rocket skates', '99.99']]) {
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByLabel('Price').fill(price);
    await page.getByRole('button', { name: 'Add product' }).click();
    await page.getByRole('table', { name: 'Products' }).getByRole('cell', { name, exact: true }).waitFor();
  }
  await page.getByLabel('Order name').fill('First order');
  await page.getByLabel('Quantity of Anvil').fill('2');
  await page.getByLabel('Quantity of Rocket skates').fill('1');
  const placed = page.waitForResponse((r) => r.url() === `${API}/acme/orders` && r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Place order' }).click();
  const response = await placed;
  assert.equal(response.status(), 201, await response.text());
  const { total } = await response.json();
  assert.equal(String(total), '124.99', 'two anvils at 12.50 and one pair of rocket skates at 99.99');
  await page.getByRole('status').filter({ hasText: 'Order placed' }).filter({ hasText: String(total) }).waitFor();
  await page.getByRole('table', { name: 'Orders' }).getByRole('cell', { name: String(total) }).waitFor();
  assert.deepEqual(await alerts(page), []);
  await shot(page, 'app');
});

test("c. globex's app refuses acme's admin: at globex's sign-in, and with acme's ID token in its storage and API calls", { timeout: 60_000 }, async () => {
  const acmePage = await signedInAcme();
  const token = await storedToken(acmePage);
  assert.ok(token, 'acme has a token');

  const ctx = await context();
  const page = await ctx.newPage();
  await page.goto(app('globex') + '/');
  await signIn(page, platform.seed.tenants.acme.adminEmail);
  await page.getByRole('alert').filter({ hasText: 'Incorrect email or password' }).waitFor();
  assert.notEqual(new URL(page.url()).hostname, `globex.app.${DOMAIN}`, 'no way back to the app');
  await shot(page, 'c-globex-sign-in-refused');

  // acme's token put into globex's app: refused in words, with a sign-in offered.
  const injected = await ctx.newPage();
  await injected.addInitScript((t) => {
    if (location.hostname.startsWith('globex.')) sessionStorage.setItem('tenancy.idToken', t);
  }, token);
  const calls = [];
  injected.on('request', (r) => r.url().startsWith(`${API}/globex/`) && calls.push(r.url()));
  await injected.goto(app('globex') + '/');
  await injected.getByRole('alert').filter({ hasText: /acme/ }).waitFor();
  await injected.getByRole('button', { name: /sign in/i }).waitFor();
  assert.deepEqual(calls, [], "globex's app sent acme's token nowhere");
  await shot(injected, 'c-globex-refuses-acme-token');
  // And the API itself refuses it, at every route of globex (401: not globex's issuer).
  const statuses = await injected.evaluate(async ([api, t]) => {
    const answers = [];
    for (const p of ['/globex/products', '/globex/orders', '/globex/users']) {
      const r = await fetch(api + p, { headers: { authorization: `Bearer ${t}` } });
      answers.push(r.status);
    }
    return answers;
  }, [API, token]);
  assert.deepEqual(statuses, [401, 401, 401]);
});

test('d. a tenant admin adds a user, who then signs in with the invitation password', { timeout: 60_000 }, async () => {
  const page = await signedInAcme();
  await page.getByRole('heading', { name: 'Users' }).waitFor();
  const users = page.locator('section', { has: page.getByRole('heading', { name: 'Users' }) });
  await users.getByLabel('Email').fill('new@acme.example');
  await users.getByRole('button', { name: 'Add user' }).click();
  await page.getByRole('button', { name: 'Remove new@acme.example' }).waitFor();
  // The emailed invitation's stand-in: a temporary password set on the user moto made.
  const { acme: t } = platform.seed.tenants;
  const user = await platform.call('AdminGetUser', { UserPoolId: t.pool, Username: 'new@acme.example' });
  assert.ok(user.UserAttributes.some((a) => a.Name === 'custom:tenant-id' && a.Value === 'acme'));
  await platform.call('AdminSetUserPassword', { UserPoolId: t.pool, Username: 'new@acme.example', Password: 'Temporary-pass-1', Permanent: false });

  const ctx = await context();
  const newcomer = await ctx.newPage();
  await newcomer.goto(app('acme') + '/');
  await signIn(newcomer, 'new@acme.example', 'Temporary-pass-1');
  await newcomer.getByLabel('New password').fill('Chosen-pass-2024');
  await newcomer.getByRole('button', { name: 'Set password' }).click();
  await newcomer.waitForURL(app('acme') + '/');
  await newcomer.getByRole('heading', { name: 'Products' }).waitFor();
  await newcomer.getByText('new@acme.example').first().waitFor();
  // Not an administrator: no Users section.
  assert.equal(await newcomer.getByRole('heading', { name: 'Users' }).count(), 0);
  assert.deepEqual(await alerts(newcomer), []);
  await shot(newcomer, 'd-new-user');
});

test('e. a suspended tenant sees a clear message, and its API is refused at the edge', { timeout: 30_000 }, async () => {
  const ctx = await context();
  const page = await ctx.newPage();
  await page.goto(app('initech') + '/');
  await page.getByRole('alert').filter({ hasText: 'initech is suspended' }).waitFor();
  assert.equal(new URL(page.url()).hostname, `initech.app.${DOMAIN}`, 'no sign-in');
  await shot(page, 'e-suspended');
  const status = await page.evaluate(async (api) => (await fetch(`${api}/initech/products`)).status, API);
  assert.equal(status, 403, "initech's Ingress denies every source");
});

test('f. an expired ID token leads to a fresh sign-in, not an error page', { timeout: 60_000 }, async () => {
  // A real token of globex's issuer that expires a second after it is issued.
  platform.identity.settings.idTokenTtl = 1;
  let expired;
  try {
    const ctx = await context();
    const page = await ctx.newPage();
    // The app refuses a token that is expired when it arrives; it is taken off the wire.
    const issued = page.waitForResponse((r) => r.url() === `${platform.seed.tenants.globex.issuer}/token`);
    await page.goto(app('globex') + '/');
    await signIn(page, platform.seed.tenants.globex.adminEmail);
    expired = (await (await issued).json()).id_token;
  } finally {
    platform.identity.settings.idTokenTtl = 3600;
  }
  assert.ok(expired, 'the sign-in issued a token');
  await new Promise((r) => setTimeout(r, 1500));

  // The user comes back later in a new tab, that token in storage: sent to sign in, and back.
  const ctx = await context();
  const page = await ctx.newPage();
  await page.addInitScript((t) => {
    if (location.hostname.startsWith('globex.') && !sessionStorage.getItem('e2e.injected')) {
      sessionStorage.setItem('e2e.injected', '1');
      sessionStorage.setItem('tenancy.idToken', t);
    }
  }, expired);
  const sent = [];
  page.on('request', (r) => r.headers().authorization === `Bearer ${expired}` && sent.push(r.url()));
  await page.goto(app('globex') + '/');
  await signIn(page, platform.seed.tenants.globex.adminEmail);
  await page.waitForURL(app('globex') + '/');
  await page.getByRole('heading', { name: 'Products' }).waitFor();
  const fresh = await storedToken(page);
  assert.ok(fresh && fresh !== expired, 'a fresh token');
  assert.deepEqual(sent, [], 'the expired token was sent nowhere');
  assert.deepEqual(await alerts(page), []);
  await shot(page, 'f-fresh-sign-in');
});

/**
 * An app's first load with an empty cache: the bytes its origin sent (as the edge sent them,
 * gzip), and the time from navigation start until `ready` (the app's first interactive element)
 * is in the page, by performance.now() in the page.
 */
async function budget(name, url, ready, { token } = {}) {
  const ctx = await context();
  const page = await ctx.newPage();
  if (token) await page.addInitScript((t) => sessionStorage.setItem('tenancy.idToken', t), token);
  const origin = new URL(url).origin;
  const sizes = [];
  page.on('requestfinished', (r) => {
    if (r.url().startsWith(origin + '/')) sizes.push(r.sizes().then((s) => s.responseBodySize + s.responseHeadersSize));
  });
  await page.goto(url);
  const interactive = await page.waitForFunction(
    (label) => {
      const button = [...document.querySelectorAll('button')].find((b) => b.textContent.trim() === label && !b.disabled);
      return button && button.offsetParent !== null ? performance.now() : false;
    },
    ready,
    { polling: 'raf', timeout: 15_000 },
  );
  await page.waitForLoadState('networkidle');
  const bytes = (await Promise.all(sizes)).reduce((a, b) => a + b, 0);
  const ms = Math.round(await interactive.jsonValue());
  console.log(`# budget ${name}: first load ${bytes} bytes from ${origin} in ${sizes.length} responses (gzip); interactive (button "${ready}") at ${ms} ms`);
  return { bytes, ms };
}

test('budgets: bytes on first load and time to interactive, per app', { timeout: 60_000 }, async () => {
  const landing = await budget('landing', LANDING + '/', 'Create my tenant');
  const admin = await budget('admin', ADMIN + '/', 'Refresh', { token: await storedToken(await signedInAdmin()) });
  const tenantApp = await budget('app', app('acme') + '/', 'Add product', { token: await storedToken(await signedInAcme()) });
  for (const [name, b] of Object.entries({ landing, admin, app: tenantApp })) {
    assert.ok(b.bytes > 0 && b.bytes < 100_000, `${name}: ${b.bytes} bytes`);
    assert.ok(b.ms < 5_000, `${name}: ${b.ms} ms`);
  }
});

/** The WCAG 2 A and AA rules axe-core finds broken on `page`, as readable lines. */
async function axeViolations(page) {
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help}; at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  return violations;
}

test('accessible: no WCAG 2.1 A/AA violation found by axe-core in any app, on a desktop and a 375x667 phone, and no horizontal scrolling on the phone', { timeout: 90_000 }, async () => {
  for (const viewport of [{ width: 1280, height: 900 }, { width: 375, height: 667 }]) {
    const ctx = await context({ viewport });
    const pages = [
      ['landing', LANDING + '/', null, 'Create my tenant'],
      ['admin', ADMIN + '/', platform.seed.admin.email, 'Refresh'],
      ['app', app('acme') + '/', platform.seed.tenants.acme.adminEmail, 'Add product'],
    ];
    for (const [name, url, user, ready] of pages) {
      const page = await ctx.newPage();
      await page.goto(url);
      if (user) {
        await signIn(page, user);
        await page.waitForURL(url);
      }
      await page.getByRole('button', { name: ready }).waitFor();
      const where = `${name} at ${viewport.width}x${viewport.height}`;
      assert.deepEqual(await axeViolations(page), [], `axe-core on ${where}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${where} scrolls sideways by ${overflow} px`);
      if (viewport.width === 375) await shot(page, `${name}-phone`);
      await page.close();
    }
  }
});

test('keyboard only: the sign-up form is filled and sent with Tab, typing and Enter, with a visible focus on each control', { timeout: 60_000 }, async () => {
  const ctx = await context();
  const page = await ctx.newPage();
  await page.goto(LANDING + '/');
  await page.getByRole('button', { name: 'Create my tenant' }).waitFor();
  /** Tabs (at most 20 times) until the focused control is the one labelled `label`. */
  const tabTo = async (label) => {
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const el = document.activeElement;
        const name = el?.labels?.[0]?.textContent ?? el?.textContent ?? '';
        return { name: name.trim(), outline: el ? getComputedStyle(el).outlineStyle : 'none' };
      });
      if (focused.name.startsWith(label)) {
        assert.notEqual(focused.outline, 'none', `${label} shows no focus outline`);
        return;
      }
    }
    assert.fail(`Tab never reached ${label}`);
  };
  await tabTo('Company name');
  await page.keyboard.type('Keyboard Co');
  await tabTo('Tenant id');
  await page.keyboard.type('keyboard-co');
  await tabTo('Admin email');
  await page.keyboard.type('ops@keyboard.example');
  await tabTo('Tier');
  await page.keyboard.press('ArrowDown');
  await tabTo('Create my tenant');
  const registered = page.waitForResponse((r) => r.url() === `${API}/register` && r.request().method() === 'POST');
  await page.keyboard.press('Enter');
  assert.equal((await registered).status(), 202);
  await page.getByRole('status').filter({ hasText: 'keyboard-co' }).waitFor();
  assert.deepEqual(await alerts(page), []);
});
