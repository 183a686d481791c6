// How Chromium reaches the edge without root and without leaving 127.0.0.1: a forward proxy on
// 127.0.0.1 that tunnels CONNECT to <anything>.<domain>:443 into the edge stand-in's port and
// refuses every other destination (recorded, so the run fails if anything tried). Chromium
// would bypass a proxy for loopback, but Playwright turns that off (<-loopback>), so the proxy
// also forwards plain HTTP to the loopback ports it is given (the OpenID provider) and nothing
// else. The edge's certificate is made here at start (openssl); the
// browser is told to accept that certificate's public key only
// (--ignore-certificate-errors-spki-list), not every certificate.

import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

/** A self-signed certificate for `domain` and its one-label wildcards (`*.<domain>`, `*.app.<domain>`). */
export function makeCertificate(dir, domain) {
  const key = path.join(dir, 'edge.key');
  const cert = path.join(dir, 'edge.crt');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${domain}`,
    '-addext', `subjectAltName=DNS:${domain},DNS:*.${domain},DNS:*.app.${domain}`,
    '-keyout', key, '-out', cert,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  const pem = fs.readFileSync(cert);
  const spki = new crypto.X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return { key: fs.readFileSync(key), cert: pem, spki: crypto.createHash('sha256').update(spki).digest('base64') };
}

export async function startProxy({ domain, edgePort, loopback = [], log = () => {} }) {
  const refused = [];
  const tunnels = [];
  const server = http.createServer((req, res) => {
    // A plain-HTTP proxy request: only to the loopback servers named (the OpenID provider; the
    // browser sends loopback through the proxy too, since Playwright sets <-loopback>).
    const target = URL.parse(req.url);
    if (target && target.protocol === 'http:' && target.hostname === '127.0.0.1' && loopback.includes(Number(target.port))) {
      const headers = { ...req.headers };
      delete headers['proxy-connection'];
      const upstream = http.request(
        { host: '127.0.0.1', port: Number(target.port), method: req.method, path: target.pathname + target.search, headers },
        (answer) => {
          res.writeHead(answer.statusCode, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
      return;
    }
    refused.push(`${req.method} ${req.url}`);
    log(`proxy: refused ${req.method} ${req.url}`);
    res.writeHead(403).end('refused by the test proxy: only https to the platform domain');
  });
  server.on('connect', (req, socket, head) => {
    const [host, port] = req.url.split(':');
    const ours = (host === domain || host.endsWith(`.${domain}`)) && port === '443';
    if (!ours) {
      refused.push(`CONNECT ${req.url}`);
      log(`proxy: refused CONNECT ${req.url}`);
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    tunnels.push(host);
    const upstream = net.connect(edgePort, '127.0.0.1', () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, refused, tunnels, close: () => new Promise((r) => server.close(r)) };
}

/** moto, as scripts/test starts it (tests/emulator/moto_server.py), on a free port. */
export async function startMoto({ repo, port, logFile }) {
  const python = path.join(repo, '.venv/moto/bin/python');
  if (!fs.existsSync(python)) throw new Error(`${python} is missing: scripts/test installs moto into .venv/moto`);
  const out = fs.openSync(logFile, 'a');
  const child = spawn(python, [path.join(repo, 'tests/emulator/moto_server.py'), String(port)], { stdio: ['ignore', out, out] });
  let exited = false;
  child.on('exit', () => (exited = true));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`moto exited:\n${fs.readFileSync(logFile, 'utf8').slice(-2000)}`);
    const up = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(s.end() && true));
      s.on('error', () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline) throw new Error(`moto did not start on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url: `http://127.0.0.1:${port}`, child, stop: () => child.kill('SIGTERM') };
}
