//! Seeds moto the way the stacks and the plan's `register` step leave an account, for the
//! browser tests (`web/e2e/`): the platform's tables, topic and onboarding project, the admin
//! pool with the console's client and an administrator, each named tenant's pool (its own, or
//! the shared pool for a pooled identity tier) with its app client, admin group and admin user,
//! its tenant-table record and its registry record moved through the job's events. Names come
//! from the blueprint through the core (`BaselineNames`, `TenantNames`), records go through the
//! registry's own `transition`, so the tests read what the services would find on AWS.
//!
//! The one difference from AWS: each pool's issuer is `<issuer-base>/<pool id>`, the local
//! OpenID provider that stands in for Cognito's hosted UI, instead of
//! `https://cognito-idp.<region>.amazonaws.com/<pool id>`.
//!
//! Usage: `e2e_seed <moto-url> <issuer-base> <blueprint> <password> <tenant>[:suspended]...`.
//! Prints what it made as one JSON object on stdout.

use std::collections::BTreeMap;
use std::path::Path;

use aws_sdk_cognitoidentityprovider as cognito;
use aws_sdk_cognitoidentityprovider::types::{
    AttributeDataType, AttributeType, ExplicitAuthFlowsType, OAuthFlowType, SchemaAttributeType, UsernameAttributeType,
};
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Value, json};
use tenancy::contract::lifecycle::Event;
use tenancy::model::{Identity, Serving};
use tenancy_registry::{Caller, DynamoRegistry, Registration, Registry, transition};
use tenant_context::testing::{create_table, moto_config};

fn attribute(name: &str, value: &str) -> AttributeType {
    AttributeType::builder().name(name).value(value).build().expect("name and value are set")
}

/// A pool as the generated stacks make one: sign-in by email and, for tenants, the immutable
/// `custom:tenant-id`.
async fn pool(idp: &cognito::Client, name: &str, tenants: bool) -> String {
    let mut request = idp.create_user_pool().pool_name(name).username_attributes(UsernameAttributeType::Email);
    if tenants {
        request = request.schema(
            SchemaAttributeType::builder()
                .name("tenant-id")
                .attribute_data_type(AttributeDataType::String)
                .mutable(false)
                .build(),
        );
    }
    let out = request.send().await.expect("moto makes the pool");
    out.user_pool().and_then(|p| p.id()).expect("a pool id").to_owned()
}

/// An app client for the code flow with PKCE (no secret), calling back to `callback` only.
async fn client(idp: &cognito::Client, pool: &str, name: &str, callback: &str) -> String {
    let out = idp
        .create_user_pool_client()
        .user_pool_id(pool)
        .client_name(name)
        .generate_secret(false)
        .allowed_o_auth_flows(OAuthFlowType::Code)
        .allowed_o_auth_flows_user_pool_client(true)
        .allowed_o_auth_scopes("openid")
        .allowed_o_auth_scopes("email")
        .allowed_o_auth_scopes("profile")
        .callback_urls(callback)
        .supported_identity_providers("COGNITO")
        // What the stand-in hosted UI checks passwords with (moto has no hosted UI).
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowAdminUserPasswordAuth)
        .send()
        .await
        .expect("moto makes the client");
    out.user_pool_client().and_then(|c| c.client_id()).expect("a client id").to_owned()
}

/// A user made by an administrator, whose password is then set (the stand-in for the emailed
/// temporary password and its first change at the hosted UI).
async fn user(idp: &cognito::Client, pool: &str, email: &str, tenant: Option<&str>, groups: &[String], password: &str) {
    let mut attributes = vec![attribute("email", email), attribute("email_verified", "true")];
    attributes.extend(tenant.map(|t| attribute("custom:tenant-id", t)));
    idp.admin_create_user()
        .user_pool_id(pool)
        .username(email)
        .set_user_attributes(Some(attributes))
        .send()
        .await
        .expect("moto makes the user");
    for group in groups {
        idp.admin_add_user_to_group()
            .user_pool_id(pool)
            .username(email)
            .group_name(group)
            .send()
            .await
            .expect("moto adds the user to its group");
    }
    idp.admin_set_user_password()
        .user_pool_id(pool)
        .username(email)
        .password(password)
        .permanent(true)
        .send()
        .await
        .expect("moto sets the password");
}

async fn group(idp: &cognito::Client, pool: &str, name: &str) {
    idp.create_group().user_pool_id(pool).group_name(name).send().await.expect("moto makes the group");
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [moto, issuer_base, blueprint, password, tenants @ ..] = args.as_slice() else {
        eprintln!("usage: e2e_seed <moto-url> <issuer-base> <blueprint> <password> <tenant>[:suspended]...");
        std::process::exit(2);
    };
    let platform = tenancy::blueprint::load_file(Path::new(blueprint)).unwrap_or_else(|e| {
        eprintln!("{blueprint}: {e}");
        std::process::exit(2)
    });
    let names = platform.baseline_names();
    let domain = platform.domain().to_string();
    let aws = moto_config(moto).await;
    let idp = cognito::Client::new(&aws);
    let dynamodb = aws_sdk_dynamodb::Client::new(&aws);
    let issuer = |pool: &str| format!("{}/{pool}", issuer_base.trim_end_matches('/'));

    // The baseline stack's tables, topic and onboarding project.
    create_table(&dynamodb, &names.registry_table, "Pk", Some("Sk")).await;
    create_table(&dynamodb, &names.tenant_table, "TenantId", None).await;
    let product_table = format!("{}-product", platform.name());
    create_table(&dynamodb, &product_table, "TenantId", Some("ProductId")).await;
    let topic = aws_sdk_sns::Client::new(&aws)
        .create_topic()
        .name(&names.lifecycle_topic)
        .send()
        .await
        .expect("moto makes the topic")
        .topic_arn
        .expect("a topic arn");
    onboarding_project(&aws, &names.onboarding_project).await;

    // The admin pool, the console's client and one provider administrator.
    let admin_pool = pool(&idp, &names.admin_user_pool, false).await;
    let admin_client =
        client(&idp, &admin_pool, &format!("{}-admin-console", platform.name()), &format!("https://admin.{domain}/"))
            .await;
    let admin_email = format!("root@{domain}");
    user(&idp, &admin_pool, &admin_email, None, &[], password).await;
    // The pool that pooled-identity tiers share.
    let shared_pool = pool(&idp, &names.tenants_user_pool, true).await;

    let registry = DynamoRegistry::new(dynamodb.clone(), names.registry_table.clone());
    let job = Caller { actor: "onboarding-job".into(), request_id: "seed".into(), at: 1 };
    let mut seeded = BTreeMap::new();
    for spec in tenants {
        let (id, suspended) = match spec.split_once(':') {
            Some((id, "suspended")) => (id, true),
            None => (spec.as_str(), false),
            Some(_) => panic!("{spec}: the only flag is `:suspended`"),
        };
        let tenant = platform.tenants().iter().find(|t| t.id.as_str() == id).unwrap_or_else(|| {
            eprintln!("{id} is not a tenant of {blueprint}");
            std::process::exit(2)
        });
        assert_eq!(
            tenant.serving == Serving::Suspended,
            suspended,
            "{id}: the blueprint given and the flag disagree on suspension"
        );
        let tier = platform.tier_of(tenant);
        let tenant_names = platform.tenant_names(tenant);
        let dedicated = tier.identity == Identity::Dedicated;
        let pool_id = if dedicated { pool(&idp, &tenant_names.user_pool, true).await } else { shared_pool.clone() };
        let client_id =
            client(&idp, &pool_id, &tenant_names.app_client, &format!("https://{}/", tenant_names.app_host)).await;
        let mut groups = vec![tenant_names.admin_group.clone()];
        if !dedicated {
            groups.push(tenant_names.group.clone());
        }
        for name in &groups {
            group(&idp, &pool_id, name).await;
        }
        user(&idp, &pool_id, tenant.admin_email.as_str(), Some(id), &groups, password).await;
        for (_, table) in &tenant_names.silo_tables {
            create_table(&dynamodb, table, "OrderId", None).await;
        }
        // What the plan's register step writes from the stack's outputs
        // (crates/tenancy-apply/src/aws/register.rs).
        let record = [
            ("TenantId", id.to_owned()),
            ("Tier", tier.name.to_string()),
            ("SignInDomain", platform.sign_in_domain(tenant)),
            ("Status", "active".to_owned()),
            ("ClientId", client_id.clone()),
            ("Issuer", issuer(&pool_id)),
            ("RoleArn", format!("arn:aws:iam::{}:role/{}", platform.account_id(), tenant_names.role)),
            ("UserPoolId", pool_id.clone()),
        ];
        let mut put =
            dynamodb.put_item().table_name(&names.tenant_table).item("Version", AttributeValue::N("1".into()));
        for (name, value) in record {
            put = put.item(name, AttributeValue::S(value));
        }
        put.send().await.expect("moto writes the tenant record");
        // The registry: signed up, provisioned by the job, and suspended by it if asked.
        let registration = Registration {
            tenant_id: id.to_owned(),
            name: tenant.name.to_string(),
            email: tenant.admin_email.to_string(),
            tier: tier.name.to_string(),
        };
        let signup = Caller { actor: "registration".into(), request_id: format!("seed-{id}"), at: 1 };
        registry.register(&registration, None, &signup).await.expect("the registry takes the sign-up");
        let mut events = vec![Event::Provision, Event::Provisioned];
        if suspended {
            events.push(Event::Suspend);
        }
        for event in &events {
            transition(&registry, id, event, &job).await.expect("the registry takes the job's event");
        }
        seeded.insert(
            id.to_owned(),
            json!({
                "pool": pool_id, "clientId": client_id, "issuer": issuer(&pool_id),
                "adminEmail": tenant.admin_email.as_str(), "adminGroup": tenant_names.admin_group,
                "tier": tier.name.as_str(), "suspended": suspended,
            }),
        );
    }
    let out: Value = json!({
        "region": platform.region().to_string(),
        "registryTable": names.registry_table,
        "tenantTable": names.tenant_table,
        "productTable": product_table,
        "topicArn": topic,
        "onboardingProject": names.onboarding_project,
        "admin": { "pool": admin_pool, "clientId": admin_client, "issuer": issuer(&admin_pool), "email": admin_email },
        "sharedPool": { "pool": shared_pool, "issuer": issuer(&shared_pool) },
        "tenants": seeded,
    });
    println!("{out}");
}

/// The onboarding project, as the baseline stack declares it (moto's builds do not run).
async fn onboarding_project(aws: &aws_config::SdkConfig, name: &str) {
    use aws_sdk_codebuild::types::{
        ArtifactsType, ComputeType, EnvironmentType, ProjectArtifacts, ProjectEnvironment, ProjectSource, SourceType,
    };
    aws_sdk_codebuild::Client::new(aws)
        .create_project()
        .name(name)
        // moto requires a source location; the job's real source is the platform's git remote.
        .source(
            ProjectSource::builder()
                .r#type(SourceType::S3)
                .location(format!("{name}-source/platform.zip"))
                .build()
                .unwrap(),
        )
        .artifacts(ProjectArtifacts::builder().r#type(ArtifactsType::NoArtifacts).build().unwrap())
        .environment(
            ProjectEnvironment::builder()
                .r#type(EnvironmentType::LinuxContainer)
                .image("aws/codebuild/amazonlinux-x86_64-standard:5.0")
                .compute_type(ComputeType::BuildGeneral1Small)
                .build()
                .unwrap(),
        )
        .service_role(format!("arn:aws:iam::123456789012:role/{name}"))
        .send()
        .await
        .expect("moto makes the onboarding project");
}
