// The landing page: the platform's public sign-up, POST /register.
//
// The form leaves validation to the service (novalidate), whose parsers are the blueprint's:
// what it accepts is what onboarding accepts, and its 400 names each field at fault, which is
// shown beside that field.

import { Api } from "../shared/api";
import { loadConfig } from "../shared/config";
import { boot } from "../shared/boot";
import { byId, field, h } from "../shared/dom";
import { HttpError } from "../shared/http";
import { guarded, type Notices } from "../shared/notices";
import schema from "./config.schema.json";

interface LandingConfig {
  apiUrl: string;
  tiers: string[];
}

/** The service's answer: 202 for a new sign-up, 200 for one it had already. */
interface Registered {
  tenantId: string;
  state: string;
}

/** The sign-up's fields, by the names the service gives them in its messages. */
type FieldName = "tenantId" | "name" | "email" | "tier";

/**
 * One Idempotency-Key per sign-up: the same form contents sent again (a retry after an error
 * or a lost answer) reuse the key, so the service can tell the retry from a new sign-up.
 */
class IdempotencyKeys {
  private last: { contents: string; key: string } | undefined;

  keyFor(contents: string): string {
    if (this.last?.contents !== contents) this.last = { contents, key: crypto.randomUUID() };
    return this.last.key;
  }
}

function form(config: LandingConfig, api: Api, notices: Notices): HTMLFormElement {
  const controls: Record<FieldName, HTMLInputElement | HTMLSelectElement> = {
    name: h("input", { name: "name", autocomplete: "organization", required: true }),
    tenantId: h("input", { name: "tenantId", autocomplete: "off", autocapitalize: "none", spellcheck: "false", required: true }),
    email: h("input", { name: "email", type: "email", autocomplete: "email", required: true }),
    tier: h("select", { name: "tier" }, ...config.tiers.map((tier) => h("option", { value: tier }, tier))),
  };
  const keys = new IdempotencyKeys();
  const submit = h("button", { type: "submit" }, "Create my tenant");
  const element = h(
    "form",
    { novalidate: true },
    field("Company name", controls.name),
    field("Tenant id", controls.tenantId, "Lowercase letters, digits and '-', e.g. acme-corp. Your application's address starts with it."),
    field("Admin email", controls.email, "The tenant's first administrator; we email the temporary password here."),
    field("Tier", controls.tier),
    submit,
  );
  element.addEventListener(
    "submit",
    guarded(notices, async () => {
      showFieldErrors(controls, new Map());
      const signUp = {
        tenantId: controls.tenantId.value.trim(),
        name: controls.name.value.trim(),
        email: controls.email.value.trim(),
        tier: controls.tier.value,
      };
      const contents = JSON.stringify(signUp);
      try {
        const registered = await api.post<Registered>("/register", signUp, { "Idempotency-Key": keys.keyFor(contents) });
        notices.success(
          `Tenant ${registered.tenantId} is ${registered.state}. Its administrator gets an email when it is ready.`,
        );
      } catch (err) {
        if (err instanceof HttpError && err.status === 400) showFieldErrors(controls, fieldErrors(err.detail));
        throw err;
      }
    }),
  );
  return element;
}

/** "tenantId: ...; email: ..." (the service's 400) as a message per field. */
function fieldErrors(detail: string): Map<FieldName, string> {
  const errors = new Map<FieldName, string>();
  for (const part of detail.split(/; (?=(?:tenantId|name|email|tier): )/)) {
    const match = /^(tenantId|name|email|tier): (.*)$/s.exec(part);
    if (match) errors.set(match[1] as FieldName, match[2] ?? "");
  }
  return errors;
}

/** Marks each control at fault and puts its message under it, in its description. */
function showFieldErrors(controls: Record<FieldName, HTMLInputElement | HTMLSelectElement>, errors: Map<FieldName, string>): void {
  for (const [name, control] of Object.entries(controls) as [FieldName, HTMLInputElement | HTMLSelectElement][]) {
    const errorId = `${control.id}-error`;
    document.getElementById(errorId)?.remove();
    const described = (control.getAttribute("aria-describedby") ?? "").split(" ").filter((id) => id !== "" && id !== errorId);
    const message = errors.get(name);
    if (message !== undefined) {
      control.after(h("p", { class: "field-error", id: errorId }, message));
      described.push(errorId);
    }
    control.setAttribute("aria-invalid", String(message !== undefined));
    if (described.length > 0) control.setAttribute("aria-describedby", described.join(" "));
    else control.removeAttribute("aria-describedby");
  }
  const first = Object.values(controls).find((c) => c.getAttribute("aria-invalid") === "true");
  first?.focus();
}

async function main(notices: Notices): Promise<void> {
  const config = await loadConfig<LandingConfig>(schema);
  byId("signup").replaceChildren(form(config, new Api(config.apiUrl), notices));
}

boot(main);
