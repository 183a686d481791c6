// fetch, with every failure turned into an Error that says in words what happened: the
// service's own message ({"error": "..."}) and the HTTP status, or that the network failed.

const STATUS_WORDS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** A non-2xx answer: `message` reads "<service's message> (HTTP 409 Conflict)". */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    /** What the service said, without the status. */
    readonly detail: string,
  ) {
    super(`${detail} (HTTP ${status} ${STATUS_WORDS[status] ?? "error"})`);
    this.name = "HttpError";
  }
}

/** The body of a 2xx answer as JSON, or `undefined` when it has none (204). */
export async function fetchJson<T>(url: string, init: RequestInit = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    // The browser tells scripts no more than this: a refused CORS request looks the same.
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`Could not reach ${host(url)}: the network failed or the request was refused (${reason}).`);
  }
  if (!response.ok) throw new HttpError(response.status, await errorDetail(response));
  const text = await response.text();
  if (text === "") return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${host(url)} answered HTTP ${response.status} with a body that is not JSON.`);
  }
}

/** Whom the page was talking to, for messages: a relative URL is the page's own host. */
function host(url: string): string {
  return new URL(url, location.href).host;
}

/** The service's `{"error": "..."}` (an OAuth endpoint's with its `error_description`), else the start of whatever the body is (a proxy's page). */
async function errorDetail(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body === "object" && body !== null && "error" in body && typeof body.error === "string") {
      const description = "error_description" in body ? body.error_description : undefined;
      return typeof description === "string" ? `${body.error}: ${description}` : body.error;
    }
  } catch {
    // Not JSON: fall through to the text itself.
  }
  const plain = text.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim();
  return plain === "" ? "the server gave no message" : plain.slice(0, 200);
}
