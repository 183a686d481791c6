// The real service binaries (cargo-built), each started with exactly the environment its
// generated Deployment gives its container (values, ConfigMap references resolved in the
// Deployment's namespace, the plan's `${stack:...}` placeholders bound to what the seed made),
// PORT set to a free port, and AWS pointed at moto: AWS_ENDPOINT_URL plus test credentials, the
// stand-in for the Pod Identity association. As services/*/tests/deployment.rs does, with the
// environment cleared first.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import YAML from 'yaml';

export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The Deployments and ConfigMaps of a bundle file. */
function objects(file) {
  return YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'))
    .map((d) => d.toJS())
    .filter(Boolean);
}

function bind(value, outputs, where) {
  return value.replace(/\$\{([a-z]+:[^}]+)\}/g, (_, name) => {
    if (!(name in outputs)) throw new Error(`${where}: no value for \${${name}} (the seed binds only what the services need)`);
    return outputs[name];
  });
}

/** The environment of `deployment`'s one container, placeholders bound. */
export function deploymentEnv(file, name, outputs) {
  const all = objects(file);
  const deployment = all.find((o) => o.kind === 'Deployment' && o.metadata.name === name);
  if (!deployment) throw new Error(`${file}: no Deployment ${name}`);
  const where = `${file}: Deployment ${deployment.metadata.namespace}/${name}`;
  const [container, ...more] = deployment.spec.template.spec.containers;
  if (more.length) throw new Error(`${where}: more than one container`);
  const env = {};
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = bind(String(e.value), outputs, where);
    else if (e.valueFrom?.configMapKeyRef) {
      const ref = e.valueFrom.configMapKeyRef;
      const map = all.find(
        (o) => o.kind === 'ConfigMap' && o.metadata.name === ref.name && o.metadata.namespace === deployment.metadata.namespace,
      );
      const value = map?.data?.[ref.key];
      if (value === undefined) throw new Error(`${where}: ${e.name}: no ConfigMap ${ref.name} key ${ref.key} in the bundle`);
      env[e.name] = bind(String(value), outputs, where);
    } else throw new Error(`${where}: ${e.name}: only value and configMapKeyRef are implemented`);
  }
  for (const f of container.envFrom ?? []) throw new Error(`${where}: envFrom ${JSON.stringify(f)} is not implemented`);
  const port = container.ports?.[0]?.containerPort;
  return { namespace: deployment.metadata.namespace, env, containerPort: port };
}

/**
 * Starts `binary` with `env` (PORT replaced), AWS at `motoUrl`; resolves once /health answers
 * 200. Output goes to `logFile`.
 */
export async function startService({ binary, env, motoUrl, logFile, name }) {
  if (!fs.existsSync(binary)) throw new Error(`${binary} is missing: run cargo build --workspace --bins first`);
  const port = await freePort();
  const out = fs.openSync(logFile, 'a');
  const child = spawn(binary, [], {
    env: {
      ...env,
      PORT: String(port),
      AWS_ENDPOINT_URL: motoUrl,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    stdio: ['ignore', out, out],
  });
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) {
      throw new Error(`${name} exited (${JSON.stringify(exited)}) with its Deployment's environment:\n${fs.readFileSync(logFile, 'utf8').slice(-2000)}`);
    }
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) });
      if (response.status === 200) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${name} did not answer /health within 30 s (log: ${logFile})`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { name, port, child, stop: () => child.kill('SIGTERM') };
}

export const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
