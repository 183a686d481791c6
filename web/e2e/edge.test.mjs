// The edge stand-in's own rules, without a browser: it refuses an Ingress feature it does not
// implement, and matches origins and paths as ingress-nginx does.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import YAML from 'yaml';
import { compileRoutes, pick, readIngresses } from './lib/edge.mjs';

const base = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: {
    name: 'api',
    namespace: 'ns',
    annotations: {
      'nginx.ingress.kubernetes.io/enable-cors': 'true',
      'nginx.ingress.kubernetes.io/cors-allow-origin': 'https://*.app.saas.example.com, https://admin.saas.example.com',
    },
  },
  spec: {
    ingressClassName: 'nginx',
    rules: [{ host: 'api.saas.example.com', http: { paths: [
      { path: '/tenants', pathType: 'Prefix', backend: { service: { name: 'svc', port: { number: 80 } } } },
      { path: '/auth-info', pathType: 'Exact', backend: { service: { name: 'svc', port: { number: 80 } } } },
    ] } }],
  },
};
const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc', namespace: 'ns' }, spec: { type: 'ClusterIP' } };

function routes(ingress) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'edge-')), 'k8s.yaml');
  fs.writeFileSync(file, [service, ingress].map((o) => YAML.stringify(o)).join('---\n'));
  return compileRoutes(readIngresses([file]), () => 1);
}

test('an Ingress feature the stand-in does not implement is an error naming it', () => {
  const cases = [
    [(i) => (i.metadata.annotations['nginx.ingress.kubernetes.io/rewrite-target'] = '/'), /rewrite-target/],
    [(i) => (i.spec.tls = [{ hosts: ['api.saas.example.com'] }]), /spec\.tls/],
    [(i) => (i.spec.rules[0].http.paths[0].pathType = 'ImplementationSpecific'), /pathType ImplementationSpecific/],
    [(i) => (i.spec.ingressClassName = 'alb'), /ingressClassName alb/],
    [(i) => (i.metadata.annotations['nginx.ingress.kubernetes.io/cors-allow-origin'] = 'https://a.*.example.com'), /cors-allow-origin/],
  ];
  for (const [change, says] of cases) {
    const ingress = structuredClone(base);
    change(ingress);
    assert.throws(() => routes(ingress), says);
  }
});

test('paths match by element, Exact exactly, and origins by one wildcard label, case-insensitively', () => {
  const r = routes(base);
  for (const [p, hit] of [['/tenants', true], ['/tenants/acme/suspend', true], ['/tenantsx', false], ['/auth-info', true], ['/auth-info/x', false]]) {
    assert.equal(Boolean(pick(r, 'api.saas.example.com', p)), hit, p);
  }
  const { patterns } = r[0].cors;
  for (const [origin, ok] of [
    ['https://acme.app.saas.example.com', true],
    ['https://ACME.app.saas.example.com', true],
    ['https://a.b.app.saas.example.com', false],
    ['https://app.saas.example.com', false],
    ['http://acme.app.saas.example.com', false],
    ['https://admin.saas.example.com', true],
    ['https://admin.saas.example.com.evil.example', false],
  ]) {
    assert.equal(patterns.some((p) => p.test(origin)), ok, origin);
  }
});
