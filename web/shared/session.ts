// The signed-in user: their ID token in sessionStorage (this tab only, gone when it closes), and
// when to send them to sign in again. The services accept ID tokens only.
//
// An expired token (30 s of margin, for the request's way there) leads to a fresh sign-in, as
// does an API 401, but not twice within 60 s: a token refused right after a sign-in would
// otherwise send the user round the issuer forever, so that 401 is shown in words instead.

import { claims, type Claims } from "./jwt";
import { completeSignIn, discover, isCallback, redirectToSignIn, type Client, type Endpoints } from "./oidc";

const TOKEN_KEY = "tenancy.idToken";
/** When a sign-in last started or finished (ms since the epoch). */
const LAST_SIGN_IN_KEY = "tenancy.lastSignInAt";
const SIGNED_OUT_KEY = "tenancy.signedOut";
const EXPIRY_MARGIN_S = 30;
const SIGN_IN_INTERVAL_MS = 60_000;

export class Session {
  private constructor(
    private readonly client: Client,
    private readonly endpoints: Endpoints,
  ) {}

  /** The session with `client`'s issuer; finishes the sign-in if this load is its callback. */
  static async open(client: Client): Promise<Session> {
    const session = new Session(client, await discover(client.issuer));
    const params = new URLSearchParams(location.search);
    if (isCallback(params)) {
      // The code is good once: off the address bar (and out of history) whatever happens next.
      history.replaceState(null, "", location.pathname);
      sessionStorage.setItem(TOKEN_KEY, await completeSignIn(client, session.endpoints, params));
      sessionStorage.removeItem(SIGNED_OUT_KEY);
      // Counted from here too: the user may have spent minutes on the issuer's page.
      sessionStorage.setItem(LAST_SIGN_IN_KEY, String(Date.now()));
    }
    return session;
  }

  /** The ID token, if there is one valid for at least the margin. */
  token(): string | null {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token === null) return null;
    const exp = claims(token).exp;
    return exp !== undefined && exp - EXPIRY_MARGIN_S > Date.now() / 1000 ? token : null;
  }

  /** The token's claims, if there is a valid token. */
  claims(): Claims | null {
    const token = this.token();
    return token === null ? null : claims(token);
  }

  /** Whether the user signed out in this tab (then the page waits for them to sign in). */
  signedOut(): boolean {
    return sessionStorage.getItem(SIGNED_OUT_KEY) !== null;
  }

  /** Whether a sign-in started or finished within the last 60 s. */
  recentlySignedIn(): boolean {
    const last = Number(sessionStorage.getItem(LAST_SIGN_IN_KEY) ?? 0);
    return Date.now() - last < SIGN_IN_INTERVAL_MS;
  }

  /** Sends the user to sign in; the promise never settles, since the page is going away. */
  async signIn(): Promise<never> {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(SIGNED_OUT_KEY);
    sessionStorage.setItem(LAST_SIGN_IN_KEY, String(Date.now()));
    await redirectToSignIn(this.client, this.endpoints);
    return new Promise<never>(() => {});
  }

  /** Forgets the token and leaves: to the issuer's logout if it has one, else to the site's root. */
  signOut(): void {
    const token = sessionStorage.getItem(TOKEN_KEY);
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.setItem(SIGNED_OUT_KEY, "1");
    if (this.endpoints.endSession === undefined) {
      location.assign("/");
      return;
    }
    const url = new URL(this.endpoints.endSession);
    url.searchParams.set("client_id", this.client.clientId);
    url.searchParams.set("post_logout_redirect_uri", this.client.redirectUri);
    if (token !== null) url.searchParams.set("id_token_hint", token);
    location.assign(url);
  }
}
