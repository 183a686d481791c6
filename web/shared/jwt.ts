// The claims of a JWT, read for display and for choosing what to show: the services verify
// every token's signature, so nothing here is trusted for access.

export interface Claims {
  exp: number | undefined;
  iss: string | undefined;
  aud: string[];
  nonce: string | undefined;
  email: string | undefined;
  tenantId: string | undefined;
  groups: string[];
}

export function claims(token: string): Claims {
  const payload = token.split(".")[1];
  if (payload === undefined) throw new Error("the ID token is not a JWT");
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(base64UrlDecode(payload)) as Record<string, unknown>;
  } catch {
    throw new Error("the ID token's payload is not base64url JSON");
  }
  const text = (v: unknown) => (typeof v === "string" ? v : undefined);
  const texts = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
  return {
    exp: typeof raw.exp === "number" ? raw.exp : undefined,
    iss: text(raw.iss),
    aud: typeof raw.aud === "string" ? [raw.aud] : texts(raw.aud),
    nonce: text(raw.nonce),
    email: text(raw.email),
    tenantId: text(raw["custom:tenant-id"]),
    groups: texts(raw["cognito:groups"]),
  };
}

/** UTF-8 text from base64url (no padding needed). */
function base64UrlDecode(text: string): string {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

export function base64UrlEncode(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
