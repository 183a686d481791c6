// Which tenant this app is, from its host name, and where that tenant's users sign in.

import type { Api } from "../shared/api";
import { HttpError } from "../shared/http";

/** GET /auth-info's answer. */
export interface AuthInfo {
  tenantId: string;
  issuer: string;
  clientId: string;
  redirectUri: string;
}

/** `acme` for `acme.app.saas.example.com` under `app.saas.example.com`; null for any other host. */
export function tenantOfHost(hostname: string, appDomain: string): string | null {
  const suffix = `.${appDomain.toLowerCase().replace(/^\.+|\.+$/g, "")}`;
  const host = hostname.toLowerCase();
  if (!host.endsWith(suffix)) return null;
  const label = host.slice(0, -suffix.length);
  return label !== "" && !label.includes(".") ? label : null;
}

/** The tenant's sign-in settings; a tenant that cannot sign in now is an error saying why, in words. */
export async function authInfo(api: Api, tenant: string): Promise<AuthInfo> {
  try {
    return await api.get<AuthInfo>(`/auth-info?tenantId=${encodeURIComponent(tenant)}`);
  } catch (err) {
    const words = err instanceof HttpError ? unavailable(tenant, err.status) : undefined;
    // The service's own message stays, after the words: it may say more (e.g. what is missing).
    throw words === undefined ? err : new Error(`${words} (${err instanceof Error ? err.message : ""})`);
  }
}

function unavailable(tenant: string, status: number): string | undefined {
  switch (status) {
    case 403:
      return `${tenant} is suspended: no one can sign in to it until the provider activates it again.`;
    case 404:
      return `${tenant} is not a tenant of this platform (or it has been removed).`;
    case 409:
      return `${tenant} is not ready yet: its application is still being set up. Try again in a few minutes.`;
    default:
      return undefined;
  }
}

