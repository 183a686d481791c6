//! A tenant's stack: its identity, its silo tables, the role its pods run as, and its DNS name.
//! It depends only on the platform, its tier and the tenant itself, so adding a tenant changes
//! no other tenant's stack.

use crate::cfn::resources::{InlinePolicy, Role, Table, UserPoolDomain, UserPoolGroup, UserPoolUserToGroupAttachment};
use crate::cfn::{Expr, LogicalId, Output, Parameter, Policy, PolicyDocument, Statement, TemplateBuilder, pascal_case};
use crate::model::{BaselineNames, DataRetention, Identity, Platform, Storage, Tenant, TenantNames};

use super::common::{baseline_export, exports, regional_arn, tenant_tags};
use super::data_access::{DATA_KEY_ACTIONS, boundary_arn, data_key_statement, item_actions};
use super::identity::{admin_user, user_pool, web_client};
use super::pod_identity;
use super::static_site::alias_records;

/// Outputs later steps read (the tenant record, the Kubernetes bundle, offboarding).
pub use crate::contract::outputs::tenant as outputs;

pub const SERVICE_ROLE: &str = "ServiceRole";

/// The ARN of a tenant's service role, known before deploy: the ServiceAccount annotation and
/// the stack's `RoleArn` output both come from here.
pub fn role_arn(platform: &Platform, names: &TenantNames) -> String {
    crate::model::naming::role_arn(platform.region(), platform.account_id(), &names.role)
}

/// The tenant's stack, before its references and limits are checked (hooks change it).
pub fn tenant_stack_builder(platform: &Platform, tenant: &Tenant) -> TemplateBuilder {
    let names = platform.tenant_names(tenant);
    let tier = platform.tier_of(tenant);
    let tags = tenant_tags(platform, tenant);
    let mut t = TemplateBuilder::new(format!(
        "tenancy {}: tenant {} ({}, tier {})",
        platform.name(),
        tenant.id,
        tenant.name,
        tier.name
    ));

    // Identity: a pool of its own, or a group and client in the platform's shared pool.
    let app_url = format!("https://{}", names.app_host);
    let client = LogicalId::fixed("UserPoolClient");
    let admin = LogicalId::fixed("AdminUser");
    let (pool_id, issuer) = match tier.identity {
        Identity::Dedicated => {
            let protection = LogicalId::fixed(outputs::DELETION_PROTECTION);
            t.parameter(
                &protection,
                Parameter::choice(
                    "Deletion protection of the tenant's user pool: offboarding sets INACTIVE just before it deletes the stack",
                    &["ACTIVE", "INACTIVE"],
                ),
            );
            let pool = LogicalId::fixed("UserPool");
            let mut pool_properties = user_pool(&names.user_pool, true, &tags);
            pool_properties.deletion_protection = Expr::reference(&protection);
            t.resource(&pool, pool_properties);
            t.resource(
                &LogicalId::fixed("UserPoolDomain"),
                UserPoolDomain { domain: Expr::str(&names.domain_prefix), user_pool_id: Expr::reference(&pool) },
            );
            let issuer = Expr::sub(format!("https://cognito-idp.${{AWS::Region}}.${{AWS::URLSuffix}}/${{{pool}}}"));
            (Expr::reference(&pool), issuer)
        }
        Identity::Pooled => {
            let pool = Expr::import(baseline_export(platform, exports::TENANTS_USER_POOL_ID));
            let group = LogicalId::fixed("TenantGroup");
            t.resource(
                &group,
                UserPoolGroup {
                    group_name: Expr::str(&names.group),
                    user_pool_id: pool.clone(),
                    description: format!("Users of tenant {}", tenant.id),
                },
            );
            t.resource(
                &LogicalId::fixed("AdminUserInGroup"),
                UserPoolUserToGroupAttachment {
                    group_name: Expr::reference(&group),
                    username: Expr::reference(&admin),
                    user_pool_id: pool.clone(),
                },
            );
            let issuer = Expr::SubWith(
                "https://cognito-idp.${AWS::Region}.${AWS::URLSuffix}/${Pool}".into(),
                [("Pool".to_owned(), pool.clone())].into(),
            );
            (pool, issuer)
        }
    };
    t.resource(&client, web_client(&names.app_client, pool_id.clone(), &app_url, true));
    // The tenant's administrators: user management lets only this group's members manage the
    // tenant's users (`cognito:groups` is in their tokens, and only the pool's administrators,
    // never the user, can change it).
    let admins = LogicalId::fixed("AdminGroup");
    t.resource(
        &admins,
        UserPoolGroup {
            group_name: Expr::str(&names.admin_group),
            user_pool_id: pool_id.clone(),
            description: format!("Administrators of tenant {}: they manage its users", tenant.id),
        },
    );
    t.resource(
        &LogicalId::fixed("AdminUserInAdminGroup"),
        UserPoolUserToGroupAttachment {
            group_name: Expr::reference(&admins),
            username: Expr::reference(&admin),
            user_pool_id: pool_id.clone(),
        },
    );
    t.resource(&admin, admin_user(pool_id.clone(), tenant));

    // Silo tables, kept or backed up per the tier, encrypted with the platform's data key.
    let key = Expr::import(baseline_export(platform, exports::DATA_KEY_ARN));
    let mut data_statements = Vec::new();
    let mut describe = Vec::new();
    for service in platform.services() {
        let keys = service.storage.keys();
        let sort_key = keys.sort_key.as_ref().map(|k| k.as_str());
        match &service.storage {
            Storage::Silo(_) => {
                let table_name = names.silo_table(&service.name).expect("silo services have a table");
                let id = LogicalId::derive(service.name.as_str(), "Table");
                let retain = tier.data_retention == DataRetention::Retain;
                let table = Table::on_demand(
                    Expr::str(table_name),
                    keys.partition_key.as_str(),
                    sort_key,
                    key.clone(),
                    retain,
                    tags.clone(),
                );
                t.resource(&id, table).keep(if retain { Policy::Retain } else { Policy::Delete });
                t.output(
                    &LogicalId::derive(service.name.as_str(), "TableName"),
                    Output::new(format!("Table of the {} service", service.name), Expr::reference(&id)),
                );
                let arn = regional_arn("dynamodb", &format!("table/{table_name}"));
                describe.push(arn.clone());
                data_statements.push(
                    Statement::allow(
                        &format!("{}SiloItems", pascal_case(service.name.as_str())),
                        &item_actions(platform, service),
                    )
                    .on([arn.clone(), regional_arn("dynamodb", &format!("table/{table_name}/index/*"))]),
                );
                // The table is the tenant's alone, so a Scan (the order listing) reads only its
                // items. Never granted on a pooled table, where it would read every tenant's.
                data_statements.push(
                    Statement::allow(&format!("{}SiloScan", pascal_case(service.name.as_str())), &["dynamodb:Scan"])
                        .on([arn]),
                );
            }
            Storage::Pool(_) => {
                let table_name = BaselineNames::pooled_table(platform.name(), &service.name);
                let arn = regional_arn("dynamodb", &format!("table/{table_name}"));
                describe.push(arn.clone());
                // Only items whose partition key is this tenant's id; the Null test refuses
                // requests that carry no partition key, which ForAllValues alone would allow.
                data_statements.push(
                    Statement::allow(
                        &format!("{}PoolItems", pascal_case(service.name.as_str())),
                        &item_actions(platform, service),
                    )
                    .on([arn, regional_arn("dynamodb", &format!("table/{table_name}/index/*"))])
                    .when(
                        "ForAllValues:StringEquals",
                        "dynamodb:LeadingKeys",
                        Expr::list([Expr::str(tenant.id.as_str())]),
                    )
                    .when("Null", "dynamodb:LeadingKeys", Expr::str("false")),
                );
            }
        }
    }
    if !describe.is_empty() {
        data_statements.push(Statement::allow("DescribeTables", &["dynamodb:DescribeTable"]).on(describe));
        data_statements.push(data_key_statement("DataKeyThroughDynamoDb", &DATA_KEY_ACTIONS, key));
    }

    // The role the tenant's pods get through EKS Pod Identity: trusted for exactly one
    // ServiceAccount of the platform's cluster, and given to it by the association below.
    let role = LogicalId::fixed(SERVICE_ROLE);
    t.resource(
        &role,
        Role {
            role_name: Expr::str(&names.role),
            description: format!(
                "Pods of tenant {} (ServiceAccount {}/{})",
                tenant.id, names.namespace, names.service_account
            ),
            assume_role_policy_document: pod_identity::trust(platform, &names.namespace, &names.service_account),
            policies: vec![InlinePolicy {
                policy_name: "tenant-data".into(),
                policy_document: PolicyDocument::new(data_statements),
            }],
            managed_policy_arns: vec![],
            permissions_boundary: Some(boundary_arn(platform)),
            max_session_duration: 3600,
            tags: tags.clone(),
        },
    );
    t.resource(
        &LogicalId::fixed("ServiceRoleAssociation"),
        pod_identity::association(
            platform,
            &names.namespace,
            &names.service_account,
            Expr::get_att(&role, "Arn"),
            tags.clone(),
        ),
    );

    alias_records(
        &mut t,
        "App",
        platform,
        &names.app_host,
        Expr::import(baseline_export(platform, exports::APP_DISTRIBUTION_DOMAIN)),
    );

    t.output(&LogicalId::fixed(outputs::USER_POOL_ID), Output::new("User pool the tenant signs in to", pool_id));
    t.output(
        &LogicalId::fixed(outputs::USER_POOL_CLIENT_ID),
        Output::new("App client of the tenant", Expr::reference(&client)),
    );
    t.output(
        &LogicalId::fixed(outputs::ISSUER_URL),
        Output::new("Token issuer the services trust for this tenant", issuer),
    );
    t.output(
        &LogicalId::fixed(outputs::ROLE_ARN),
        Output::new("Role of the tenant's ServiceAccount", Expr::get_att(&role, "Arn")),
    );
    t.output(&LogicalId::fixed(outputs::APP_URL), Output::new("The tenant application", Expr::str(app_url)));
    t.output(
        &LogicalId::fixed(outputs::DATA_RETENTION),
        Output::new(
            "What offboarding does with the silo tables: backup (then delete) or retain",
            Expr::str(match tier.data_retention {
                DataRetention::Backup => "backup",
                DataRetention::Retain => "retain",
            }),
        ),
    );
    t
}
