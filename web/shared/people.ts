// A list of users with "Remove <email>" buttons and a form to add one: the admin console's
// administrators and a tenant's users are the same view over different routes.

import { segment, type Api } from "./api";
import { actionButton, field, h, uniqueId } from "./dom";
import { guarded, type Notices } from "./notices";

/** A user as the user-management service lists it. */
export interface User {
  email: string;
  status: string;
  enabled: boolean;
  admin: boolean;
}

interface Listing {
  users: User[];
}

/** POST's answer: `created` is false when the user existed already (a retry). */
interface Made extends User {
  created: boolean;
}

export interface PeopleOptions {
  heading: string;
  /** The collection's route, e.g. `/admin-users` or `/acme/users`. */
  path: string;
  addLabel: string;
  /** Offer an "Administrator" checkbox (tenant users; every admin-pool user is one already). */
  adminChoice: boolean;
}

export class PeopleView {
  readonly element: HTMLElement;
  private readonly heading: HTMLHeadingElement;
  private readonly list = h("ul", { class: "people" });

  constructor(
    private readonly api: Api,
    private readonly notices: Notices,
    private readonly options: PeopleOptions,
  ) {
    this.heading = h("h2", { id: uniqueId("people"), tabindex: "-1" }, options.heading);
    const email = h("input", { type: "email", name: "email", autocomplete: "off", required: true });
    const admin = h("input", { type: "checkbox", name: "admin" });
    const form = h(
      "form",
      { class: "inline", novalidate: true },
      field("Email", email),
      options.adminChoice ? h("div", { class: "field" }, h("label", {}, admin, " Administrator")) : null,
      h("button", { type: "submit" }, options.addLabel),
    );
    form.addEventListener(
      "submit",
      guarded(notices, async () => {
        const body = options.adminChoice ? { email: email.value.trim(), admin: admin.checked } : { email: email.value.trim() };
        const made = await api.post<Made>(options.path, body);
        notices.success(
          made.created
            ? `Added ${made.email}; they get an email with a temporary password.`
            : `${made.email} was here already; nothing changed.`,
        );
        form.reset();
        await this.load();
      }),
    );
    this.element = h("section", { "aria-labelledby": this.heading.id }, this.heading, this.list, form);
  }

  async load(): Promise<void> {
    const listing = await this.api.get<Listing>(this.options.path);
    const items = listing.users.map((user) => this.item(user));
    this.list.replaceChildren(...(items.length > 0 ? items : [h("li", {}, "No one yet.")]));
  }

  private item(user: User): HTMLLIElement {
    const remove = actionButton("Remove", user.email);
    remove.addEventListener(
      "click",
      guarded(this.notices, async () => {
        await this.api.delete(`${this.options.path}/${segment(user.email)}`);
        this.notices.success(`Removed ${user.email}.`);
        // The button is gone with its row: focus goes to the section rather than the page's start.
        this.heading.focus();
        await this.load();
      }),
    );
    const facts = [user.admin && this.options.adminChoice ? "administrator" : "", describeStatus(user)].filter(Boolean);
    return h("li", {}, h("span", {}, h("strong", {}, user.email), " ", h("span", { class: "muted" }, `(${facts.join(", ")})`)), remove);
  }
}

/** Cognito's status in words. */
function describeStatus(user: User): string {
  if (!user.enabled) return "disabled";
  if (user.status === "FORCE_CHANGE_PASSWORD") return "invited, not signed in yet";
  if (user.status === "CONFIRMED") return "active";
  return user.status.toLowerCase().replace(/_/g, " ");
}
