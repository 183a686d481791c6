//! User management over real HTTP on 127.0.0.1, on moto's Cognito user pools and DynamoDB
//! through the real SDK (scripts/test starts moto and sets TENANCY_MOTO_URL). Tokens are the ones
//! moto's pools issue on sign-in, verified against the keys moto publishes for each pool.
//!
//! The pools, groups, admin users and tenant-table items are made here the way each tenant's
//! stack and the plan's `register` step make them (moto's CloudFormation has no Cognito): tenants
//! `a` and `b` in pools of their own, `c` and `d` in the shared pool, each with its admin group
//! `admins-<t>` and, in the shared pool, its group `tenant-<t>`.
//!
//! One stand-in: users sign in here with ADMIN_USER_PASSWORD_AUTH after the test sets a password,
//! where a real user signs in through the hosted UI with the code flow and the emailed temporary
//! password. Both end in the pool's id token, which is what the services read.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider as cognito;
use aws_sdk_cognitoidentityprovider::types::{
    AttributeDataType, AttributeType, AuthFlowType, ExplicitAuthFlowsType, SchemaAttributeType, UsernameAttributeType,
};
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use serde_json::{Value, json};
use tenancy_registry::DynamoDirectory;
use tenant_context::serve::verifier_config;
use tenant_context::testing::{create_table, moto_config, moto_url};
use tenant_context::{JwksFetcher, Verifier};
use user_management::{AppState, CognitoUsers, router};

const REGION_ISSUERS: &str = "https://cognito-idp.eu-west-1.amazonaws.com/";
const PASSWORD: &str = "Correct-horse-battery-9";

/// Each pool's keys from moto, where Cognito publishes them (`<issuer>/.well-known/jwks.json`):
/// the issuer's path on moto's endpoint.
struct MotoJwks {
    moto: String,
    http: reqwest::Client,
}

#[async_trait]
impl JwksFetcher for MotoJwks {
    async fn fetch(&self, issuer: &str) -> Result<jsonwebtoken::jwk::JwkSet, String> {
        let pool =
            issuer.strip_prefix(REGION_ISSUERS).ok_or_else(|| format!("{issuer} is not a pool of this region"))?;
        let url = format!("{}/{pool}/.well-known/jwks.json", self.moto);
        let response = self
            .http
            .get(&url)
            .header("host", "cognito-idp.eu-west-1.amazonaws.com")
            .send()
            .await
            .map_err(|e| e.to_string())?;
        response.error_for_status().map_err(|e| e.to_string())?.json().await.map_err(|e| e.to_string())
    }
}

fn jwks() -> Arc<MotoJwks> {
    Arc::new(MotoJwks { moto: moto_url(), http: reqwest::Client::new() })
}

/// A suffix no other test of this run has: the tests share one moto.
fn unique() -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    format!("{}-{}", std::process::id(), NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst))
}

fn attribute(name: &str, value: &str) -> AttributeType {
    AttributeType::builder().name(name).value(value).build().unwrap()
}

/// A pool as the generated stacks make one: sign-in by email and, for tenants, the immutable
/// `custom:tenant-id`.
async fn pool(idp: &cognito::Client, name: &str, tenants: bool) -> String {
    let mut request = idp
        .create_user_pool()
        .pool_name(format!("{name}-{}", unique()))
        .username_attributes(UsernameAttributeType::Email);
    if tenants {
        request = request.schema(
            SchemaAttributeType::builder()
                .name("tenant-id")
                .attribute_data_type(AttributeDataType::String)
                .mutable(false)
                .build(),
        );
    }
    request.send().await.unwrap().user_pool().unwrap().id().unwrap().to_owned()
}

async fn client(idp: &cognito::Client, pool: &str, name: &str) -> String {
    let out = idp
        .create_user_pool_client()
        .user_pool_id(pool)
        .client_name(name)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowAdminUserPasswordAuth)
        .send()
        .await
        .unwrap();
    out.user_pool_client().unwrap().client_id().unwrap().to_owned()
}

/// A user made by an administrator, with a password it can sign in with.
async fn user(idp: &cognito::Client, pool: &str, email: &str, tenant: Option<&str>, groups: &[String]) {
    let mut attributes = vec![attribute("email", email), attribute("email_verified", "true")];
    attributes.extend(tenant.map(|t| attribute("custom:tenant-id", t)));
    idp.admin_create_user()
        .user_pool_id(pool)
        .username(email)
        .set_user_attributes(Some(attributes))
        .send()
        .await
        .unwrap();
    for group in groups {
        idp.admin_add_user_to_group().user_pool_id(pool).username(email).group_name(group).send().await.unwrap();
    }
    set_password(idp, pool, email).await;
}

async fn set_password(idp: &cognito::Client, pool: &str, email: &str) {
    idp.admin_set_user_password()
        .user_pool_id(pool)
        .username(email)
        .password(PASSWORD)
        .permanent(true)
        .send()
        .await
        .unwrap();
}

async fn sign_in(idp: &cognito::Client, pool: &str, client: &str, email: &str) -> String {
    let out = idp
        .admin_initiate_auth()
        .user_pool_id(pool)
        .client_id(client)
        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
        .auth_parameters("USERNAME", email)
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .unwrap();
    out.authentication_result().unwrap().id_token().unwrap().to_owned()
}

/// The claims of a token, unverified (for assertions on what the pool put in it).
fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// One tenant, as its stack made it.
struct Tenant {
    id: &'static str,
    pool: String,
    client: String,
    admin_token: String,
}

/// The platform on moto, and user management serving it.
struct Platform {
    idp: cognito::Client,
    base: String,
    tenants: Vec<Tenant>,
    admin_pool: String,
    admin_client: String,
}

impl Platform {
    fn tenant(&self, id: &str) -> &Tenant {
        self.tenants.iter().find(|t| t.id == id).unwrap()
    }

    /// The emails of `pool`'s users, as Cognito holds them.
    async fn emails(&self, pool: &str) -> Vec<String> {
        let out = self.idp.list_users().user_pool_id(pool).send().await.unwrap();
        let mut emails: Vec<String> = out
            .users()
            .iter()
            .flat_map(|u| u.attributes().iter().filter(|a| a.name() == "email").filter_map(|a| a.value()))
            .map(str::to_owned)
            .collect();
        emails.sort();
        emails
    }

    async fn send(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        let http = reqwest::Client::new();
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = http.request(method, format!("{}{path}", self.base)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
    }
}

async fn platform() -> Platform {
    let aws = moto_config(&moto_url()).await;
    let idp = cognito::Client::new(&aws);
    let dynamodb = aws_sdk_dynamodb::Client::new(&aws);
    let table = format!("saas-tenant-{}", unique());
    create_table(&dynamodb, &table, "TenantId", None).await;
    let shared = pool(&idp, "saas-tenants", true).await;
    let mut tenants = Vec::new();
    for id in ["a", "b", "c", "d"] {
        let pooled = matches!(id, "c" | "d");
        let pool = if pooled { shared.clone() } else { pool(&idp, &format!("saas-tenant-{id}"), true).await };
        let client = client(&idp, &pool, &format!("{id}-app")).await;
        let mut groups = vec![format!("admins-{id}")];
        if pooled {
            groups.push(format!("tenant-{id}"));
        }
        for group in &groups {
            idp.create_group().user_pool_id(&pool).group_name(group).send().await.unwrap();
        }
        let admin = format!("admin@{id}.example");
        user(&idp, &pool, &admin, Some(id), &groups).await;
        // What the plan's register step writes from the stack's outputs.
        dynamodb
            .put_item()
            .table_name(&table)
            .item("TenantId", AttributeValue::S(id.into()))
            .item("Status", AttributeValue::S("active".into()))
            .item("Issuer", AttributeValue::S(format!("{REGION_ISSUERS}{pool}")))
            .item("ClientId", AttributeValue::S(client.clone()))
            .item("UserPoolId", AttributeValue::S(pool.clone()))
            .send()
            .await
            .unwrap();
        let admin_token = sign_in(&idp, &pool, &client, &admin).await;
        tenants.push(Tenant { id, pool, client, admin_token });
    }
    let admin_pool = pool(&idp, "saas-admins", false).await;
    let admin_client = client(&idp, &admin_pool, "admin-console").await;
    let state = AppState {
        users: Arc::new(CognitoUsers::new(idp.clone())),
        directory: Arc::new(DynamoDirectory::new(dynamodb, table)),
        tenants: Arc::new(Verifier::new(verifier_config(Vec::new(), Vec::new()), jwks())),
        admins: Arc::new(Verifier::new(
            verifier_config(vec![format!("{REGION_ISSUERS}{admin_pool}")], vec![admin_client.clone()]),
            jwks(),
        )),
        shared_pool_id: Some(shared),
        admin_pool_id: admin_pool.clone(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router(Arc::new(state))).await.unwrap() });
    Platform { idp, base, tenants, admin_pool, admin_client }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs moto on 127.0.0.1: scripts/test starts it and runs this"]
async fn tenant_admins_manage_their_own_tenants_users_in_cognito_and_no_others() {
    let p = platform().await;
    for id in ["a", "c", "d"] {
        let t = p.tenant(id);
        let email = format!("new@{id}.example");
        let (status, body) =
            p.send("POST", &format!("/{id}/users"), &t.admin_token, Some(json!({"email": email}))).await;
        assert_eq!(status, 201, "{id}: {body}");
        // Made with its tenant, and in the shared pool in its tenant's group.
        let got = p.idp.admin_get_user().user_pool_id(&t.pool).username(&email).send().await.unwrap();
        let tenant = got.user_attributes().iter().find(|a| a.name() == "custom:tenant-id").and_then(|a| a.value());
        assert_eq!(tenant, Some(id));
        let groups = p.idp.admin_list_groups_for_user().user_pool_id(&t.pool).username(&email).send().await.unwrap();
        let groups: Vec<&str> = groups.groups().iter().filter_map(|g| g.group_name()).collect();
        assert_eq!(groups, if id == "a" { vec![] } else { vec![format!("tenant-{id}")] }, "{id}");
        // A retry makes no second user.
        let (status, body) =
            p.send("POST", &format!("/{id}/users"), &t.admin_token, Some(json!({"email": email}))).await;
        assert_eq!((status, body["created"].as_bool()), (200, Some(false)), "{id}: {body}");
    }
    assert_eq!(p.emails(&p.tenant("a").pool).await, ["admin@a.example", "new@a.example"]);
    let (status, body) = p.send("GET", "/c/users", &p.tenant("c").admin_token, None).await;
    assert_eq!(status, 200, "{body}");
    let listed: Vec<&str> = body["users"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap()).collect();
    assert_eq!(listed, ["admin@c.example", "new@c.example"], "c's listing of the shared pool shows only c's users");
    assert_eq!(body["users"][0]["admin"], true);

    // Nobody reaches another tenant's users: not another pool's admin, not a neighbour in the
    // shared pool, not a user of the tenant who is no admin.
    let b_before = p.emails(&p.tenant("b").pool).await;
    let shared_before = p.emails(&p.tenant("c").pool).await;
    set_password(&p.idp, &p.tenant("a").pool, "new@a.example").await;
    let plain_user = sign_in(&p.idp, &p.tenant("a").pool, &p.tenant("a").client, "new@a.example").await;
    let cases = [
        ("a's admin", p.tenant("a").admin_token.clone(), "b", 401),
        ("c's admin", p.tenant("c").admin_token.clone(), "d", 401),
        ("a user of a", plain_user, "a", 403),
    ];
    for (who, token, target, expected) in &cases {
        for (method, path, body) in [
            ("GET", format!("/{target}/users"), None),
            ("POST", format!("/{target}/users"), Some(json!({"email": format!("intruder@{target}.example")}))),
            ("DELETE", format!("/{target}/users/admin@{target}.example"), None),
        ] {
            let (status, answer) = p.send(method, &path, token, body).await;
            assert_eq!(status, *expected, "{who}: {method} {path}: {answer}");
        }
    }
    assert_eq!(p.emails(&p.tenant("b").pool).await, b_before);
    assert_eq!(p.emails(&p.tenant("c").pool).await, shared_before);
    // d's admin, knowing c's user's email, finds no such user of d.
    let (status, _) = p.send("DELETE", "/d/users/new@c.example", &p.tenant("d").admin_token, None).await;
    assert_eq!(status, 404);
    assert_eq!(p.emails(&p.tenant("c").pool).await, shared_before);

    let (status, _) = p.send("DELETE", "/a/users/new@a.example", &p.tenant("a").admin_token, None).await;
    assert_eq!(status, 204);
    assert_eq!(p.emails(&p.tenant("a").pool).await, ["admin@a.example"]);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs moto on 127.0.0.1: scripts/test starts it and runs this"]
async fn a_user_created_later_calls_the_product_service_of_its_own_tenant_and_only_that_one() {
    let p = platform().await;
    let a = p.tenant("a");
    let (status, body) = p.send("POST", "/a/users", &a.admin_token, Some(json!({"email": "later@a.example"}))).await;
    assert_eq!(status, 201, "{body}");
    set_password(&p.idp, &a.pool, "later@a.example").await;
    let token = sign_in(&p.idp, &a.pool, &a.client, "later@a.example").await;
    assert_eq!(claims(&token)["custom:tenant-id"], "a", "the pool puts the user's tenant in its token");

    // The product deployments of a and of b, each trusting its tenant's pool and client.
    let mut deployments = Vec::new();
    for id in ["a", "b"] {
        let t = p.tenant(id);
        let state = product::AppState {
            verifier: Arc::new(Verifier::new(
                verifier_config(vec![format!("{REGION_ISSUERS}{}", t.pool)], vec![t.client.clone()]),
                jwks(),
            )),
            products: Arc::new(product::MemoryProducts::default()),
            served: Some(id.to_owned()),
            pooled: None,
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        deployments.push(format!("http://{}", listener.local_addr().unwrap()));
        tokio::spawn(async move { axum::serve(listener, product::router(Arc::new(state))).await.unwrap() });
    }
    let http = reqwest::Client::new();
    let call = |base: &String, method: reqwest::Method, path: &str, body: Option<Value>| {
        let mut request = http.request(method, format!("{base}{path}")).bearer_auth(&token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let (at_a, at_b) = (&deployments[0], &deployments[1]);
    assert_eq!(
        call(at_a, reqwest::Method::POST, "/a/products", Some(json!({"name": "Tea", "price": "3.50"}))).await,
        201
    );
    assert_eq!(call(at_a, reqwest::Method::GET, "/a/products", None).await, 200);
    // Not b's products at b's deployment (another pool's token), nor through a's.
    assert_eq!(call(at_b, reqwest::Method::GET, "/b/products", None).await, 401);
    assert_eq!(call(at_a, reqwest::Method::GET, "/b/products", None).await, 403);
    assert_eq!(
        call(at_b, reqwest::Method::POST, "/b/products", Some(json!({"name": "X", "price": "1.00"}))).await,
        401
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs moto on 127.0.0.1: scripts/test starts it and runs this"]
async fn provider_administrators_manage_the_admin_pool_in_cognito() {
    let p = platform().await;
    user(&p.idp, &p.admin_pool, "root@provider.example", None, &[]).await;
    let root = sign_in(&p.idp, &p.admin_pool, &p.admin_client, "root@provider.example").await;
    let (status, body) = p.send("POST", "/admin-users", &root, Some(json!({"email": "ops@provider.example"}))).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(p.emails(&p.admin_pool).await, ["ops@provider.example", "root@provider.example"]);
    // A tenant administrator is not a provider administrator.
    let (status, _) = p.send("GET", "/admin-users", &p.tenant("a").admin_token, None).await;
    assert_eq!(status, 401);
    let (status, _) = p.send("DELETE", "/admin-users/ops@provider.example", &root, None).await;
    assert_eq!(status, 204);
    assert_eq!(p.emails(&p.admin_pool).await, ["root@provider.example"]);
}
