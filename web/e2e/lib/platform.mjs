// The whole platform on 127.0.0.1 for the browser tests: moto, seeded as the stacks and the
// plan's register step leave an account (crates/tenancy-registry/examples/e2e_seed.rs); an
// OpenID provider per user pool; the five services' real binaries with their Deployments'
// environments; the sites built by web/build.mjs with a config.json each; the edge stand-in
// serving them and routing the API from the generated Ingresses; a proxy for Chromium.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cognito } from './cognito.mjs';
import { compileRoutes, readDistributions, readIngresses, startEdge } from './edge.mjs';
import { startIdentity } from './identity.mjs';
import { makeCertificate, startMoto, startProxy } from './net.mjs';
import { deploymentEnv, freePort, repoRoot, startService } from './services.mjs';

export const DOMAIN = 'saas.example.com';
export const PASSWORD = 'Correct-horse-battery-9';
const TENANTS = ['acme', 'globex', 'initech:suspended'];

function run(command, args, options = {}) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
  } catch (err) {
    throw new Error(`${command} ${args.join(' ')} failed (${err.status}):\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

export async function startPlatform(options) {
  const stops = [];
  const stop = async () => {
    for (const one of stops.reverse()) {
      try {
        await one();
      } catch {
        // already gone
      }
    }
  };
  try {
    return await start(options, stops, stop);
  } catch (err) {
    await stop();
    throw err;
  }
}

async function start({ workDir, log = () => {} }, stops, stop) {
  const repo = repoRoot;
  const tenancy = path.join(repo, 'target/debug/tenancy');
  const seedBinary = path.join(repo, 'target/debug/examples/e2e_seed');
  for (const binary of [tenancy, seedBinary]) {
    if (!fs.existsSync(binary)) throw new Error(`${binary} is missing: cargo build --workspace --bins --examples`);
  }
  fs.mkdirSync(workDir, { recursive: true });
  const logs = path.join(workDir, 'logs');
  fs.mkdirSync(logs, { recursive: true });
  const timings = {};
  const mark = (name, since) => (timings[name] = Date.now() - since);

  let t = Date.now();
  const moto = await startMoto({ repo, port: await freePort(), logFile: path.join(logs, 'moto.log') });
  stops.push(moto.stop);
  mark('moto', t);
  const call = cognito(moto.url, 'eu-west-1');
  const identity = await startIdentity(call, { log });
  stops.push(identity.close);

  // The platform's tenants as files, initech suspended by the CLI the suspend job runs, and
  // synthesized: its Ingress then carries the suspension.
  t = Date.now();
  // A copy laid out as in the repository (its `sites: ../web` resolves through the link).
  // TENANCY_E2E_BLUEPRINTS names another blueprints directory to copy, if set.
  const platformDir = path.join(workDir, 'platform');
  const blueprints = path.join(platformDir, 'blueprints');
  fs.cpSync(process.env.TENANCY_E2E_BLUEPRINTS ?? path.join(repo, 'blueprints'), blueprints, { recursive: true });
  fs.symlinkSync(path.join(repo, 'web'), path.join(platformDir, 'web'));
  const blueprint = path.join(blueprints, 'reference.yaml');
  run(tenancy, ['tenant', 'suspend', 'initech', '--blueprint', blueprint]);
  const generated = path.join(workDir, 'generated');
  run(tenancy, ['synth', '--blueprint', blueprint, '--out', generated]);
  mark('synth', t);

  t = Date.now();
  const seed = JSON.parse(run(seedBinary, [moto.url, identity.base, blueprint, PASSWORD, ...TENANTS]));
  for (const pool of new Set([seed.admin.pool, seed.sharedPool.pool, ...Object.values(seed.tenants).map((x) => x.pool)])) {
    await identity.addPool(pool);
  }
  mark('seed', t);

  // The placeholders of the Deployments, bound to what the seed made (the stacks' outputs).
  const outputs = {
    'stack:saas-baseline:RegistryTableName': seed.registryTable,
    'stack:saas-baseline:TenantLifecycleTopicArn': seed.topicArn,
    'stack:saas-baseline:AdminIssuerUrl': seed.admin.issuer,
    'stack:saas-baseline:AdminUserPoolClientId': seed.admin.clientId,
    'stack:saas-baseline:AdminUserPoolId': seed.admin.pool,
    'stack:saas-baseline:TenantsUserPoolId': seed.sharedPool.pool,
  };
  for (const [id, x] of Object.entries(seed.tenants)) {
    outputs[`stack:saas-tenant-${id}:IssuerUrl`] = x.issuer;
    outputs[`stack:saas-tenant-${id}:UserPoolClientId`] = x.clientId;
    outputs[`stack:saas-tenant-${id}:UserPoolId`] = x.pool;
  }

  t = Date.now();
  const controlPlane = path.join(generated, 'baseline/control-plane.k8s.yaml');
  const bundles = [controlPlane, ...Object.keys(seed.tenants).map((id) => path.join(generated, `tenants/${id}/k8s.yaml`))];
  const wanted = [
    ...['registration', 'tenant-management', 'user-management'].map((name) => ({ file: controlPlane, name })),
    ...Object.keys(seed.tenants).flatMap((id) =>
      ['product', 'order'].map((name) => ({ file: path.join(generated, `tenants/${id}/k8s.yaml`), name, tenant: id })),
    ),
  ];
  const ports = new Map(); // "<namespace>/<service>" -> port
  const services = await Promise.all(
    wanted.map(async ({ file, name, tenant }) => {
      const { namespace, env } = deploymentEnv(file, name, outputs);
      const label = tenant ? `${name}-${tenant}` : name;
      const service = await startService({
        binary: path.join(repo, 'target/debug', name),
        env,
        motoUrl: moto.url,
        logFile: path.join(logs, `${label}.log`),
        name: label,
      });
      stops.push(service.stop);
      ports.set(`${namespace}/${name}`, service.port);
      return service;
    }),
  );
  mark('services', t);

  // The sites, each with the config.json synth wrote for it, built as the site steps build them:
  // the placeholders filled from the environment the plan binds (the admin pool's issuer and
  // console client: here, the seed's).
  t = Date.now();
  const sitesDir = path.join(workDir, 'sites');
  for (const site of ['landing', 'admin', 'app']) {
    const config = path.join(generated, 'sites', site, 'config.json');
    run(process.execPath, [path.join(repo, 'web/build.mjs'), '--site', site, '--out', sitesDir, '--config', config], {
      env: { ...process.env, ADMIN_ISSUER: seed.admin.issuer, ADMIN_CLIENT_ID: seed.admin.clientId },
    });
  }
  mark('build', t);

  const tls = makeCertificate(workDir, DOMAIN);
  const routes = compileRoutes(readIngresses(bundles), (namespace, service) => {
    const port = ports.get(`${namespace}/${service}`);
    if (port === undefined) throw new Error(`no local process serves ${namespace}/${service}`);
    return port;
  });
  const edge = await startEdge({
    key: tls.key,
    cert: tls.cert,
    distributions: readDistributions(path.join(generated, 'baseline/baseline.cfn.yaml')),
    sites: { landing: path.join(sitesDir, 'landing'), admin: path.join(sitesDir, 'admin'), app: path.join(sitesDir, 'app') },
    routes,
    apiHost: `api.${DOMAIN}`,
    log,
  });
  stops.push(edge.close);
  const proxy = await startProxy({ domain: DOMAIN, edgePort: edge.port, loopback: [Number(new URL(identity.base).port)], log });
  stops.push(proxy.close);

  return {
    repo,
    moto,
    call,
    identity,
    seed,
    services,
    edge,
    proxy,
    tls,
    routes,
    generated,
    blueprint,
    timings,
    logs,
    stop,
  };
}
