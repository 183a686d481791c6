//! What moving a tenant to another tier moves, and what it does not: the data of a service
//! whose table changes (a silo table and a pooled table's partition are not the same place),
//! and the users of a tenant whose user pool changes (Cognito cannot move a user between
//! pools). `tenancy tenant set-tier` prints these before anything is applied; the README's
//! "Moving a tenant between tiers" says the same.

use super::{Identity, Platform, Storage, Tenant, Tier, naming};

/// Where `tenant`'s users sign in under `tier`: its own pool, the shared pool, or its cell's.
fn user_pool(platform: &Platform, tenant: &Tenant, tier: &Tier) -> String {
    if tier.is_pooled() {
        platform.cell_names(tier, naming::cell_of(&tenant.id, tier.cells)).user_pool
    } else {
        match tier.identity {
            Identity::Dedicated => platform.tenant_names(tenant).user_pool,
            Identity::Pooled => platform.baseline_names().tenants_user_pool,
        }
    }
}

/// Where `tenant`'s data of each service is under `tier`: (service, table, partition or not).
fn tables(platform: &Platform, tenant: &Tenant, tier: &Tier) -> Vec<(String, String, bool)> {
    let p = platform.name();
    platform
        .services()
        .iter()
        .map(|service| match platform.storage_of(tier, service) {
            Storage::Silo(_) => (service.name.to_string(), format!("{p}-{}-{}", service.name, tenant.id), false),
            Storage::Pool(_) => (service.name.to_string(), super::BaselineNames::pooled_table(p, &service.name), true),
        })
        .collect()
}

/// What moving `tenant` (of `platform`) to tier `to` leaves behind, one sentence each with what
/// to do; empty when its data and users stay where they are.
pub fn tier_move(platform: &Platform, tenant: &Tenant, to: &Tier) -> Vec<String> {
    let from = platform.tier_of(tenant);
    let id = &tenant.id;
    let mut out = Vec::new();
    for ((service, old, old_pooled), (_, new, new_pooled)) in
        tables(platform, tenant, from).into_iter().zip(tables(platform, tenant, to))
    {
        if old == new {
            continue;
        }
        let place = |table: &str, pooled: bool| {
            if pooled {
                format!("its partition (TenantId = {id}) of the pooled table {table}")
            } else {
                format!("its own table {table}")
            }
        };
        out.push(format!(
            "{service}: tenant {id}'s items stay in {}; tier {} keeps them in {}, which the apply leaves empty: copy them there (for example with a DynamoDB export to S3 and an import, each item with TenantId = {id}) before the tenant takes traffic, then delete the old ones{}",
            place(&old, old_pooled),
            to.name,
            place(&new, new_pooled),
            if old_pooled { "" } else { " (the old table is kept or backed up as its tier's data retention says)" }
        ));
    }
    let (old, new) = (user_pool(platform, tenant, from), user_pool(platform, tenant, to));
    if old != new {
        out.push(format!(
            "users: tenant {id}'s users are in user pool {old}; under tier {} they sign in to {new}, where the apply makes its admin user anew. Cognito does not move users between pools: invite them again through user management, or migrate them with a user migration Lambda trigger on {new}",
            to.name
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pooled() -> Platform {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/good/pooled.yaml");
        crate::blueprint::load_file(&path).unwrap()
    }

    fn moves(platform: &Platform, tenant: &str, to: &str) -> Vec<String> {
        let tenant = platform.tenants().iter().find(|t| t.id.as_str() == tenant).unwrap();
        let tier = platform.tiers().iter().find(|t| t.name.as_str() == to).unwrap();
        tier_move(platform, tenant, tier)
    }

    #[test]
    fn a_move_names_the_data_and_users_it_leaves_behind() {
        let platform = pooled();
        // basic pools orders, premium keeps them per tenant and gives the tenant its own pool;
        // products are pooled in both, so they stay.
        let up = moves(&platform, "alpha", "premium");
        assert_eq!(up.len(), 2, "{up:#?}");
        assert!(
            up[0].starts_with(
                "order: tenant alpha's items stay in its partition (TenantId = alpha) of the pooled table fleet-order"
            ),
            "{}",
            up[0]
        );
        assert!(up[0].contains("its own table fleet-order-alpha"), "{}", up[0]);
        assert!(
            up[1].contains("users are in user pool fleet-cell-basic-0")
                && up[1].contains("sign in to fleet-tenant-alpha"),
            "{}",
            up[1]
        );
        // Down from premium to the bridge tier: orders stay per tenant; users move to a cell.
        let down = moves(&platform, "omega", "bridge");
        assert_eq!(down.len(), 1, "{down:#?}");
        assert!(
            down[0].contains("users are in user pool fleet-tenant-omega") && down[0].contains("fleet-cell-bridge-0"),
            "{}",
            down[0]
        );
        // To its own tier: nothing moves.
        assert!(moves(&platform, "beta", "basic").is_empty());
    }
}
