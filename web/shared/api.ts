// Calls to the platform's API: JSON in and out, the ID token on every call that needs one, and
// the session's rules for an expired token or a 401 (see session.ts). Failures are thrown as
// errors in words (http.ts) for the caller to show.

import { fetchJson, HttpError } from "./http";
import type { Session } from "./session";

export class Api {
  private readonly base: string;

  /** Without a session, calls go without a token (the public /register and /auth-info). */
  constructor(
    apiUrl: string,
    private readonly session?: Session,
  ) {
    this.base = apiUrl.replace(/\/+$/, "");
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>("GET", path);
  }

  post<T>(path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    return this.call<T>("POST", path, body, headers);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>("PUT", path, body);
  }

  delete(path: string): Promise<void> {
    return this.call<void>("DELETE", path);
  }

  private async call<T>(method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json", ...extra };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (this.session !== undefined) headers.Authorization = `Bearer ${await this.token(this.session)}`;
    const init: RequestInit = { method, headers };
    if (body !== undefined) init.body = JSON.stringify(body);
    try {
      return await fetchJson<T>(`${this.base}${path}`, init);
    } catch (err) {
      if (err instanceof HttpError && err.status === 401 && this.session !== undefined && !this.session.recentlySignedIn()) {
        return this.session.signIn();
      }
      throw err;
    }
  }

  private async token(session: Session): Promise<string> {
    const token = session.token();
    if (token !== null) return token;
    if (session.recentlySignedIn()) {
      // A token that is expired as soon as it arrives: this device's clock is off.
      throw new Error("The sign-in just now gave a token that has already expired: check this device's clock, then reload.");
    }
    return session.signIn();
  }
}

/** A path segment, escaped (an email's "@" and "+" included). */
export function segment(value: string): string {
  return encodeURIComponent(value);
}
