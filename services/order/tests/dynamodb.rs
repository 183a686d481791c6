//! The order service over real HTTP on 127.0.0.1: two deployments (acme's and globex's), each
//! with its own silo table in moto's DynamoDB, pricing lines from the pooled product table.
//! Neither reaches the other's orders, nor prices from the other's products.

use std::sync::Arc;

use order::{AppState, DynamoOrders, router};
use product::{DynamoProducts, Products, StoredProduct};
use serde_json::{Value, json};
use tenant_context::testing::{self, token};

const ROPE: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

/// The pooled product table, as the baseline stack defines it, with acme's rope at 2.50.
async fn products(client: &aws_sdk_dynamodb::Client) -> String {
    let table = format!("saas-product-orders-{}", std::process::id());
    testing::create_table(client, &table, "TenantId", Some("ProductId")).await;
    let rope = StoredProduct { id: ROPE.into(), name: "Rope".into(), price_cents: 250, picture_url: None };
    DynamoProducts::new(client.clone(), table.clone()).put("acme", &rope).await.unwrap();
    table
}

/// A tenant's silo order table, as its stack defines it; serve it; return the base URL.
async fn deployment(client: &aws_sdk_dynamodb::Client, tenant: &str, products: &str) -> String {
    let table = format!("saas-order-{tenant}-{}", std::process::id());
    testing::create_table(client, &table, "OrderId", None).await;
    let state = Arc::new(AppState {
        verifier: testing::verifier(),
        orders: Arc::new(DynamoOrders::new(client.clone(), table)),
        catalog: Arc::new(DynamoProducts::new(client.clone(), products.to_owned())),
        served: Some(tenant.into()),
        pooled: None,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router(state)).await.unwrap() });
    base
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs moto on 127.0.0.1: scripts/test starts it and runs this"]
async fn each_tenant_reaches_only_its_own_silo() {
    let client = testing::moto_dynamodb().await;
    let products = products(&client).await;
    let (acme, globex) = (deployment(&client, "acme", &products).await, deployment(&client, "globex", &products).await);
    let http = reqwest::Client::new();
    let post = |base: &str, tenant: &str, caller: &str| {
        http.post(format!("{base}/{tenant}/orders"))
            .bearer_auth(token(caller))
            .json(&json!({"name": "o", "lines": [{"productId": ROPE, "quantity": 4}]}))
            .send()
    };
    let created: Value = post(&acme, "acme", "acme").await.unwrap().json().await.unwrap();
    assert_eq!(created["total"], "10.00");
    let id = created["id"].as_str().unwrap();
    let get =
        |base: &str, path: String, caller: &str| http.get(format!("{base}{path}")).bearer_auth(token(caller)).send();
    assert_eq!(get(&acme, format!("/acme/orders/{id}"), "acme").await.unwrap().status().as_u16(), 200);

    // Globex, with its own valid token, through either deployment: never acme's order.
    assert_eq!(get(&acme, format!("/acme/orders/{id}"), "globex").await.unwrap().status().as_u16(), 403);
    assert_eq!(get(&acme, format!("/globex/orders/{id}"), "globex").await.unwrap().status().as_u16(), 403);
    assert_eq!(get(&globex, format!("/globex/orders/{id}"), "globex").await.unwrap().status().as_u16(), 404);
    assert_eq!(post(&acme, "globex", "globex").await.unwrap().status().as_u16(), 403);
    // Globex's own deployment cannot price from acme's product.
    assert_eq!(post(&globex, "globex", "globex").await.unwrap().status().as_u16(), 400);
    let list: Value = get(&globex, "/globex/orders".into(), "globex").await.unwrap().json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    let list: Value = get(&acme, "/acme/orders".into(), "acme").await.unwrap().json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

/// Pooled compute on moto (DynamoDB, IAM, STS) over HTTP on 127.0.0.1: ONE product router and
/// ONE order router serve acme and globex (tier `basic`), with the tenant table as the
/// directory, STS vending each tenant's session from its access role (made in moto's IAM), the
/// pool layout for orders. Every AWS request goes through a recording proxy, so the test also
/// reads what STS was really sent (moto accepts session tags and forgets them) and which key
/// signed each DynamoDB call. moto does not evaluate IAM, so the confinement proven here is the
/// service's own; the access roles' policies are `tenancy verify`'s to prove.
mod pooled {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use aws_sdk_dynamodb::types::AttributeValue;
    use order::{AppState, DynamoPoolOrders, router};
    use product::DynamoProducts;
    use serde_json::{Value, json};
    use tenancy_registry::DynamoDirectory;
    use tenant_context::pooled::{Settings, Tenants};
    use tenant_context::testing::pooled::{Recorder, assume_roles, sts_vending};
    use tenant_context::testing::{self, CLIENT_ID, ISSUER, token};

    struct Tables {
        tenant: String,
        product: String,
        order: String,
    }

    /// The tenant table's record of `tenant`, as the plan's register step writes it.
    async fn register(client: &aws_sdk_dynamodb::Client, table: &str, tenant: &str, tier: &str, role: &str) {
        client
            .put_item()
            .table_name(table)
            .item("TenantId", AttributeValue::S(tenant.into()))
            .item("Status", AttributeValue::S("active".into()))
            .item("Tier", AttributeValue::S(tier.into()))
            .item("Issuer", AttributeValue::S(ISSUER.into()))
            .item("ClientId", AttributeValue::S(CLIENT_ID.into()))
            .item("UserPoolId", AttributeValue::S("eu-west-1_TEST".into()))
            .item("AccessRoleArn", AttributeValue::S(role.into()))
            .send()
            .await
            .unwrap();
    }

    /// A tenant-access role in moto's IAM (its policy is not moto's to enforce).
    async fn access_role(iam: &aws_sdk_iam::Client, tenant: &str) -> String {
        let trust = json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
        }]});
        let role = iam
            .create_role()
            .role_name(format!("pooled-access-{tenant}-{}", std::process::id()))
            .assume_role_policy_document(trust.to_string())
            .send()
            .await
            .unwrap();
        role.role().unwrap().arn().to_owned()
    }

    fn tenants(sdk: &aws_config::SdkConfig, tables: &Tables) -> Arc<Tenants> {
        let directory = DynamoDirectory::new(aws_sdk_dynamodb::Client::new(sdk), tables.tenant.clone());
        Arc::new(Tenants::new("basic", Arc::new(directory), sts_vending(sdk), sdk.clone(), Settings::default()))
    }

    async fn serve(app: axum::Router) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        base
    }

    /// The tenant a DynamoDB request names: its key's, item's or query's TenantId.
    fn tenant_of(body: &Value) -> Option<String> {
        [
            &body["Key"]["TenantId"]["S"],
            &body["Item"]["TenantId"]["S"],
            &body["ExpressionAttributeValues"][":tenant"]["S"],
        ]
        .into_iter()
        .find_map(|v| v.as_str().map(str::to_owned))
    }

    #[tokio::test(flavor = "multi_thread")]
    #[ignore = "needs moto on 127.0.0.1: scripts/test starts it and runs this"]
    async fn one_pooled_product_and_order_service_keep_two_tenants_apart_on_moto() {
        let moto = testing::moto_url();
        let direct = testing::moto_config(&moto).await;
        let dynamodb = aws_sdk_dynamodb::Client::new(&direct);
        let pid = std::process::id();
        let tables = Tables {
            tenant: format!("pooled-tenant-{pid}"),
            product: format!("pooled-product-{pid}"),
            order: format!("pooled-order-{pid}"),
        };
        testing::create_table(&dynamodb, &tables.tenant, "TenantId", None).await;
        testing::create_table(&dynamodb, &tables.product, "TenantId", Some("ProductId")).await;
        testing::create_table(&dynamodb, &tables.order, "TenantId", Some("OrderId")).await;
        let iam = aws_sdk_iam::Client::new(&direct);
        let mut roles = BTreeMap::new();
        for (tenant, tier) in [("acme", "basic"), ("globex", "basic"), ("initech", "premium")] {
            let role = access_role(&iam, tenant).await;
            register(&dynamodb, &tables.tenant, tenant, tier, &role).await;
            roles.insert(tenant, role);
        }

        // The services reach AWS through the recorder; their own (the pod's) key is `test`.
        let recorder = Recorder::start(Some(&moto)).await;
        let sdk = testing::moto_config(&recorder.url).await;
        let product_tenants = tenants(&sdk, &tables);
        let products = serve(product::router(Arc::new(product::AppState {
            verifier: testing::verifier(),
            products: Arc::new(DynamoProducts::on(product_tenants.clone(), tables.product.clone())),
            served: None,
            pooled: Some(product_tenants),
        })))
        .await;
        let order_tenants = tenants(&sdk, &tables);
        let orders = serve(router(Arc::new(AppState {
            verifier: testing::verifier(),
            orders: Arc::new(DynamoPoolOrders::on(order_tenants.clone(), tables.order.clone())),
            catalog: Arc::new(DynamoProducts::on(order_tenants.clone(), tables.product.clone())),
            served: None,
            pooled: Some(order_tenants),
        })))
        .await;

        let http = reqwest::Client::new();
        let send = |method: reqwest::Method, url: String, caller: &str, body: Option<Value>| {
            let request = http.request(method, url).bearer_auth(token(caller));
            let request = match body {
                Some(body) => request.json(&body),
                None => request,
            };
            async move {
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                (status, response.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        use reqwest::Method as M;
        for base in [&products, &orders] {
            assert_eq!(http.get(format!("{base}/ready")).send().await.unwrap().status().as_u16(), 200, "{base}");
        }

        // Each tenant's products and orders, through the one pair of services.
        let mut product_of = BTreeMap::new();
        for (tenant, name, price) in [("acme", "Rope", "2.50"), ("globex", "Drill", "1.00")] {
            let body = json!({"name": name, "price": price});
            let (status, created) = send(M::POST, format!("{products}/{tenant}/products"), tenant, Some(body)).await;
            assert_eq!(status, 201, "{tenant}: {created}");
            product_of.insert(tenant, created["id"].as_str().unwrap().to_owned());
        }
        let mut order_of = BTreeMap::new();
        for (tenant, quantity, total) in [("acme", 4, "10.00"), ("globex", 2, "2.00")] {
            let body = json!({"name": "o", "lines": [{"productId": product_of[tenant], "quantity": quantity}]});
            let (status, created) = send(M::POST, format!("{orders}/{tenant}/orders"), tenant, Some(body)).await;
            assert_eq!((status, created["total"].as_str()), (201, Some(total)), "{tenant}: {created}");
            order_of.insert(tenant, created["id"].as_str().unwrap().to_owned());
        }
        // An order totals its lines from its own tenant's products only.
        let body = json!({"name": "o", "lines": [{"productId": product_of["globex"], "quantity": 1}]});
        let (status, refused) = send(M::POST, format!("{orders}/acme/orders"), "acme", Some(body)).await;
        assert_eq!(status, 400, "{refused}");
        assert!(refused["error"].as_str().unwrap().contains("no such product"), "{refused}");

        let change = json!({"name": "mine now", "price": 0});
        for (caller, other) in [("acme", "globex"), ("globex", "acme")] {
            let (theirs, their_order) = (&product_of[other], &order_of[other]);
            // The other's ids on one's own path: not found, on every route.
            for (method, url, body) in [
                (M::GET, format!("{products}/{caller}/products/{theirs}"), None),
                (M::PUT, format!("{products}/{caller}/products/{theirs}"), Some(change.clone())),
                (M::DELETE, format!("{products}/{caller}/products/{theirs}"), None),
                (M::GET, format!("{orders}/{caller}/orders/{their_order}"), None),
            ] {
                assert_eq!(send(method.clone(), url.clone(), caller, body).await.0, 404, "{caller}: {method} {url}");
            }
            // One's own token on the other's path: forbidden, on every route.
            let order_body = json!({"name": "o", "lines": [{"productId": theirs, "quantity": 1}]});
            for (method, url, body) in [
                (M::GET, format!("{products}/{other}/products"), None),
                (M::POST, format!("{products}/{other}/products"), Some(change.clone())),
                (M::GET, format!("{products}/{other}/products/{theirs}"), None),
                (M::PUT, format!("{products}/{other}/products/{theirs}"), Some(change.clone())),
                (M::DELETE, format!("{products}/{other}/products/{theirs}"), None),
                (M::GET, format!("{orders}/{other}/orders"), None),
                (M::POST, format!("{orders}/{other}/orders"), Some(order_body)),
                (M::GET, format!("{orders}/{other}/orders/{their_order}"), None),
            ] {
                assert_eq!(send(method.clone(), url.clone(), caller, body).await.0, 403, "{caller}: {method} {url}");
            }
            // Listings hold one's own only.
            let (_, listed) = send(M::GET, format!("{products}/{caller}/products"), caller, None).await;
            let ids: Vec<&str> =
                listed["items"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
            assert_eq!(ids, [product_of[caller].as_str()], "{caller}: {listed}");
            let (_, listed) = send(M::GET, format!("{orders}/{caller}/orders"), caller, None).await;
            let ids: Vec<&str> =
                listed["items"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
            assert_eq!(ids, [order_of[caller].as_str()], "{caller}: {listed}");
        }
        // Orders page through the tenant's partition (Query with a cursor).
        for _ in 0..3 {
            let body = json!({"name": "more", "lines": [{"productId": product_of["acme"], "quantity": 1}]});
            assert_eq!(send(M::POST, format!("{orders}/acme/orders"), "acme", Some(body)).await.0, 201);
        }
        let (mut seen, mut url) = (Vec::new(), format!("{orders}/acme/orders?limit=2"));
        for _ in 0..5 {
            let (status, page) = send(M::GET, url.clone(), "acme", None).await;
            assert_eq!(status, 200, "{page}");
            seen.extend(page["items"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap().to_owned()));
            match page["nextCursor"].as_str() {
                Some(cursor) => url = format!("{orders}/acme/orders?limit=2&cursor={cursor}"),
                None => break,
            }
        }
        assert_eq!(seen.len(), 4, "acme's four orders, none of globex's: {seen:?}");

        // Another tier's tenant, with a valid token of its own: refused. A stranger: not found.
        for base in [format!("{products}/initech/products"), format!("{orders}/initech/orders")] {
            let (status, body) = send(M::GET, base.clone(), "initech", None).await;
            assert_eq!(status, 403, "{base}: {body}");
            assert!(body["error"].as_str().unwrap().contains("not served by this pool"), "{body}");
        }
        for base in [format!("{products}/hooli/products"), format!("{orders}/hooli/orders")] {
            let (status, body) = send(M::GET, base.clone(), "hooli", None).await;
            assert_eq!(status, 404, "{base}: {body}");
            assert!(body["error"].as_str().unwrap().contains("hooli"), "{body}");
        }

        // Globex's product is as globex left it.
        let drill = dynamodb
            .get_item()
            .table_name(&tables.product)
            .key("TenantId", AttributeValue::S("globex".into()))
            .key("ProductId", AttributeValue::S(product_of["globex"].clone()))
            .send()
            .await
            .unwrap();
        let drill = drill.item().unwrap();
        assert_eq!(
            (drill["Name"].as_s().unwrap().as_str(), drill["PriceCents"].as_n().unwrap().as_str()),
            ("Drill", "100")
        );

        // What STS was sent: each tenant's own role, its TenantId tag, a 900 s session, and
        // only for the two basic tenants (one session per tenant per service, cached after).
        let exchanges = recorder.exchanges();
        let vends = assume_roles(&exchanges);
        let mut session_tenant = BTreeMap::new();
        for (tag, role, session, duration, key) in &vends {
            assert!(["acme", "globex"].contains(&tag.as_str()), "vended for {tag:?}: {vends:?}");
            assert_eq!(
                (role, session.as_str(), duration.as_str()),
                (&roles[tag.as_str()], format!("tenant-{tag}").as_str(), "900")
            );
            assert!(!key.is_empty() && key != "test", "{vends:?}");
            session_tenant.insert(key.clone(), tag.clone());
        }
        assert_eq!(vends.len(), 4, "acme and globex, once in each service: {vends:?}");
        // Every data call was signed with its own tenant's session, never the pod's key; the
        // pod's own key read only the tenant table and the tables' metadata.
        let mut data_calls = 0;
        for exchange in exchanges.iter().filter(|e| e.operation.starts_with("DynamoDB_")) {
            let body: Value = serde_json::from_str(&exchange.body).unwrap();
            let table = body["TableName"].as_str().unwrap_or_default();
            let operation = exchange.operation.trim_start_matches("DynamoDB_20120810.");
            if table == tables.tenant || operation == "DescribeTable" {
                assert_eq!(exchange.access_key_id, "test", "{operation} on {table} with the pod's own key");
                assert!(["GetItem", "DescribeTable"].contains(&operation), "{operation} on {table}");
                continue;
            }
            data_calls += 1;
            assert!(["GetItem", "PutItem", "Query", "DeleteItem"].contains(&operation), "{operation}: never a Scan");
            let tenant = tenant_of(&body).unwrap_or_else(|| panic!("{operation} names no tenant: {body}"));
            assert_eq!(
                session_tenant.get(&exchange.access_key_id),
                Some(&tenant),
                "{operation} on {table} for {tenant} signed with {}",
                exchange.access_key_id
            );
        }
        assert!(data_calls > 20, "{data_calls} data calls seen");
    }
}
