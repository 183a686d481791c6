// The admin console: provider administrators sign in through the admin pool, then manage the
// tenants (GET /tenants and its actions) and their fellow administrators (/admin-users).

import { accountBar, signedIn } from "../shared/account";
import { Api } from "../shared/api";
import { boot } from "../shared/boot";
import { loadConfig } from "../shared/config";
import { byId } from "../shared/dom";
import { settleAll, type Notices } from "../shared/notices";
import { PeopleView } from "../shared/people";
import { Session } from "../shared/session";
import schema from "./config.schema.json";
import { TenantsView } from "./tenants";

interface AdminConfig {
  apiUrl: string;
  issuer: string;
  clientId: string;
  redirectUri: string;
  /** The platform's tiers, which a tenant can be moved to. */
  tiers: string[];
}

async function main(notices: Notices): Promise<void> {
  const config = await loadConfig<AdminConfig>(schema);
  const session = await Session.open({ issuer: config.issuer, clientId: config.clientId, redirectUri: config.redirectUri });
  const place = byId("console");
  const claims = await signedIn(session, place);
  if (claims === null) return;
  byId("account").replaceChildren(accountBar(session, claims));
  const api = new Api(config.apiUrl, session);
  const tenants = new TenantsView(api, notices, config.tiers);
  const administrators = new PeopleView(api, notices, {
    heading: "Administrators",
    path: "/admin-users",
    addLabel: "Add administrator",
    adminChoice: false,
  });
  place.replaceChildren(tenants.element, administrators.element);
  await settleAll(notices, [tenants.start(), administrators.load()]);
}

boot(main);
