// The stand-in for Cognito's hosted UI: a certified OpenID provider (oidc-provider) per user
// pool, all on one HTTP server of 127.0.0.1, each issuer at http://127.0.0.1:<port>/<userPoolId>
// with its keys at <issuer>/.well-known/jwks.json (where Cognito publishes them, and where the
// services fetch them).
//
// What is Cognito's and what is the stand-in's:
// - the accounts are moto's Cognito users of the pool: the sign-in form checks the password with
//   AdminInitiateAuth (ADMIN_USER_PASSWORD_AUTH), answers NEW_PASSWORD_REQUIRED with a form of its
//   own, and reads the user's attributes and groups from moto when it issues a token;
// - the clients are the pool's app clients, read from moto with their callback URLs: public
//   (no secret), code flow, PKCE required;
// - the ID token carries the claims a generated pool gives (aud = client id, token_use "id",
//   custom:tenant-id, cognito:groups, email, cognito:username), RS256, signed with the
//   provider's own key (moto's pools sign with one key for every pool, and no hosted UI runs
//   on moto).

import crypto from 'node:crypto';
import http from 'node:http';
import Provider from 'oidc-provider';

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  // Plain, accessible and readable: labels on every input, an alert for errors, visible focus.
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title><style>
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1b1f24}
main{max-width:22rem;margin:3rem auto;background:#fff;padding:1.5rem;border-radius:8px}
label{display:block;margin-top:1rem;font-weight:600}input{width:100%;box-sizing:border-box;padding:.5rem;font:inherit;border:1px solid #59626d;border-radius:4px}
button{margin-top:1.25rem;padding:.6rem 1.2rem;font:inherit;background:#0b5cad;color:#fff;border:0;border-radius:4px}
:focus-visible{outline:3px solid #b35c00;outline-offset:2px}[role=alert]{color:#a4000f;font-weight:600}
</style></head><body><main>${body}</main></body></html>`;
}

function loginForm(uid, pool, { email = '', error = '' } = {}) {
  return page(
    'Sign in',
    `<h1>Sign in</h1>${error ? `<p role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/${escape(pool)}/interaction/${escape(uid)}/login">
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required value="${escape(email)}">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form>`,
  );
}

function newPasswordForm(uid, pool, { error = '' } = {}) {
  return page(
    'Choose a new password',
    `<h1>Choose a new password</h1>${error ? `<p role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/${escape(pool)}/interaction/${escape(uid)}/new-password">
<label for="password">New password</label><input id="password" name="password" type="password" autocomplete="new-password" required>
<button type="submit">Set password</button></form>`,
  );
}

async function form(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return Object.fromEntries(new URLSearchParams(body));
}

function attributes(user) {
  return Object.fromEntries((user.UserAttributes ?? user.Attributes ?? []).map((a) => [a.Name, a.Value]));
}

/**
 * Starts the server (no pools yet, so that the issuers' port is known before moto is seeded).
 * `call` is moto's Cognito (lib/cognito.mjs).
 */
export async function startIdentity(call, { log = () => {} } = {}) {
  const providers = new Map(); // pool id -> { provider, pool }
  const accounts = new Map(); // account id (the user's sub) -> { pool, username }
  const settings = { idTokenTtl: 3600, sessionTtl: 3600 };
  // Pending sign-ins that met NEW_PASSWORD_REQUIRED: interaction uid -> the challenge.
  const challenges = new Map();

  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://127.0.0.1');
      const [, pool, ...rest] = url.pathname.split('/');
      const entry = providers.get(pool);
      if (!entry) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`no user pool ${pool}`);
        return;
      }
      const inner = '/' + rest.join('/') + url.search;
      const interaction = rest[0] === 'interaction' ? rest : null;
      if (interaction) {
        await interactionRoute(entry, req, res, interaction.slice(1));
        return;
      }
      // Chromium's Local Network Access asks before a page of a public origin calls 127.0.0.1;
      // the browser context grants it (the real issuer is public: Cognito). A private-network
      // preflight, where one is sent, is answered yes for the clients' origins only (the CORS
      // check below still applies).
      if (req.method === 'OPTIONS' && req.headers['access-control-request-private-network']) {
        res.setHeader('access-control-allow-private-network', 'true');
      }
      req.originalUrl = req.url;
      req.url = inner;
      entry.provider.callback()(req, res);
    } catch (err) {
      log(`identity: ${err.stack ?? err}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('error');
    }
  });

  async function interactionRoute({ provider, pool }, req, res, [uid, step]) {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error('interaction mismatch');
    const send = (html, status = 200) =>
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html);
    const client = details.params.client_id;
    if (req.method === 'GET' && !step) {
      send(loginForm(uid, pool));
      return;
    }
    if (req.method !== 'POST') {
      send(page('Not found', '<p role="alert">Not found</p>'), 404);
      return;
    }
    const fields = await form(req);
    let result;
    try {
      if (step === 'login') {
        result = await call('AdminInitiateAuth', {
          UserPoolId: pool,
          ClientId: client,
          AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
          AuthParameters: { USERNAME: fields.email ?? '', PASSWORD: fields.password ?? '' },
        });
        result.username = fields.email;
      } else if (step === 'new-password') {
        const challenge = challenges.get(uid);
        if (!challenge) throw Object.assign(new Error('no challenge'), { type: 'NotAuthorizedException' });
        result = await call('AdminRespondToAuthChallenge', {
          UserPoolId: pool,
          ClientId: client,
          ChallengeName: 'NEW_PASSWORD_REQUIRED',
          Session: challenge.Session,
          ChallengeResponses: { USERNAME: challenge.username, NEW_PASSWORD: fields.password ?? '' },
        });
        result.username = challenge.username;
        challenges.delete(uid);
      } else {
        send(page('Not found', '<p role="alert">Not found</p>'), 404);
        return;
      }
    } catch (err) {
      if (['NotAuthorizedException', 'UserNotFoundException'].includes(err.type)) {
        log(`identity: ${pool}: sign-in refused for ${fields.email ?? '?'} (${err.type})`);
        send(loginForm(uid, pool, { email: fields.email, error: 'Incorrect email or password.' }), 401);
        return;
      }
      if (err.type === 'InvalidPasswordException') {
        send(newPasswordForm(uid, pool, { error: 'That password does not meet the pool’s policy.' }), 400);
        return;
      }
      throw err;
    }
    if (result.ChallengeName === 'NEW_PASSWORD_REQUIRED') {
      challenges.set(uid, { Session: result.Session, username: result.username });
      send(newPasswordForm(uid, pool));
      return;
    }
    if (!result.AuthenticationResult) throw new Error(`unexpected answer from Cognito: ${JSON.stringify(result)}`);
    const user = await call('AdminGetUser', { UserPoolId: pool, Username: result.username });
    const sub = attributes(user).sub ?? user.Username;
    accounts.set(sub, { pool, username: user.Username });
    log(`identity: ${pool}: ${result.username} signed in`);
    await provider.interactionFinished(req, res, { login: { accountId: sub } }, { mergeWithLastSubmission: false });
  }

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;

  async function findAccount(ctx, sub) {
    const account = accounts.get(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        // Read at issue time, as Cognito does: a group change shows in the next token.
        const user = await call('AdminGetUser', { UserPoolId: account.pool, Username: account.username });
        const groups = await call('AdminListGroupsForUser', { UserPoolId: account.pool, Username: account.username });
        const attrs = attributes(user);
        const claims = {
          sub,
          token_use: 'id',
          'cognito:username': user.Username,
          email: attrs.email,
          email_verified: attrs.email_verified === 'true',
        };
        const names = (groups.Groups ?? []).map((g) => g.GroupName);
        if (names.length) claims['cognito:groups'] = names;
        if (attrs['custom:tenant-id'] !== undefined) claims['custom:tenant-id'] = attrs['custom:tenant-id'];
        return claims;
      },
    };
  }

  /** Serves `pool` at <base>/<pool>, with its app clients as moto holds them now. */
  async function addPool(pool) {
    const listed = await call('ListUserPoolClients', { UserPoolId: pool, MaxResults: 60 });
    const clients = [];
    for (const { ClientId } of listed.UserPoolClients ?? []) {
      const { UserPoolClient: c } = await call('DescribeUserPoolClient', { UserPoolId: pool, ClientId });
      if (!(c.AllowedOAuthFlows ?? []).includes('code') || !(c.CallbackURLs ?? []).length) {
        throw new Error(`client ${ClientId} of ${pool} is not a code-flow client with callbacks: the stacks make them so`);
      }
      clients.push({
        client_id: c.ClientId,
        client_name: c.ClientName,
        redirect_uris: c.CallbackURLs,
        post_logout_redirect_uris: c.LogoutURLs ?? c.CallbackURLs,
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'none',
        application_type: 'web',
      });
    }
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = { ...privateKey.export({ format: 'jwk' }), kid: `${pool}-1`, alg: 'RS256', use: 'sig' };
    const issuer = `${base}/${pool}`;
    const provider = new Provider(issuer, {
      clients,
      findAccount,
      jwks: { keys: [jwk] },
      routes: { jwks: '/.well-known/jwks.json' },
      claims: {
        openid: ['sub', 'token_use', 'cognito:username', 'cognito:groups', 'custom:tenant-id'],
        email: ['email', 'email_verified'],
        profile: [],
      },
      scopes: ['openid', 'email', 'profile'],
      // Cognito puts the scopes' claims in the ID token itself.
      conformIdTokenClaims: false,
      responseTypes: ['code'],
      pkce: { required: () => true },
      cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
      features: { devInteractions: { enabled: false } },
      interactions: { url: (ctx, interaction) => `/${pool}/interaction/${interaction.uid}` },
      // First-party clients: no consent screen (Cognito's hosted UI asks none).
      async loadExistingGrant(ctx) {
        const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
        grant.addOIDCScope('openid email profile');
        await grant.save();
        return grant;
      },
      clientBasedCORS: (ctx, origin, client) => client.redirectUris.some((uri) => new URL(uri).origin === origin),
      ttl: {
        AccessToken: 3600,
        AuthorizationCode: 60,
        IdToken: () => settings.idTokenTtl,
        Interaction: 600,
        Session: () => settings.sessionTtl,
        Grant: 3600,
      },
      async renderError(ctx, out) {
        ctx.type = 'html';
        ctx.body = page('Sign-in error', `<h1>Sign-in error</h1><p role="alert">${escape(out.error)}: ${escape(out.error_description ?? '')}</p>`);
      },
    });
    provider.on('server_error', (ctx, err) => log(`identity: ${pool}: server error: ${err.stack ?? err}`));
    providers.set(pool, { provider, pool });
    return issuer;
  }

  return {
    base,
    addPool,
    settings,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
