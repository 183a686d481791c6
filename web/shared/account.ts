// The signed-in user, as the page shows them: who is signed in with a "Sign out" button, and the
// way in when no one is.

import { h } from "./dom";
import type { Claims } from "./jwt";
import type { Session } from "./session";

/**
 * The user's claims, or null once `place` offers a "Sign in" button. A first visit goes to the
 * sign-in page at once; after a sign-out, or a sign-in that came back without a token (the user
 * went back from the issuer's page), the page waits for the user instead of going round again.
 */
export async function signedIn(session: Session, place: HTMLElement, why = "You are signed out."): Promise<Claims | null> {
  const claims = session.claims();
  if (claims !== null) return claims;
  if (!session.signedOut() && !session.recentlySignedIn()) return session.signIn();
  place.replaceChildren(signInOffer(session, why));
  return null;
}

/** A message and a button that starts a fresh sign-in. */
export function signInOffer(session: Session, message: string): HTMLElement {
  const button = h("button", { type: "button" }, "Sign in");
  button.addEventListener("click", () => void session.signIn());
  return h("div", { class: "sign-in" }, h("p", {}, message), button);
}

/** "Signed in as <email>" and the "Sign out" button, for the page's header. */
export function accountBar(session: Session, claims: Claims): HTMLElement {
  const button = h("button", { type: "button", class: "secondary" }, "Sign out");
  button.addEventListener("click", () => session.signOut());
  return h("div", { class: "actions" }, h("span", {}, "Signed in as ", h("strong", {}, claims.email ?? "(no email)")), button);
}
