// The tenant application: one build for every tenant. The tenant is the host's first label under
// the app domain; its users sign in through the issuer GET /auth-info names for it, and the app
// uses only a token that claims this tenant.

import { accountBar, signedIn, signInOffer } from "../shared/account";
import { Api } from "../shared/api";
import { boot } from "../shared/boot";
import { loadConfig } from "../shared/config";
import { byId } from "../shared/dom";
import { settleAll, type Notices } from "../shared/notices";
import { PeopleView } from "../shared/people";
import { Session } from "../shared/session";
import schema from "./config.schema.json";
import { OrdersView } from "./orders";
import { ProductsView } from "./products";
import { authInfo, tenantOfHost } from "./tenant";

interface AppConfig {
  apiUrl: string;
  appDomain: string;
}

async function main(notices: Notices): Promise<void> {
  const config = await loadConfig<AppConfig>(schema);
  const tenant = tenantOfHost(location.hostname, config.appDomain);
  if (tenant === null) {
    throw new Error(`${location.hostname} is not a tenant's application: its address is <tenant>.${config.appDomain}.`);
  }
  byId("tenant").textContent = tenant;
  document.title = `${tenant}: products and orders`;
  const info = await authInfo(new Api(config.apiUrl), tenant);
  const session = await Session.open({ issuer: info.issuer, clientId: info.clientId, redirectUri: info.redirectUri });
  const place = byId("app");
  const claims = await signedIn(session, place);
  if (claims === null) return;
  byId("account").replaceChildren(accountBar(session, claims));
  if (claims.tenantId !== tenant) {
    // The services would refuse it too; saying so here tells the user what to do.
    notices.errorWith(
      "action",
      signInOffer(session, `You are signed in to ${claims.tenantId ?? "no tenant"}, not ${tenant}: sign in with a user of ${tenant}.`),
    );
    return;
  }
  const api = new Api(config.apiUrl, session);
  const products = new ProductsView(api, notices, tenant);
  const orders = new OrdersView(api, notices, tenant);
  products.onChange((list) => orders.setProducts(list));
  const views: { element: HTMLElement; load: () => Promise<void> }[] = [products, orders];
  if (claims.groups.includes(`admins-${tenant}`)) {
    views.push(new PeopleView(api, notices, { heading: "Users", path: `/${encodeURIComponent(tenant)}/users`, addLabel: "Add user", adminChoice: true }));
  }
  place.replaceChildren(...views.map((v) => v.element));
  // Products first: the orders' lines are described with the products' names.
  await products.load();
  await settleAll(notices, views.filter((v) => v !== products).map((v) => v.load()));
}

boot(main);
