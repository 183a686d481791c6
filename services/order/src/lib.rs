//! The order service: a tenant's orders. Line prices come from the tenant's product records,
//! not from the client, and totals are computed here from the line items, in cents.
//!
//! - Dedicated compute: one deployment serves one tenant (`served`), whose orders are in its own
//!   silo table (`<platform>-order-<tenant>`, from TABLE_NAME); the token's tenant must also be
//!   the deployment's.
//! - Pooled compute (`pooled`, see `tenant_context::pooled`): one deployment serves every tenant
//!   of a tier, admitted by the tenant directory; orders are in the tenant's silo table (a
//!   TABLE_NAME pattern with `{tenant}`) or in the tier's shared table (TenantId, OrderId:
//!   [`store::DynamoPoolOrders`]), and every store call, product reads included, uses
//!   credentials vended for the request's tenant, never the pod's own.
//!
//! The product records live in the pooled product table, written by the product service; this
//! service reads them through that service's own store (`product::DynamoProducts`, one home
//! for their schema), by GetItem on the caller's partition only, under the tenant role both
//! services share (ServiceAccount `tenant-services`), or, pooled, the tenant's vended session.

pub mod store;

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tenant_context::money::{format_cents, parse_cents};
use tenant_context::{AppError, HasVerifier, JsonBody, PathParams, QueryParams, TenantContext, Verifier};

pub use store::{DynamoOrders, DynamoPoolOrders, LineItem, MemoryOrders, Orders, StoredOrder};

use product::Products;
use tenant_context::pooled::Tenants;

/// The environment a pooled order Deployment sets: what every pooled service reads, and the
/// pooled product table (PRODUCT_TABLE_NAME), which is never derived in pooled mode.
pub const POOLED_ENVIRONMENT: [&str; 7] =
    ["AWS_REGION", "PORT", "POOL_TIER", "PRODUCT_TABLE_NAME", "STORAGE_MODEL", "TABLE_NAME", "TENANT_TABLE_NAME"];

pub const MAX_LINES: usize = 100;
pub const MAX_QUANTITY: u64 = 10_000;
pub const MAX_PAGE: usize = 100;

pub struct AppState {
    pub verifier: Arc<Verifier>,
    pub orders: Arc<dyn Orders>,
    /// The product records, for line prices (read only).
    pub catalog: Arc<dyn Products>,
    /// The tenant whose silo table this deployment holds (dedicated compute).
    pub served: Option<String>,
    /// The tenants this deployment serves (pooled compute): admission by the tenant directory
    /// and the pool's tier. The stores' `TenantData` must be the same `Tenants`.
    pub pooled: Option<Arc<Tenants>>,
}

impl HasVerifier for AppState {
    fn verifier(&self) -> &Verifier {
        &self.verifier
    }
    fn served_tenant(&self) -> Option<&str> {
        self.served.as_deref()
    }
    fn pooled(&self) -> Option<&Tenants> {
        self.pooled.as_deref()
    }
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Line {
    pub product_id: String,
    pub price: String,
    pub quantity: u64,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub id: String,
    pub name: String,
    pub lines: Vec<Line>,
    pub total: String,
}

impl From<StoredOrder> for Order {
    fn from(o: StoredOrder) -> Self {
        let total = o.lines.iter().map(|l| l.price_cents * l.quantity).sum();
        Self {
            id: o.id,
            name: o.name,
            lines: o
                .lines
                .into_iter()
                .map(|l| Line { product_id: l.product_id, price: format_cents(l.price_cents), quantity: l.quantity })
                .collect(),
            total: format_cents(total),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LineInput {
    product_id: String,
    /// The price the client saw, if it sends one: checked against the product record, never
    /// used as the price.
    #[serde(default)]
    price: Option<Value>,
    quantity: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderInput {
    name: String,
    lines: Vec<LineInput>,
}

impl OrderInput {
    /// Checks the order's shape, then prices every line from the tenant's product record: an
    /// unknown product is a 400, a client price that is not the record's a 409.
    async fn price(self, id: String, tenant: &str, catalog: &dyn Products) -> Result<StoredOrder, AppError> {
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(AppError::BadRequest("name must be 1 to 200 characters without control characters".into()));
        }
        if self.lines.is_empty() || self.lines.len() > MAX_LINES {
            return Err(AppError::BadRequest(format!("an order has 1 to {MAX_LINES} lines")));
        }
        let mut checked = Vec::new();
        for (i, line) in self.lines.into_iter().enumerate() {
            let at = |m: String| AppError::BadRequest(format!("lines[{i}]: {m}"));
            if !product::is_product_id(&line.product_id) {
                return Err(at(format!("productId `{}` is not a product id", shown(&line.product_id))));
            }
            if line.quantity < 1 || line.quantity as u64 > MAX_QUANTITY {
                return Err(at(format!("quantity must be from 1 to {MAX_QUANTITY}")));
            }
            let seen = line.price.as_ref().map(parse_cents).transpose().map_err(at)?;
            checked.push((line.product_id, seen, line.quantity as u64));
        }
        // One read per distinct product, after every line's shape is known good.
        let mut prices = std::collections::HashMap::new();
        let mut lines = Vec::new();
        for (i, (product_id, seen, quantity)) in checked.into_iter().enumerate() {
            let price_cents = match prices.get(&product_id) {
                Some(cents) => *cents,
                None => {
                    let record = catalog.get(tenant, &product_id).await?;
                    let cents = record
                        .map(|p| p.price_cents)
                        .ok_or_else(|| AppError::BadRequest(format!("lines[{i}]: no such product `{product_id}`")))?;
                    prices.insert(product_id.clone(), cents);
                    cents
                }
            };
            if seen.is_some_and(|seen| seen != price_cents) {
                return Err(AppError::Conflict(format!(
                    "lines[{i}]: the price of product `{product_id}` is {}, not {}",
                    format_cents(price_cents),
                    format_cents(seen.unwrap_or_default())
                )));
            }
            lines.push(LineItem { product_id, price_cents, quantity });
        }
        Ok(StoredOrder { id, name, lines })
    }
}

/// At most 64 characters of hostile input, control characters escaped, for an error message.
fn shown(text: &str) -> String {
    text.chars().take(64).flat_map(char::escape_debug).collect()
}

/// The pooled product table, for an order deployment: PRODUCT_TABLE_NAME if set, else derived
/// from the silo table `<platform>-order-<tenant>` (the compiler's naming) as
/// `<platform>-product`, which is what the generated product Deployments set (a test checks).
pub fn product_table(explicit: Option<&str>, order_table: &str, tenant: &str) -> Result<String, String> {
    if let Some(table) = explicit.filter(|t| !t.trim().is_empty()) {
        return Ok(table.to_owned());
    }
    order_table
        .strip_suffix(&format!("-order-{tenant}"))
        .filter(|platform| !platform.is_empty())
        .map(|platform| format!("{platform}-product"))
        .ok_or_else(|| format!("TABLE_NAME `{order_table}` is not `<platform>-order-{tenant}`: set PRODUCT_TABLE_NAME"))
}

fn order_id(id: &str) -> Result<&str, AppError> {
    let ok = id.len() == 36 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
    if ok { Ok(id) } else { Err(AppError::NotFound("no such order".into())) }
}

#[derive(Debug, Deserialize)]
struct Page {
    limit: Option<usize>,
    cursor: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderPage {
    pub items: Vec<Order>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

async fn list(
    State(state): State<Arc<AppState>>,
    ctx: TenantContext,
    QueryParams(page): QueryParams<Page>,
) -> Result<Json<OrderPage>, AppError> {
    let limit = page.limit.unwrap_or(25);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(AppError::BadRequest(format!("limit must be from 1 to {MAX_PAGE}")));
    }
    let after = match page.cursor {
        Some(cursor) => {
            let bad = || AppError::BadRequest("the cursor is not valid; start again without one".into());
            let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
            let id = String::from_utf8(bytes).map_err(|_| bad())?;
            Some(order_id(&id).map_err(|_| bad())?.to_owned())
        }
        None => None,
    };
    let (items, last) = state.orders.list(&ctx.tenant_id, limit, after).await?;
    Ok(Json(OrderPage {
        items: items.into_iter().map(Order::from).collect(),
        next_cursor: last.map(|id| URL_SAFE_NO_PAD.encode(id)),
    }))
}

async fn create(
    State(state): State<Arc<AppState>>,
    ctx: TenantContext,
    JsonBody(input): JsonBody<OrderInput>,
) -> Result<(StatusCode, Json<Order>), AppError> {
    let order = input.price(uuid::Uuid::new_v4().to_string(), &ctx.tenant_id, state.catalog.as_ref()).await?;
    state.orders.put(&ctx.tenant_id, &order).await?;
    tracing::info!(tenant = %ctx.tenant_id, order = %order.id, "order created");
    Ok((StatusCode::CREATED, Json(order.into())))
}

async fn read(
    State(state): State<Arc<AppState>>,
    ctx: TenantContext,
    PathParams((_, id)): PathParams<(String, String)>,
) -> Result<Json<Order>, AppError> {
    let order = state.orders.get(&ctx.tenant_id, order_id(&id)?).await?;
    order.map(|o| Json(o.into())).ok_or_else(|| AppError::NotFound("no such order".into()))
}

async fn health() -> &'static str {
    "ok"
}

/// The store's table (DescribeTable, when there is one table) and, in pooled mode, the tenant
/// directory, both with the pod's own credentials: readiness vends nothing and reads no items.
async fn ready(State(state): State<Arc<AppState>>) -> Result<&'static str, AppError> {
    state.orders.ready().await?;
    if let Some(tenants) = &state.pooled {
        tenants.ready().await?;
    }
    Ok("ready")
}

pub fn router(state: Arc<AppState>) -> Router {
    let api = Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/{tenant}/orders", get(list).post(create))
        .route("/{tenant}/orders/{id}", get(read))
        .with_state(state);
    tenant_context::serve::layers(api)
}
