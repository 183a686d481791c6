// OpenID Connect sign-in from the browser: the authorization code flow with PKCE (S256), state
// against forged callbacks and nonce against replayed ID tokens. The endpoints come from the
// issuer's discovery document. No client secret: the app clients are public.

import { fetchJson } from "./http";
import { base64UrlEncode, claims } from "./jwt";

/** Who signs in where. */
export interface Client {
  issuer: string;
  clientId: string;
  /** Exactly as registered with the app client (the site's root URL). */
  redirectUri: string;
}

export interface Endpoints {
  authorization: string;
  token: string;
  /** RP-initiated logout, when the issuer offers it (Cognito's discovery does not). */
  endSession: string | undefined;
}

/** What the callback is checked against; kept for the one redirect round trip. */
interface Pending {
  state: string;
  nonce: string;
  verifier: string;
}

const PENDING_KEY = "tenancy.oidc.pending";
const SCOPE = "openid email profile";

export async function discover(issuer: string): Promise<Endpoints> {
  const url = `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
  const doc = await fetchJson<Record<string, unknown>>(url, { cache: "no-cache" });
  const endpoint = (name: string) => (typeof doc[name] === "string" ? (doc[name] as string) : undefined);
  const authorization = endpoint("authorization_endpoint");
  const token = endpoint("token_endpoint");
  if (authorization === undefined || token === undefined) {
    throw new Error(`${url} names no authorization_endpoint or token_endpoint.`);
  }
  return { authorization, token, endSession: endpoint("end_session_endpoint") };
}

/** Sends the browser to the issuer's sign-in page. */
export async function redirectToSignIn(client: Client, endpoints: Endpoints): Promise<void> {
  const pending: Pending = { state: randomText(), nonce: randomText(), verifier: randomText() };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(endpoints.authorization);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    scope: SCOPE,
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await sha256(pending.verifier),
    code_challenge_method: "S256",
  }).toString();
  location.assign(url);
}

/** Whether this page load is the issuer sending the user back (with a code or an error). */
export function isCallback(params: URLSearchParams): boolean {
  return params.has("state") && (params.has("code") || params.has("error"));
}

/** The callback's ID token, once its state, the code exchange and the token's nonce check out. */
export async function completeSignIn(client: Client, endpoints: Endpoints, params: URLSearchParams): Promise<string> {
  const pending = takePending();
  if (params.has("error")) {
    const description = params.get("error_description");
    throw new Error(`The sign-in failed: ${params.get("error")}${description ? ` (${description})` : ""}.`);
  }
  if (pending === null || params.get("state") !== pending.state) {
    throw new Error("This sign-in answer was not for a sign-in started in this tab; sign in again.");
  }
  const answer = await fetchJson<Record<string, unknown>>(endpoints.token, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: client.clientId,
      code: params.get("code") ?? "",
      redirect_uri: client.redirectUri,
      code_verifier: pending.verifier,
    }),
  });
  const idToken = answer.id_token;
  if (typeof idToken !== "string") throw new Error("The token endpoint answered without an ID token.");
  const got = claims(idToken);
  if (got.nonce !== pending.nonce) throw new Error("The ID token's nonce is not this sign-in's; sign in again.");
  if (got.iss !== client.issuer.replace(/\/+$/, "") || !got.aud.includes(client.clientId)) {
    throw new Error(`The ID token is from ${got.iss ?? "no issuer"} for ${got.aud.join(", ") || "no client"}, not this app's.`);
  }
  return idToken;
}

/** The pending sign-in, removed: a callback is good once. */
function takePending(): Pending | null {
  const text = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  if (text === null) return null;
  try {
    return JSON.parse(text) as Pending;
  } catch {
    return null;
  }
}

/** 32 random bytes, base64url: 43 characters, as RFC 7636 wants for a verifier. */
function randomText(): string {
  return base64UrlEncode(crypto.getRandomValues(new Uint8Array(32)));
}

async function sha256(text: string): Promise<string> {
  return base64UrlEncode(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))));
}
