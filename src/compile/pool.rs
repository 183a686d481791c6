//! A pooled tier's AWS resources: the pool stack (the shared pods' own role, which reaches no
//! tenant data) and its cell stacks (each tenant's app client, groups and admin user in the
//! cell's user pool, its silo tables, and the cell's tenant-access role).
//!
//! The shared pods never hold tenant credentials of their own. For each request they assume
//! their tenant's cell's access role with the session tag `TenantId=<tenant>`, and that role's
//! policy names the tenant's data through `${aws:PrincipalTag/TenantId}`: the partition of the
//! pooled tables, the name of the silo tables. The role also denies every session whose tag is
//! not one of the cell's tenants, so a pool's pods cannot mint a session for a dedicated
//! tenant, or a tenant of another tier, even though they choose the tag. One role serves a
//! cell, not one per tenant: a 10,000-tenant fleet fits IAM's default 1,000 roles.

use crate::cfn::resources::{InlinePolicy, Role, Table, UserPoolDomain, UserPoolGroup, UserPoolUserToGroupAttachment};
use crate::cfn::{Expr, LogicalId, Output, Policy, PolicyDocument, Statement, TemplateBuilder, pascal_case};
use crate::model::naming::{TENANT_SESSION_TAG, role_arn};
use crate::model::{BaselineNames, CellNames, DataRetention, Platform, Storage, Tenant, Tier};

use super::common::{baseline_export, exports, platform_tags, regional_arn};
use super::data_access::{DATA_KEY_ACTIONS, TABLE_ITEM_ACTIONS, boundary_arn, data_key_statement};
use super::identity::{admin_user, user_pool, web_client};
use super::pod_identity;
use super::service_calls::{SERVICES, session_actions};

/// Outputs of a cell stack that the register step of each of its tenants reads.
pub mod outputs {
    /// The cell's user pool.
    pub const USER_POOL_ID: &str = "UserPoolId";
    /// The issuer of the cell pool's tokens.
    pub const ISSUER_URL: &str = "IssuerUrl";
    /// The tenant-access role the pool's pods assume for the cell's tenants.
    pub const ACCESS_ROLE_ARN: &str = "AccessRoleArn";

    /// The output holding `tenant`'s app client id: `<key>ClientId`.
    pub fn client_id(tenant: &crate::model::TenantId) -> String {
        format!("{}ClientId", crate::compile::pool::tenant_key(tenant))
    }
}

/// The IAM actions a pooled pod's own role needs to vend a tenant session.
pub const VEND_ACTIONS: [&str; 2] = ["sts:AssumeRole", "sts:TagSession"];

/// The logical-id prefix of `tenant`'s resources in its cell: `T` and its id with each hyphen
/// an `H`. Ids are lower case, so no two tenants share a prefix (`a-b` is `TaHb`, `ahb` is
/// `Tahb`), and the prefix depends on the tenant alone, so adding a tenant renames nothing.
pub fn tenant_key(tenant: &crate::model::TenantId) -> String {
    tenant_key_of(tenant.as_str())
}

/// [`tenant_key`] of an id given as text (verify reads ids from the files).
pub fn tenant_key_of(tenant: &str) -> String {
    format!("T{}", tenant.replace('-', "H"))
}

/// The pool stack of `tier`: the role of its shared pods and their Pod Identity association.
pub fn pool_stack_builder(platform: &Platform, tier: &Tier) -> TemplateBuilder {
    let names = platform.pool_names(tier);
    let baseline = platform.baseline_names();
    let tags = pool_tags(platform, tier);
    let mut t = TemplateBuilder::new(format!("tenancy {}: pool of tier {}", platform.name(), tier.name));
    let cells =
        crate::cfn::Expr::sub(format!("arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{}*", names.cell_prefix));
    let mut statements = vec![
        // Sessions of the tier's cells' access roles only, and only tagged with a tenant.
        Statement::allow("VendTenantSessions", &VEND_ACTIONS).on([cells]).when(
            "Null",
            format!("aws:RequestTag/{TENANT_SESSION_TAG}"),
            Expr::str("false"),
        ),
        // The tenant directory: where the request's tenant signs in, and its cell's role.
        Statement::allow("ReadTenantDirectory", &crate::contract::calls::DIRECTORY_IAM_ACTIONS)
            .on([regional_arn("dynamodb", &format!("table/{}", baseline.tenant_table))]),
    ];
    let pooled: Vec<Expr> = platform
        .services()
        .iter()
        .filter(|s| matches!(platform.storage_of(tier, s), Storage::Pool(_)))
        .map(|s| regional_arn("dynamodb", &format!("table/{}", BaselineNames::pooled_table(platform.name(), &s.name))))
        .collect();
    if !pooled.is_empty() {
        // Readiness: the tables exist. Metadata only, never an item.
        statements.push(Statement::allow("DescribePooledTables", &["dynamodb:DescribeTable"]).on(pooled));
    }
    let role = LogicalId::fixed("PoolRole");
    t.resource(
        &role,
        Role {
            role_name: Expr::str(&names.role),
            description: format!(
                "Shared pods of tier {} (ServiceAccount {}/{}): vends tenant sessions, reaches no tenant data",
                tier.name, names.namespace, names.service_account
            ),
            assume_role_policy_document: pod_identity::trust(platform, &names.namespace, &names.service_account),
            policies: vec![InlinePolicy {
                policy_name: "pool".into(),
                policy_document: PolicyDocument::new(statements),
            }],
            managed_policy_arns: vec![],
            permissions_boundary: None,
            max_session_duration: 3600,
            tags: tags.clone(),
        },
    );
    t.resource(
        &LogicalId::fixed("PoolRoleAssociation"),
        pod_identity::association(
            platform,
            &names.namespace,
            &names.service_account,
            Expr::get_att(&role, "Arn"),
            tags.clone(),
        ),
    );
    t.output(&LogicalId::fixed("RoleArn"), Output::new("Role of the pool's shared pods", Expr::get_att(&role, "Arn")));
    t
}

fn pool_tags(platform: &Platform, tier: &Tier) -> Vec<crate::cfn::resources::Tag> {
    let mut all = platform_tags(platform);
    all.push(crate::cfn::resources::Tag { key: "tenancy:tier".into(), value: tier.name.to_string() });
    all
}

/// Cell `cell` of `tier`, holding `tenants` (all of the same tier and cell).
pub fn cell_stack_builder(platform: &Platform, tier: &Tier, cell: &CellNames, tenants: &[&Tenant]) -> TemplateBuilder {
    let tags = pool_tags(platform, tier);
    let pool_names = platform.pool_names(tier);
    let mut t = TemplateBuilder::new(format!(
        "tenancy {}: cell {} of tier {} ({} tenants)",
        platform.name(),
        cell.index,
        tier.name,
        tenants.len()
    ));

    // The cell's user pool: a group per tenant, every user with an immutable tenant claim.
    let pool = LogicalId::fixed("UserPool");
    t.resource(&pool, user_pool(&cell.user_pool, true, &tags)).keep(Policy::Retain);
    t.resource(
        &LogicalId::fixed("UserPoolDomain"),
        UserPoolDomain { domain: Expr::str(&cell.domain_prefix), user_pool_id: Expr::reference(&pool) },
    );
    let pool_id = Expr::reference(&pool);
    for tenant in tenants {
        tenant_identity(&mut t, platform, tenant, &pool_id);
    }

    // Silo tables of the services the tier keeps per tenant.
    let key = Expr::import(baseline_export(platform, exports::DATA_KEY_ARN));
    let retain = tier.data_retention == DataRetention::Retain;
    for service in platform.services() {
        let Storage::Silo(keys) = platform.storage_of(tier, service) else { continue };
        for tenant in tenants {
            let names = platform.tenant_names(tenant);
            let table_name = names.silo_table(&service.name).expect("silo services have a table");
            let id = LogicalId::new(format!("{}{}Table", tenant_key(&tenant.id), pascal_case(service.name.as_str())))
                .expect("alphanumeric");
            let table = Table::on_demand(
                Expr::str(table_name),
                keys.partition_key.as_str(),
                keys.sort_key.as_ref().map(|k| k.as_str()),
                key.clone(),
                retain,
                super::common::tenant_tags(platform, tenant),
            );
            t.resource(&id, table).keep(if retain { Policy::Retain } else { Policy::Delete });
        }
    }

    let role = LogicalId::fixed("AccessRole");
    let pool_role = role_arn(platform.region(), platform.account_id(), &pool_names.role);
    t.resource(
        &role,
        Role {
            role_name: Expr::str(&cell.access_role),
            description: format!(
                "Tenant sessions of cell {} of tier {}: each reaches only the data of the tenant it is tagged with",
                cell.index, tier.name
            ),
            assume_role_policy_document: PolicyDocument::new(vec![
                Statement::allow("PoolPodsWithTenantTag", &VEND_ACTIONS)
                    .principal("AWS", Expr::str(pool_role))
                    .when("Null", format!("aws:RequestTag/{TENANT_SESSION_TAG}"), Expr::str("false"))
                    .when("ForAllValues:StringEquals", "aws:TagKeys", Expr::list([Expr::str(TENANT_SESSION_TAG)])),
            ]),
            policies: vec![InlinePolicy {
                policy_name: "tenant-data".into(),
                policy_document: PolicyDocument::new(access_statements(platform, tier, tenants, key)),
            }],
            managed_policy_arns: vec![],
            permissions_boundary: Some(boundary_arn(platform)),
            max_session_duration: 3600,
            tags: tags.clone(),
        },
    );

    t.output(&LogicalId::fixed(outputs::USER_POOL_ID), Output::new("User pool of the cell's tenants", pool_id));
    t.output(
        &LogicalId::fixed(outputs::ISSUER_URL),
        Output::new(
            "Token issuer of the cell's tenants",
            Expr::sub(format!("https://cognito-idp.${{AWS::Region}}.${{AWS::URLSuffix}}/${{{pool}}}")),
        ),
    );
    t.output(
        &LogicalId::fixed(outputs::ACCESS_ROLE_ARN),
        Output::new("Role the pool's pods assume for the cell's tenants", Expr::get_att(&role, "Arn")),
    );
    t
}

/// A tenant's app client, groups and admin user in its cell's pool, and the output of its
/// client id.
fn tenant_identity(t: &mut TemplateBuilder, platform: &Platform, tenant: &Tenant, pool: &Expr) {
    let names = platform.tenant_names(tenant);
    let key = tenant_key(&tenant.id);
    let id = |suffix: &str| LogicalId::new(format!("{key}{suffix}")).expect("alphanumeric");
    let client = id("AppClient");
    let admin = id("AdminUser");
    t.resource(&client, web_client(&names.app_client, pool.clone(), &format!("https://{}", names.app_host), true));
    for (group, name, description) in [
        (id("Group"), &names.group, format!("Users of tenant {}", tenant.id)),
        (
            id("AdminGroup"),
            &names.admin_group,
            format!("Administrators of tenant {}: they manage its users", tenant.id),
        ),
    ] {
        t.resource(&group, UserPoolGroup { group_name: Expr::str(name), user_pool_id: pool.clone(), description });
        t.resource(
            &LogicalId::new(format!("{}Member", group.as_str())).expect("alphanumeric"),
            UserPoolUserToGroupAttachment {
                group_name: Expr::reference(&group),
                username: Expr::reference(&admin),
                user_pool_id: pool.clone(),
            },
        );
    }
    t.resource(&admin, admin_user(pool.clone(), tenant));
    t.output(
        &LogicalId::new(outputs::client_id(&tenant.id)).expect("alphanumeric"),
        Output::new(format!("App client of tenant {}", tenant.id), Expr::reference(&client)),
    );
}

/// What a session tagged with one of the cell's tenants may do: items of that tenant's
/// partition of each pooled table and its own silo tables, named through the session tag.
fn access_statements(platform: &Platform, tier: &Tier, tenants: &[&Tenant], key: Expr) -> Vec<Statement> {
    let p = platform.name();
    let tag = format!("${{aws:PrincipalTag/{TENANT_SESSION_TAG}}}");
    let services: Vec<&str> = platform.services().iter().map(|s| s.name.as_str()).collect();
    let ids: Vec<Expr> = tenants.iter().map(|t| Expr::str(t.id.as_str())).collect();
    // Every action of a session not tagged with one of the cell's tenants is denied: the tag is
    // the pool's choice, and this is what keeps it to the tenants the cell holds.
    let deny = Statement::deny("OnlyTheCellsTenants", &["*"]).on([Expr::str("*")]);
    // A cell without tenants denies every session.
    let mut statements = vec![if ids.is_empty() {
        deny
    } else {
        deny.when("StringNotEquals", format!("aws:PrincipalTag/{TENANT_SESSION_TAG}"), Expr::list(ids))
    }];
    for service in platform.services() {
        let label = pascal_case(service.name.as_str());
        let name = service.name.as_str();
        match platform.storage_of(tier, service) {
            Storage::Pool(_) => {
                let table = format!("table/{}", BaselineNames::pooled_table(p, &service.name));
                let actions = session_actions(name, true, &services, &TABLE_ITEM_ACTIONS);
                // Only items of the session's tenant; the Null test refuses requests that carry
                // no partition key, which ForAllValues alone would allow.
                statements.push(
                    Statement::allow(&format!("{label}PoolItems"), &actions)
                        .on([regional_arn("dynamodb", &table), regional_arn("dynamodb", &format!("{table}/index/*"))])
                        .when("ForAllValues:StringEquals", "dynamodb:LeadingKeys", Expr::list([Expr::str(&tag)]))
                        .when("Null", "dynamodb:LeadingKeys", Expr::str("false")),
                );
            }
            Storage::Silo(_) => {
                // The tag inside Fn::Sub is escaped (`${!...}`): IAM, not CloudFormation, fills it.
                let table = format!("table/{p}-{}-${{!aws:PrincipalTag/{TENANT_SESSION_TAG}}}", service.name);
                statements.push(
                    Statement::allow(
                        &format!("{label}SiloItems"),
                        &session_actions(name, false, &services, &TABLE_ITEM_ACTIONS),
                    )
                    .on([regional_arn("dynamodb", &table), regional_arn("dynamodb", &format!("{table}/index/*"))]),
                );
                // The table is the tagged tenant's alone, so a Scan reads only its items.
                let scans = SERVICES
                    .iter()
                    .find(|s| s.service == name)
                    .is_none_or(|s| s.session_silo.contains(&"dynamodb:Scan"));
                if scans {
                    statements.push(
                        Statement::allow(&format!("{label}SiloScan"), &["dynamodb:Scan"])
                            .on([regional_arn("dynamodb", &table)]),
                    );
                }
            }
        }
    }
    statements.push(data_key_statement("DataKeyThroughDynamoDb", &DATA_KEY_ACTIONS, key));
    statements
}
