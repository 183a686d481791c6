//! The DynamoDB calls of the services in this workspace (services/product, services/order),
//! which the tenant roles grant and nothing more: least privilege from the callers' own
//! declarations. The services are separate crates that do not depend on this one, so their
//! tables are mirrored here; `tests/declared_calls.rs` fails when a mirror and its source
//! differ. `verify` checks the same table against the generated roles (issue 14 moves it into
//! a contracts crate both sides depend on).

/// A service's calls: on its own table (`TABLE_NAME` of its Deployment), and, for the order
/// service, on the pooled product table.
pub struct ServiceCalls {
    /// The Deployment (and container) name.
    pub service: &'static str,
    /// The DynamoDB actions the service calls on its own table.
    pub own_table: &'static [&'static str],
    /// The DynamoDB actions it calls on the pooled product table; empty for a service that
    /// does not read it.
    pub product_table: &'static [&'static str],
    /// Pooled compute: what it calls on its own table with a tenant's vended session when the
    /// tier keeps the table per tenant (silo); empty for a service that has no such layout.
    pub session_silo: &'static [&'static str],
    /// Pooled compute: what it calls with a tenant's vended session on its pooled table.
    pub session_pool: &'static [&'static str],
    /// Pooled compute: what its readiness calls with the pod's own role on its pooled table.
    pub ready: &'static [&'static str],
}

/// Mirrors `product::store::{IAM_ACTIONS, ACCESS_IAM_ACTIONS, READY_IAM_ACTIONS}` and
/// `order::store::{IAM_ACTIONS, PRODUCT_IAM_ACTIONS, SILO_ACCESS_IAM_ACTIONS, POOL_IAM_ACTIONS,
/// READY_IAM_ACTIONS}`.
pub const SERVICES: [ServiceCalls; 2] = [
    ServiceCalls {
        service: "product",
        own_table: &[
            "dynamodb:DeleteItem",
            "dynamodb:DescribeTable",
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:Query",
        ],
        product_table: &[],
        session_silo: &[],
        session_pool: &["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
        ready: &["dynamodb:DescribeTable"],
    },
    ServiceCalls {
        service: "order",
        own_table: &["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan"],
        product_table: &["dynamodb:GetItem"],
        session_silo: &["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan"],
        session_pool: &["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
        ready: &["dynamodb:DescribeTable"],
    },
];

/// The item actions a tenant role grants on `service`'s table: what the declared services of
/// the platform call on it (its own calls, and the order service's reads of the product table),
/// without DescribeTable and Scan, which have statements of their own. A service this workspace
/// does not declare gets `fallback`.
pub fn item_actions(service: &str, services_in_platform: &[&str], fallback: &[&'static str]) -> Vec<&'static str> {
    let Some(own) = SERVICES.iter().find(|s| s.service == service) else { return fallback.to_vec() };
    let mut actions: Vec<&'static str> = own.own_table.to_vec();
    if service == "product" {
        for reader in SERVICES.iter().filter(|s| services_in_platform.contains(&s.service)) {
            actions.extend_from_slice(reader.product_table);
        }
    }
    actions.retain(|a| *a != "dynamodb:DescribeTable" && *a != "dynamodb:Scan");
    actions.sort_unstable();
    actions.dedup();
    actions
}

/// Whether `service` reads the pooled product table.
pub fn reads_product_table(service: &str) -> bool {
    SERVICES.iter().any(|s| s.service == service && !s.product_table.is_empty())
}

/// The item actions a tenant-access session is granted on `service`'s table in `layout`: what
/// the service calls with the session, and, on the product table, what the platform's other
/// services read there; without Scan, which has a statement of its own. A service this
/// workspace does not declare gets `fallback`.
pub fn session_actions(
    service: &str,
    pooled_layout: bool,
    services_in_platform: &[&str],
    fallback: &[&'static str],
) -> Vec<&'static str> {
    let Some(own) = SERVICES.iter().find(|s| s.service == service) else { return fallback.to_vec() };
    let mut actions: Vec<&'static str> = if pooled_layout { own.session_pool } else { own.session_silo }.to_vec();
    if service == "product" {
        for reader in SERVICES.iter().filter(|s| services_in_platform.contains(&s.service)) {
            actions.extend_from_slice(reader.product_table);
        }
    }
    actions.retain(|a| *a != "dynamodb:Scan");
    actions.sort_unstable();
    actions.dedup();
    actions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_are_the_declared_item_calls() {
        let both = ["product", "order"];
        assert_eq!(
            item_actions("product", &both, &[]),
            ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"]
        );
        assert_eq!(item_actions("order", &both, &[]), ["dynamodb:GetItem", "dynamodb:PutItem"]);
        assert_eq!(item_actions("invoice", &both, &["dynamodb:GetItem"]), ["dynamodb:GetItem"]);
    }
}
