//! The user management router in process (`oneshot`), on users in memory: a tenant's
//! administrators manage its users and nobody else's, in a pool of its own and in the shared
//! pool; every user made carries the path's tenant; bad input is a 400 naming the field.

use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::{Value, json};
use tenancy_registry::{MemoryDirectory, SignIn};
use tenant_context::testing::{self, CLIENT_ID, ISSUER, call, sign};
use user_management::{AppState, MemoryUsers, Users, router};

const SHARED_POOL: &str = "eu-west-1_SHARED";
const ADMIN_POOL: &str = "eu-west-1_ADMINS";

fn issuer(pool: &str) -> String {
    format!("https://cognito-idp.eu-west-1.amazonaws.com/{pool}")
}

/// Where each tenant signs in: acme and globex in pools of their own, initech and hooli in the
/// shared one (one issuer, a client each).
fn sign_in(tenant: &str) -> SignIn {
    let pool = match tenant {
        "acme" | "globex" => format!("eu-west-1_{tenant}"),
        // A tenant of a pooled tier, in its cell's pool (shared with the cell's other tenants).
        "cello" => CELL_POOL.to_owned(),
        _ => SHARED_POOL.to_owned(),
    };
    SignIn {
        issuer: issuer(&pool),
        client_id: format!("{tenant}-app"),
        user_pool_id: pool,
        domain: None,
        tier: None,
        access_role_arn: (tenant == "cello").then(|| "arn:aws:iam::123456789012:role/saas-cell-basic-0".to_owned()),
    }
}

const CELL_POOL: &str = "eu-west-1_cell0";

/// A valid id token of a user of `tenant` (as its pool issues them) in `groups`.
fn user_token(tenant: &str, subject: &str, groups: &[&str]) -> String {
    let at = sign_in(tenant);
    sign(&json!({
        "iss": at.issuer, "sub": subject, "aud": at.client_id, "token_use": "id",
        "exp": testing::now() + 3600, "iat": testing::now(),
        "custom:tenant-id": tenant, "cognito:groups": groups,
    }))
}

/// The token of `tenant`'s administrator.
fn admin_of(tenant: &str) -> String {
    user_token(tenant, &format!("admin-of-{tenant}"), &[&format!("admins-{tenant}")])
}

struct Fixture {
    app: axum::Router,
    users: Arc<MemoryUsers>,
}

fn fixture() -> Fixture {
    let directory = Arc::new(MemoryDirectory::default());
    for tenant in ["acme", "globex", "initech", "hooli", "cello"] {
        directory.insert(tenant, sign_in(tenant));
    }
    let users = Arc::new(MemoryUsers::default());
    let state = AppState {
        users: users.clone(),
        directory,
        // Trusts no issuer of its own: each request's come from the directory.
        tenants: Arc::new(tenant_context::Verifier::new(
            tenant_context::serve::verifier_config(Vec::new(), Vec::new()),
            Arc::new(testing::StaticJwks::default()),
        )),
        admins: testing::verifier(),
        shared_pool_id: Some(SHARED_POOL.into()),
        admin_pool_id: ADMIN_POOL.into(),
    };
    Fixture { app: router(Arc::new(state)), users }
}

fn emails(body: &Value) -> Vec<&str> {
    body["users"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn a_tenant_admin_manages_the_users_of_its_own_tenant_each_with_the_tenant_claim() {
    let Fixture { app, users } = fixture();
    for tenant in ["acme", "initech"] {
        let admin = admin_of(tenant);
        let uri = format!("/{tenant}/users");
        let (status, body) =
            call(&app, "POST", &uri, Some(&admin), Some(json!({"email": format!("Ann@{tenant}.example")}))).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(
            (body["email"].as_str(), body["created"].as_bool()),
            (Some(&*format!("ann@{tenant}.example")), Some(true))
        );
        let (status, body) = call(
            &app,
            "POST",
            &uri,
            Some(&admin),
            Some(json!({"email": format!("bo@{tenant}.example"), "admin": true})),
        )
        .await;
        assert_eq!((status, body["admin"].as_bool()), (StatusCode::CREATED, Some(true)), "{body}");
        // A retry (after a crash, say) makes nothing twice.
        let (status, body) =
            call(&app, "POST", &uri, Some(&admin), Some(json!({"email": format!("ann@{tenant}.example")}))).await;
        assert_eq!((status, body["created"].as_bool()), (StatusCode::OK, Some(false)), "{body}");

        let (status, body) = call(&app, "GET", &uri, Some(&admin), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(emails(&body), [format!("ann@{tenant}.example"), format!("bo@{tenant}.example")]);
        assert_eq!(body["users"][1]["admin"], true);
    }
    // Every user carries its tenant, in the pool its tenant signs in at.
    assert_eq!(
        users.all(),
        [
            (SHARED_POOL.into(), "ann@initech.example".into(), Some("initech".into())),
            (SHARED_POOL.into(), "bo@initech.example".into(), Some("initech".into())),
            ("eu-west-1_acme".into(), "ann@acme.example".into(), Some("acme".into())),
            ("eu-west-1_acme".into(), "bo@acme.example".into(), Some("acme".into())),
        ]
    );
    let (status, _) = call(&app, "DELETE", "/acme/users/ann@acme.example", Some(&admin_of("acme")), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = call(&app, "DELETE", "/acme/users/ann@acme.example", Some(&admin_of("acme")), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(body["error"].as_str().unwrap().starts_with("email: "), "{body}");

    // bo is acme's only administrator now: deleting bo is refused, and deleting bo once another
    // administrator exists is not.
    let (status, body) = call(&app, "DELETE", "/acme/users/bo@acme.example", Some(&admin_of("acme")), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["error"].as_str().unwrap().contains("last administrator"), "{body}");
    let second = json!({"email": "cy@acme.example", "admin": true});
    assert_eq!(call(&app, "POST", "/acme/users", Some(&admin_of("acme")), Some(second)).await.0, StatusCode::CREATED);
    let (status, _) = call(&app, "DELETE", "/acme/users/bo@acme.example", Some(&admin_of("acme")), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn no_one_manages_another_tenants_users() {
    let Fixture { app, users } = fixture();
    for tenant in ["globex", "initech"] {
        let (status, body) = call(
            &app,
            "POST",
            &format!("/{tenant}/users"),
            Some(&admin_of(tenant)),
            Some(json!({"email": format!("kept@{tenant}.example")})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let before = users.all();
    let shared_issuer_claiming_initech = sign(&json!({
        "iss": issuer(SHARED_POOL), "sub": "mallory", "aud": "hooli-app", "token_use": "id",
        "exp": testing::now() + 3600, "custom:tenant-id": "initech", "cognito:groups": ["admins-initech"],
    }));
    // (who, token, target tenant, expected status)
    let cases: Vec<(&str, String, &str, StatusCode)> = vec![
        // Another pool's issuer: not the issuer globex signs in at.
        ("acme's admin at globex", admin_of("acme"), "globex", StatusCode::UNAUTHORIZED),
        // Everything globex's but the issuer: another pool's (signed with a key this test's
        // issuers share, as moto's pools do).
        (
            "another pool's token in globex's name",
            sign(&json!({
                "iss": issuer("eu-west-1_acme"), "sub": "mallory", "aud": "globex-app", "token_use": "id",
                "exp": testing::now() + 3600, "custom:tenant-id": "globex", "cognito:groups": ["admins-globex"],
            })),
            "globex",
            StatusCode::UNAUTHORIZED,
        ),
        // The shared pool's issuer, but hooli's app client, not initech's.
        ("hooli's admin at initech", admin_of("hooli"), "initech", StatusCode::UNAUTHORIZED),
        ("a hooli-client token claiming initech", shared_issuer_claiming_initech, "initech", StatusCode::UNAUTHORIZED),
        // initech's own issuer and client, and its admin group, but the claim is hooli.
        (
            "initech's client claiming hooli",
            sign(&json!({
                "iss": issuer(SHARED_POOL), "sub": "mallory", "aud": "initech-app", "token_use": "id",
                "exp": testing::now() + 3600, "custom:tenant-id": "hooli", "cognito:groups": ["admins-initech"],
            })),
            "initech",
            StatusCode::FORBIDDEN,
        ),
        ("a user of globex who is no admin", user_token("globex", "user", &[]), "globex", StatusCode::FORBIDDEN),
        (
            "a globex user in initech's admin group name",
            user_token("globex", "user", &["admins-initech", "tenant-initech"]),
            "globex",
            StatusCode::FORBIDDEN,
        ),
        ("a provider administrator", sign(&testing::admin_claims("root")), "globex", StatusCode::UNAUTHORIZED),
    ];
    for (who, token, tenant, expected) in &cases {
        let email = format!("kept@{tenant}.example");
        for (method, uri, body) in [
            ("GET", format!("/{tenant}/users"), None),
            ("POST", format!("/{tenant}/users"), Some(json!({"email": format!("new@{tenant}.example")}))),
            ("DELETE", format!("/{tenant}/users/{email}"), None),
        ] {
            let (status, answer) = call(&app, method, &uri, Some(token), body).await;
            assert_eq!(status, *expected, "{who}: {method} {uri}: {answer}");
        }
    }
    assert_eq!(users.all(), before, "nothing changed");
    // In the shared pool, a tenant's listing and deletions see its own users only, even by email.
    let (_, body) = call(&app, "GET", "/hooli/users", Some(&admin_of("hooli")), None).await;
    assert_eq!(emails(&body), Vec::<&str>::new());
    let (status, _) = call(&app, "DELETE", "/hooli/users/kept@initech.example", Some(&admin_of("hooli")), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // One email, one user in a pool: hooli cannot take initech's user's email.
    let (status, body) =
        call(&app, "POST", "/hooli/users", Some(&admin_of("hooli")), Some(json!({"email": "kept@initech.example"})))
            .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["error"].as_str().unwrap().starts_with("email: "), "{body}");
    assert_eq!(users.all(), before);
}

#[tokio::test]
async fn bad_input_is_a_400_naming_the_field_and_writes_nothing() {
    let Fixture { app, users } = fixture();
    let admin = admin_of("acme");
    let cases: Vec<(&str, &str, Option<Value>, StatusCode, &str)> = vec![
        ("POST", "/acme/users", Some(json!({"email": "not-an-email"})), StatusCode::BAD_REQUEST, "email: "),
        ("POST", "/acme/users", Some(json!({"email": ""})), StatusCode::BAD_REQUEST, "email: "),
        ("POST", "/acme/users", Some(json!({"email": 7})), StatusCode::BAD_REQUEST, "email"),
        ("POST", "/acme/users", Some(json!({})), StatusCode::BAD_REQUEST, "email"),
        (
            "POST",
            "/acme/users",
            Some(json!({"email": "a@acme.example", "admin": "yes"})),
            StatusCode::BAD_REQUEST,
            "admin",
        ),
        (
            "POST",
            "/acme/users",
            Some(json!({"email": "a@acme.example", "custom:tenant-id": "globex"})),
            StatusCode::BAD_REQUEST,
            "custom:tenant-id",
        ),
        ("DELETE", "/acme/users/not-an-email", None, StatusCode::BAD_REQUEST, "email: "),
        ("GET", "/Not_A_Tenant/users", None, StatusCode::BAD_REQUEST, "tenant: "),
        ("GET", "/nobody/users", None, StatusCode::NOT_FOUND, "tenant: "),
        (
            "POST",
            "/admin-users",
            Some(json!({"email": "a@p.example", "admin": true})),
            StatusCode::BAD_REQUEST,
            "admin: ",
        ),
    ];
    for (method, uri, body, expected, field) in cases {
        let token = if uri.starts_with("/admin-users") { sign(&testing::admin_claims("root")) } else { admin.clone() };
        let (status, answer) = call(&app, method, uri, Some(&token), body.clone()).await;
        assert_eq!(status, expected, "{method} {uri} {body:?}: {answer}");
        let message = answer["error"].as_str().unwrap_or_default();
        assert!(message.contains(field), "{method} {uri} {body:?}: `{message}` does not name {field}");
    }
    let (status, _) = call(&app, "GET", "/acme/users", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(users.all().is_empty());
}

#[tokio::test]
async fn provider_administrators_manage_the_admin_pool_and_tenant_users_cannot() {
    let Fixture { app, users } = fixture();
    let root = sign(&testing::admin_claims("root"));
    let (status, body) =
        call(&app, "POST", "/admin-users", Some(&root), Some(json!({"email": "ops@provider.example"}))).await;
    assert_eq!((status, body["created"].as_bool()), (StatusCode::CREATED, Some(true)), "{body}");
    let (_, body) = call(&app, "GET", "/admin-users", Some(&root), None).await;
    assert_eq!(emails(&body), ["ops@provider.example"]);
    assert_eq!(users.all(), [(ADMIN_POOL.into(), "ops@provider.example".into(), None)]);
    // A tenant user's token, even from the admin pool's issuer and client, is not an admin's.
    let tenant_user = sign(&json!({
        "iss": ISSUER, "sub": "acme-user", "aud": CLIENT_ID, "token_use": "id",
        "exp": testing::now() + 3600, "custom:tenant-id": "acme",
    }));
    for (method, uri, body) in [
        ("GET", "/admin-users", None),
        ("POST", "/admin-users", Some(json!({"email": "eve@acme.example"}))),
        ("DELETE", "/admin-users/ops@provider.example", None),
    ] {
        let (status, _) = call(&app, method, uri, Some(&tenant_user), body.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {uri}");
        // A tenant administrator's token: another issuer.
        let (status, _) = call(&app, method, uri, Some(&admin_of("acme")), body).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {uri}");
    }
    // The admin pool's last user is its last administrator: kept.
    let (status, body) = call(&app, "DELETE", "/admin-users/ops@provider.example", Some(&root), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["error"].as_str().unwrap().contains("last administrator"), "{body}");
    let second = json!({"email": "sre@provider.example"});
    assert_eq!(call(&app, "POST", "/admin-users", Some(&root), Some(second)).await.0, StatusCode::CREATED);
    let (status, _) = call(&app, "DELETE", "/admin-users/ops@provider.example", Some(&root), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(users.all(), [(ADMIN_POOL.into(), "sre@provider.example".into(), None)]);
}

/// A cell's pool is shared by the cell's tenants: a user made there joins its tenant's group,
/// so offboarding's purge (which empties the group) finds it.
#[tokio::test]
async fn a_user_of_a_pooled_tenant_joins_its_group_in_the_cells_pool_so_offboarding_purges_it() {
    let Fixture { app, users } = fixture();
    let (status, body) =
        call(&app, "POST", "/cello/users", Some(&admin_of("cello")), Some(json!({"email": "ann@cello.example"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let cello = tenancy::model::TenantId::parse("cello").unwrap();
    let scope = user_management::Scope::of_tenant(&cello, CELL_POOL.into(), true);
    let purged = users.purge(&scope, &[]).await.unwrap();
    assert!(purged.iter().any(|u| u == "ann@cello.example"), "{purged:?}");
}
