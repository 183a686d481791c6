// How each site starts: its notices, the checks every site needs, and a last catch so that no
// failure, not even one nobody awaited, goes unshown.

import { Notices } from "./notices";

export function boot(main: (notices: Notices) => Promise<void>): void {
  const notices = Notices.fromPage();
  window.addEventListener("unhandledrejection", (event) => notices.error(event.reason));
  if (!window.isSecureContext) {
    // crypto.subtle and crypto.randomUUID exist in secure contexts only.
    notices.error(new Error("This page works over https only (or on localhost)."));
    return;
  }
  main(notices).catch((err: unknown) => notices.error(err));
}
