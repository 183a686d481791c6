// The stand-in for the edge, since neither CloudFront nor ingress-nginx runs here: one HTTPS
// server on 127.0.0.1 that serves
// - each static site by Host, as the generated CloudFront distributions say
//   (generated/baseline/baseline.cfn.yaml: Aliases, DefaultRootObject, GET/HEAD only, Compress,
//   CustomErrorResponses 403/404 -> /index.html 200, the managed security-headers policy), from
//   the build output;
// - https://api.<domain> as ingress-nginx would from the generated Ingress objects: routes by
//   host and path (Exact, Prefix by path element, longest first), CORS from the annotations as
//   ingress-nginx's template writes it, denylist-source-range (403), limit-rps with its burst
//   multiplier (503), a 1 MiB body limit (413), X-Forwarded-For and X-Request-ID to the service.
// Strict: a distribution property or an Ingress field or annotation it does not implement is an
// error at start, naming it, never ignored.

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import YAML from 'yaml';

const NGINX = 'nginx.ingress.kubernetes.io/';

// ---- CloudFront ---------------------------------------------------------------------------

// The managed policies the distributions name, by id (AWS's documented managed policies).
const CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6';
const SECURITY_HEADERS = '67f7725c-6f97-4210-82d7-5512b31e9d03';
const SECURITY_HEADER_VALUES = {
  'strict-transport-security': 'max-age=31536000',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'SAMEORIGIN',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'x-xss-protection': '1; mode=block',
};

const DISTRIBUTION_KEYS = new Set([
  'Enabled', 'Comment', 'Aliases', 'DefaultRootObject', 'HttpVersion', 'IPV6Enabled', 'PriceClass', 'Origins',
  'DefaultCacheBehavior', 'CustomErrorResponses', 'ViewerCertificate', 'Logging', 'WebACLId',
]);
const BEHAVIOR_KEYS = new Set([
  'TargetOriginId', 'ViewerProtocolPolicy', 'AllowedMethods', 'CachedMethods', 'Compress', 'CachePolicyId',
  'ResponseHeadersPolicyId',
]);

/** The distributions of the baseline template: [{ site, aliases: [RegExp], ... }]. */
export function readDistributions(templateFile) {
  const template = YAML.parse(fs.readFileSync(templateFile, 'utf8'));
  const out = [];
  for (const [name, resource] of Object.entries(template.Resources ?? {})) {
    if (resource.Type !== 'AWS::CloudFront::Distribution') continue;
    const where = `${templateFile}: ${name}`;
    const match = /^([A-Z][a-z]+)SiteDistribution$/.exec(name);
    if (!match) throw new Error(`${where}: not a <Site>SiteDistribution; the edge stand-in knows no other`);
    const config = resource.Properties.DistributionConfig;
    for (const key of Object.keys(config)) {
      if (!DISTRIBUTION_KEYS.has(key)) throw new Error(`${where}: DistributionConfig.${key} is not implemented by the edge stand-in`);
    }
    const behavior = config.DefaultCacheBehavior;
    for (const key of Object.keys(behavior)) {
      if (!BEHAVIOR_KEYS.has(key)) throw new Error(`${where}: DefaultCacheBehavior.${key} is not implemented by the edge stand-in`);
    }
    if (behavior.CachePolicyId !== CACHING_OPTIMIZED) throw new Error(`${where}: cache policy ${behavior.CachePolicyId} is not implemented`);
    if (behavior.ResponseHeadersPolicyId !== undefined && behavior.ResponseHeadersPolicyId !== SECURITY_HEADERS) {
      throw new Error(`${where}: response headers policy ${behavior.ResponseHeadersPolicyId} is not implemented`);
    }
    const methods = behavior.AllowedMethods ?? ['GET', 'HEAD'];
    if (methods.some((m) => !['GET', 'HEAD'].includes(m))) throw new Error(`${where}: AllowedMethods ${methods} not implemented`);
    const errors = new Map();
    for (const e of config.CustomErrorResponses ?? []) {
      if (e.ResponsePagePath === undefined || e.ResponseCode === undefined) throw new Error(`${where}: a CustomErrorResponse without a page is not implemented`);
      errors.set(Number(e.ErrorCode), { page: e.ResponsePagePath, code: Number(e.ResponseCode) });
    }
    out.push({
      name,
      site: match[1].toLowerCase(),
      aliases: config.Aliases.map((alias) => aliasPattern(alias, where)),
      root: config.DefaultRootObject,
      methods,
      compress: behavior.Compress === true,
      securityHeaders: behavior.ResponseHeadersPolicyId === SECURITY_HEADERS,
      errors,
    });
  }
  if (!out.length) throw new Error(`${templateFile}: no CloudFront distribution`);
  return out;
}

function aliasPattern(alias, where) {
  if (!/^(\*\.)?[a-z0-9.-]+$/.test(alias)) throw new Error(`${where}: alias ${alias} is not implemented`);
  // CloudFront's wildcard alias covers one label.
  const quote = (s) => s.replace(/\./g, '\\.');
  const body = alias.startsWith('*.') ? `[a-z0-9-]+\\.${quote(alias.slice(2))}` : quote(alias);
  return new RegExp(`^${body}$`);
}

const TYPES = {
  '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.txt': 'text/plain', '.map': 'application/json',
  '.woff2': 'font/woff2',
};
// CloudFront compresses these types, from 1,000 to 10,000,000 bytes.
const COMPRESSIBLE = /^(text\/|application\/json|image\/svg\+xml)/;

function serveSite(distribution, root, req, res, stats) {
  if (!distribution.methods.includes(req.method)) {
    // CloudFront answers a method the behavior does not allow with 403.
    return send(res, 403, { 'content-type': 'text/plain' }, 'This distribution is not configured to allow the HTTP request method');
  }
  const url = new URL(req.url, 'https://edge');
  let file = decodeURIComponent(url.pathname);
  if (file === '/') file = '/' + distribution.root;
  const resolved = path.join(root, file);
  let status = 200;
  let body;
  if (!resolved.startsWith(root + path.sep) || !isFile(resolved)) {
    // S3 behind an origin access control answers 403 for a missing key; both are mapped.
    const error = distribution.errors.get(403);
    if (!error) return send(res, 403, { 'content-type': 'application/xml' }, '<Error><Code>AccessDenied</Code></Error>');
    status = error.code;
    file = error.page;
    body = fs.readFileSync(path.join(root, error.page));
  } else {
    body = fs.readFileSync(resolved);
  }
  const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
  const headers = { 'content-type': type.startsWith('text/') || type === 'application/json' ? `${type}; charset=utf-8` : type };
  if (file === '/config.json' || file === '/index.html') headers['cache-control'] = 'no-cache';
  else if (file.startsWith('/assets/')) headers['cache-control'] = 'public, max-age=31536000, immutable';
  if (distribution.securityHeaders) Object.assign(headers, SECURITY_HEADER_VALUES);
  const accepts = String(req.headers['accept-encoding'] ?? '');
  if (distribution.compress && COMPRESSIBLE.test(type) && body.length >= 1000 && body.length <= 10_000_000 && /\bgzip\b/.test(accepts)) {
    body = zlib.gzipSync(body, { level: 9 });
    headers['content-encoding'] = 'gzip';
    headers.vary = 'Accept-Encoding';
  }
  stats.bytes += body.length;
  send(res, status, headers, req.method === 'HEAD' ? undefined : body, body.length);
}

function isFile(p) {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function send(res, status, headers, body, length) {
  res.writeHead(status, { ...headers, 'content-length': length ?? Buffer.byteLength(body ?? '') });
  res.end(body);
}

// ---- ingress-nginx ------------------------------------------------------------------------

// Every annotation the stand-in implements; any other nginx one is an error.
const ANNOTATIONS = new Set([
  'enable-cors', 'cors-allow-origin', 'cors-allow-methods', 'cors-allow-headers', 'cors-max-age',
  'cors-allow-credentials', 'cors-expose-headers', 'denylist-source-range', 'limit-rps', 'limit-burst-multiplier',
]);
// ingress-nginx's defaults (docs: annotations, "Enable CORS").
const CORS_DEFAULTS = {
  methods: 'GET, PUT, POST, DELETE, PATCH, OPTIONS',
  headers: 'DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization',
  maxAge: '1728000',
  credentials: 'true',
};

/** Reads the Ingress and Service objects of `files` (multi-document YAML). */
export function readIngresses(files) {
  const ingresses = [];
  const services = new Map(); // "<namespace>/<name>" -> Service
  for (const file of files) {
    for (const doc of YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
      const object = doc.toJS();
      if (!object) continue;
      if (object.kind === 'Service') services.set(`${object.metadata.namespace}/${object.metadata.name}`, object);
      if (object.kind === 'Ingress') ingresses.push({ file, object });
    }
  }
  return { ingresses, services };
}

/**
 * The routes of `ingresses`, each with its CORS, denylist and rate limit. `upstream(namespace,
 * service, port)` gives the local port of a Service (or throws: every backend must run).
 */
export function compileRoutes({ ingresses, services }, upstream) {
  const routes = [];
  for (const { file, object } of ingresses) {
    const { metadata, spec } = object;
    const where = `${file}: Ingress ${metadata.namespace}/${metadata.name}`;
    const fail = (what) => {
      throw new Error(`${where}: ${what} is not implemented by the edge stand-in`);
    };
    for (const key of Object.keys(spec)) if (!['ingressClassName', 'rules'].includes(key)) fail(`spec.${key}`);
    if (spec.ingressClassName !== 'nginx') fail(`ingressClassName ${spec.ingressClassName}`);
    const annotations = {};
    for (const [key, value] of Object.entries(metadata.annotations ?? {})) {
      if (!key.startsWith(NGINX)) continue;
      const name = key.slice(NGINX.length);
      if (!ANNOTATIONS.has(name)) fail(`annotation ${key}`);
      annotations[name] = String(value);
    }
    const cors = annotations['enable-cors'] === 'true' ? corsOf(annotations, fail) : null;
    const deny = annotations['denylist-source-range']?.split(',').map((r) => cidr(r.trim(), fail)) ?? [];
    let limit = null;
    if (annotations['limit-rps'] !== undefined) {
      const rps = Number(annotations['limit-rps']);
      const multiplier = Number(annotations['limit-burst-multiplier'] ?? 5);
      if (!(rps > 0) || !(multiplier >= 1)) fail(`limit-rps ${annotations['limit-rps']}`);
      limit = { rps, burst: rps * multiplier, clients: new Map() };
    } else if (annotations['limit-burst-multiplier'] !== undefined) fail('limit-burst-multiplier without limit-rps');
    for (const rule of spec.rules) {
      for (const key of Object.keys(rule)) if (!['host', 'http'].includes(key)) fail(`rules[].${key}`);
      if (!rule.host || rule.host.includes('*')) fail(`a rule without a plain host (${rule.host})`);
      for (const p of rule.http.paths) {
        for (const key of Object.keys(p)) if (!['path', 'pathType', 'backend'].includes(key)) fail(`paths[].${key}`);
        if (!['Exact', 'Prefix'].includes(p.pathType)) fail(`pathType ${p.pathType}`);
        if (!p.backend.service || Object.keys(p.backend).length !== 1) fail('a backend that is not a Service');
        if (p.backend.service.port?.number === undefined) fail('a Service port by name');
        let namespace = metadata.namespace;
        let service = p.backend.service.name;
        const object = services.get(`${namespace}/${service}`);
        if (!object) fail(`backend ${service}: no such Service in the bundle`);
        if (object.spec.type === 'ExternalName') {
          // An alias of another namespace's Service (user management under the tenant's Ingress).
          const target = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local$/.exec(object.spec.externalName);
          if (!target) fail(`ExternalName ${object.spec.externalName}`);
          [, service, namespace] = target;
        }
        routes.push({
          where,
          host: rule.host,
          path: p.path,
          exact: p.pathType === 'Exact',
          port: upstream(namespace, service, p.backend.service.port.number),
          cors,
          deny,
          limit,
          name: `${metadata.namespace}/${metadata.name}`,
        });
      }
    }
  }
  return routes;
}

function corsOf(a, fail) {
  const origins = (a['cors-allow-origin'] ?? '*').split(',').map((o) => o.trim()).filter(Boolean);
  let any = false;
  const patterns = [];
  for (const origin of origins) {
    if (origin === '*') {
      any = true;
      continue;
    }
    const m = /^(https?):\/\/(\*\.)?([a-z0-9.-]+)(:\d+)?$/i.exec(origin);
    if (!m) fail(`cors-allow-origin ${origin}`);
    const [, scheme, wildcard, host, port = ''] = m;
    const quoted = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    // ingress-nginx: a leading "*." matches one DNS label ([A-Za-z0-9\-]+), case-insensitively.
    patterns.push(new RegExp(`^${quoted(scheme)}://${wildcard ? '[A-Za-z0-9\\-]+\\.' : ''}${quoted(host)}${quoted(port)}$`, 'i'));
  }
  return {
    any,
    patterns,
    methods: a['cors-allow-methods'] ?? CORS_DEFAULTS.methods,
    headers: a['cors-allow-headers'] ?? CORS_DEFAULTS.headers,
    maxAge: a['cors-max-age'] ?? CORS_DEFAULTS.maxAge,
    credentials: a['cors-allow-credentials'] ?? CORS_DEFAULTS.credentials,
    expose: a['cors-expose-headers'] ?? '',
  };
}

function cidr(range, fail) {
  const [address, bits] = range.split('/');
  const family = net.isIP(address);
  if (!family || bits === undefined) fail(`denylist-source-range ${range}`);
  return { family, bytes: ipBytes(address), bits: Number(bits) };
}

function ipBytes(address) {
  if (net.isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  const [head, tail = ''] = address.split('::');
  const parts = (s) => (s ? s.split(':') : []);
  const h = parts(head);
  const t = parts(address.includes('::') ? tail : '');
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return Buffer.from(groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 255]));
}

function covers(range, ip) {
  let address = ip;
  if (range.family === 4 && ip.startsWith('::ffff:')) address = ip.slice(7);
  if (net.isIP(address) !== range.family) return false;
  const bytes = ipBytes(address);
  for (let bit = 0; bit < range.bits; bit++) {
    const mask = 0x80 >> (bit % 8);
    if ((bytes[bit >> 3] & mask) !== (range.bytes[bit >> 3] & mask)) return false;
  }
  return true;
}

function matches(route, host, pathname) {
  if (route.host !== host) return false;
  if (route.exact) return pathname === route.path;
  // Prefix: by path element (/tenants matches /tenants and /tenants/x, not /tenantsx).
  const prefix = route.path.replace(/\/$/, '');
  return pathname === prefix || pathname.startsWith(prefix + '/') || route.path === '/';
}

/** The route ingress-nginx picks: the longest path, Exact before Prefix for the same path. */
export function pick(routes, host, pathname) {
  return routes
    .filter((r) => matches(r, host, pathname))
    .sort((a, b) => b.path.length - a.path.length || Number(b.exact) - Number(a.exact))[0];
}

const NGINX_PAGE = (status, reason) =>
  `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n<center><h1>${status} ${reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;

function corsHeaders(cors, origin) {
  const headers = {
    'access-control-allow-origin': cors.any && !cors.patterns.length ? '*' : origin,
    'access-control-allow-methods': cors.methods,
    'access-control-allow-headers': cors.headers,
    'access-control-max-age': cors.maxAge,
  };
  if (cors.credentials === 'true') headers['access-control-allow-credentials'] = 'true';
  if (cors.expose) headers['access-control-expose-headers'] = cors.expose;
  return headers;
}

function serveApi(routes, req, res, stats, log) {
  const url = new URL(req.url, 'https://edge');
  const host = String(req.headers.host ?? '').replace(/:\d+$/, '');
  const client = req.socket.remoteAddress;
  const requestId = crypto.randomBytes(16).toString('hex');
  const route = pick(routes, host, url.pathname);
  stats.api.push({ method: req.method, path: url.pathname, route: route?.name ?? null });
  if (!route) return send(res, 404, { 'content-type': 'text/html' }, NGINX_PAGE(404, 'Not Found'));
  // Rewrite phase: CORS (a matched origin's preflight is answered here, before any access check).
  const origin = req.headers.origin;
  const allowed = route.cors && origin !== undefined && (route.cors.patterns.some((p) => p.test(origin)) || route.cors.any);
  const extra = allowed ? corsHeaders(route.cors, origin) : {};
  if (allowed && req.method === 'OPTIONS') {
    return send(res, 204, { ...extra, 'content-type': 'text/plain charset=UTF-8' }, '');
  }
  // Preaccess: the rate limit (limit_req, burst, nodelay; 503).
  if (route.limit && !take(route.limit, client)) {
    log(`edge: ${route.name}: rate limited ${req.method} ${url.pathname}`);
    return send(res, 503, { ...extra, 'content-type': 'text/html' }, NGINX_PAGE(503, 'Service Temporarily Unavailable'));
  }
  // Access: the denylist.
  if (route.deny.some((r) => covers(r, client))) {
    log(`edge: ${route.name}: denied ${req.method} ${url.pathname} (denylist-source-range)`);
    return send(res, 403, { ...extra, 'content-type': 'text/html' }, NGINX_PAGE(403, 'Forbidden'));
  }
  const headers = { ...req.headers };
  delete headers.connection;
  headers['x-request-id'] = requestId;
  headers['x-real-ip'] = client;
  headers['x-forwarded-for'] = client;
  headers['x-forwarded-host'] = host;
  headers['x-forwarded-proto'] = 'https';
  headers['x-forwarded-port'] = '443';
  let size = 0;
  const upstream = http.request({ host: '127.0.0.1', port: route.port, method: req.method, path: req.url, headers }, (answer) => {
    const out = { ...answer.headers, ...extra };
    delete out.connection;
    res.writeHead(answer.statusCode, out);
    answer.pipe(res);
  });
  upstream.on('error', (err) => {
    log(`edge: ${route.name}: upstream 127.0.0.1:${route.port}: ${err.message}`);
    if (!res.headersSent) send(res, 502, { ...extra, 'content-type': 'text/html' }, NGINX_PAGE(502, 'Bad Gateway'));
  });
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > 1024 * 1024) {
      upstream.destroy();
      if (!res.headersSent) send(res, 413, { ...extra, 'content-type': 'text/html' }, NGINX_PAGE(413, 'Request Entity Too Large'));
      req.destroy();
    }
  });
  req.pipe(upstream);
}

function take(limit, client) {
  // nginx's leaky bucket: `excess` drains at rps; a request over burst is refused.
  const now = Date.now() / 1000;
  const state = limit.clients.get(client) ?? { excess: 0, at: now };
  const excess = Math.max(0, state.excess - (now - state.at) * limit.rps) + 1;
  if (excess > limit.burst + 1) {
    limit.clients.set(client, { excess: state.excess, at: state.at });
    return false;
  }
  limit.clients.set(client, { excess, at: now });
  return true;
}

/**
 * Starts the edge: `sites` maps a site name to its build directory, `routes` from
 * compileRoutes, `apiHost` the API's host.
 */
export async function startEdge({ key, cert, distributions, sites, routes, apiHost, log = () => {} }) {
  for (const d of distributions) if (!sites[d.site]) throw new Error(`no build of the ${d.site} site for ${d.name}`);
  const stats = { bytes: 0, api: [] };
  const server = https.createServer({ key, cert }, (req, res) => {
    const host = String(req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    try {
      if (host === apiHost) return serveApi(routes, req, res, stats, log);
      const distribution = distributions.find((d) => d.aliases.some((a) => a.test(host)));
      // CloudFront answers a Host no distribution has as an alias with 403 (no such CNAME).
      if (!distribution) return send(res, 403, { 'content-type': 'text/plain' }, `no distribution for ${host}`);
      return serveSite(distribution, path.resolve(sites[distribution.site]), req, res, stats);
    } catch (err) {
      log(`edge: ${host}${req.url}: ${err.stack ?? err}`);
      if (!res.headersSent) send(res, 500, { 'content-type': 'text/plain' }, 'edge stand-in error');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: server.address().port, stats, close: () => new Promise((r) => server.close(r)) };
}
