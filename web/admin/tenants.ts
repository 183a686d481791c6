// The tenants table: a page of the registry's tenants, refreshed every 5 s, with each tenant's
// actions. A refresh updates the rows in place: nothing that has focus is replaced, and a tier
// select the administrator has changed keeps their choice until they apply it.

import { segment, type Api } from "../shared/api";
import { actionButton, h, uniqueId } from "../shared/dom";
import { guarded, type Notices } from "../shared/notices";
import { dataTable, row, type DataTable } from "../shared/table";
import { confirm } from "./confirm";

/** A tenant as GET /tenants lists it. */
interface Tenant {
  tenantId: string;
  name: string;
  tier: string;
  adminEmail: string;
  state: string;
  cause?: string;
}

interface TenantPage {
  tenants: Tenant[];
  next?: string;
}

/** What an action did: `job` is absent when there was nothing to do (a repeat). */
interface Started {
  tenantId: string;
  state: string;
  job?: string;
  buildId?: string;
}

const REFRESH_MS = 5_000;
const PAGE_SIZE = 50;

export class TenantsView {
  readonly element: HTMLElement;
  private readonly heading = h("h2", { id: uniqueId("tenants"), tabindex: "-1" }, "Tenants");
  private readonly table: DataTable = dataTable("Tenants", ["Id", "Name", "Tier", "State", "Actions"]);
  private readonly rows = new Map<string, TenantRow>();
  private readonly pager = h("div", { class: "actions" });
  /** The `after` cursor of each page visited; the last is the page shown. */
  private readonly cursors: (string | undefined)[] = [undefined];
  /** The tiers a tenant can be moved to (the platform's, from the config), sorted. */
  private readonly tiers: string[];
  private loading: Promise<void> | null = null;

  constructor(
    private readonly api: Api,
    private readonly notices: Notices,
    tiers: string[],
  ) {
    this.tiers = [...tiers].sort();
    const refresh = h("button", { type: "button", class: "secondary" }, "Refresh");
    refresh.addEventListener("click", guarded(notices, () => this.refresh()));
    this.element = h(
      "section",
      { "aria-labelledby": this.heading.id },
      this.heading,
      h("div", { class: "actions" }, refresh),
      this.table.table,
      this.pager,
    );
  }

  /** Loads the first page and keeps it fresh; a hidden tab catches up when it is shown again. */
  start(): Promise<void> {
    window.setInterval(() => this.tick(), REFRESH_MS);
    document.addEventListener("visibilitychange", () => this.tick());
    return this.refresh();
  }

  /** Reloads the page shown, after any load under way: an action's refresh must see its change. */
  async refresh(): Promise<void> {
    while (this.loading !== null) await this.loading.catch(() => undefined);
    this.loading = this.load();
    try {
      await this.loading;
      this.notices.clear("refresh");
    } finally {
      this.loading = null;
    }
  }

  /** The background refresh: skipped while a load is under way; its errors are shown, and cleared by the next good one. */
  private tick(): void {
    if (document.hidden || this.loading !== null) return;
    this.refresh().catch((err: unknown) => this.notices.error(err, "refresh"));
  }

  private async load(): Promise<void> {
    const after = this.cursors.at(-1);
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (after !== undefined) query.set("after", after);
    this.show(await this.api.get<TenantPage>(`/tenants?${query}`));
  }

  private show(page: TenantPage): void {
    const tiers = this.tiers;
    const shown = new Set(page.tenants.map((t) => t.tenantId));
    for (const [id, existing] of this.rows) {
      if (shown.has(id)) continue;
      // Focus in a row that goes would fall to the page's start: keep it in this section.
      if (existing.element.contains(document.activeElement)) this.heading.focus();
      existing.element.remove();
      this.rows.delete(id);
    }
    page.tenants.forEach((tenant, index) => {
      let view = this.rows.get(tenant.tenantId);
      if (view === undefined) {
        view = new TenantRow(this.table, tenant, this.notices, (path, body) => this.act(path, body));
        this.rows.set(tenant.tenantId, view);
      }
      view.update(tenant, tiers);
      // Moving a row would take focus from it: only rows out of place are moved.
      if (this.table.body.children[index] !== view.element) {
        this.table.body.insertBefore(view.element, this.table.body.children[index] ?? null);
      }
    });
    this.showPager(page.next);
  }

  private showPager(next: string | undefined): void {
    const buttons: HTMLButtonElement[] = [];
    if (this.cursors.length > 1) {
      const previous = h("button", { type: "button", class: "secondary" }, "Previous page");
      previous.addEventListener("click", guarded(this.notices, () => this.turn(() => this.cursors.pop())));
      buttons.push(previous);
    }
    if (next !== undefined) {
      const following = h("button", { type: "button", class: "secondary" }, "Next page");
      following.addEventListener("click", guarded(this.notices, () => this.turn(() => this.cursors.push(next))));
      buttons.push(following);
    }
    // Rebuilt only when the choice changes, so a focused pager button stays.
    const labels = buttons.map((b) => b.textContent).join();
    if (labels !== [...this.pager.children].map((b) => b.textContent).join()) this.pager.replaceChildren(...buttons);
  }

  private async turn(move: () => void): Promise<void> {
    move();
    this.heading.focus();
    await this.refresh();
  }

  /** Runs an admin action, says what it started, and shows the tenant's new state. */
  private async act(path: string, body?: unknown): Promise<Started> {
    const started = await this.api.post<Started>(path, body);
    await this.refresh();
    return started;
  }
}

/** The states of a tenant that serves, which can be offboarded or moved to another tier. */
const SERVING: readonly string[] = ["active", "suspended"];

/** One tenant's row; its controls live as long as the tenant is on the page. */
class TenantRow {
  readonly element: HTMLTableRowElement;
  private readonly name = h("span");
  private readonly tier = h("span");
  private readonly state = h("span");
  private readonly select: HTMLSelectElement;
  /** The buttons of the actions, each offered only in the states the lifecycle allows it. */
  private readonly actions: { button: HTMLButtonElement; states: readonly string[] }[] = [];
  /** The administrator picked a tier in the select and has not applied it yet. */
  private edited = false;

  constructor(
    table: DataTable,
    tenant: Tenant,
    notices: Notices,
    act: (path: string, body?: unknown) => Promise<Started>,
  ) {
    const id = tenant.tenantId;
    const path = `/tenants/${segment(id)}`;
    // The lifecycle (`contract::lifecycle`): suspend an active tenant, activate a suspended one,
    // offboard or move either. The service refuses the rest with a 409 in words anyway.
    const button = (
      action: string,
      subject: string,
      states: readonly string[],
      run: () => Promise<void>,
      kind = "secondary",
    ) => {
      const b = actionButton(action, subject, kind);
      b.addEventListener("click", guarded(notices, run));
      this.actions.push({ button: b, states });
      return b;
    };
    this.select = h("select", { id: uniqueId("tier") });
    this.select.addEventListener("change", () => {
      this.edited = true;
    });
    const say = (started: Started, what: string) =>
      notices.success(
        started.job === undefined
          ? `${id}: nothing to do, it is ${started.state} already${what === "tier change" ? " on that tier" : ""}.`
          : `${id}: ${what} started (job ${started.job}${started.buildId ? `, build ${started.buildId}` : ""}); the table shows the change once it is applied.`,
      );
    const actions = h(
      "div",
      { class: "actions" },
      button("Suspend", id, ["active"], async () => say(await act(`${path}/suspend`), "suspension")),
      button("Activate", id, ["suspended"], async () => say(await act(`${path}/activate`), "activation")),
      button(
        "Offboard",
        id,
        SERVING,
        async () => {
          if (await confirm(`Offboard ${id}? Its stack, data and users are removed.`, "Offboard")) {
            say(await act(`${path}/offboard`), "offboarding");
          }
        },
        "danger",
      ),
      h(
        "span",
        { class: "tier-change" },
        h("label", { for: this.select.id, class: "visually-hidden" }, `Tier of ${id}`),
        this.select,
        button("Change tier", `of ${id}`, SERVING, async () => {
          const started = await act(`${path}/tier`, { tier: this.select.value });
          this.edited = false;
          say(started, "tier change");
        }),
      ),
    );
    this.element = row(table, [id], [this.name], [this.tier], [this.state], [actions]);
  }

  update(tenant: Tenant, tiers: string[]): void {
    setText(this.name, tenant.name);
    setText(this.tier, tenant.tier);
    setText(this.state, tenant.cause === undefined ? tenant.state : `${tenant.state}: ${tenant.cause}`);
    // Options are only added: removing or rebuilding them would reset a choice being made.
    const present = new Set([...this.select.options].map((o) => o.value));
    for (const tier of new Set([...tiers, tenant.tier])) {
      if (!present.has(tier)) this.select.append(h("option", { value: tier }, tier));
    }
    for (const { button, states } of this.actions) button.disabled = !states.includes(tenant.state);
    this.select.disabled = !SERVING.includes(tenant.state);
    if (this.select.value === tenant.tier) this.edited = false;
    if (!this.edited && document.activeElement !== this.select) this.select.value = tenant.tier;
  }
}

/** Changes text only when it differs, so that assistive technology hears no churn. */
function setText(element: HTMLElement, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}
