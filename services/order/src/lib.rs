//! The order service: a tenant's orders in its own silo table (`<platform>-order-<tenant>`,
//! from TABLE_NAME). One deployment serves one tenant, so the token's tenant must also be the
//! deployment's. Totals are computed here from the line items, in cents.

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

pub use store::{DynamoOrders, LineItem, MemoryOrders, Orders, StoredOrder};

pub const MAX_LINES: usize = 100;
pub const MAX_QUANTITY: u64 = 10_000;
pub const MAX_PAGE: usize = 100;

pub struct AppState {
    pub verifier: Arc<Verifier>,
    pub orders: Arc<dyn Orders>,
    /// The tenant whose silo table this deployment holds.
    pub served: String,
}

impl HasVerifier for AppState {
    fn verifier(&self) -> &Verifier {
        &self.verifier
    }
    fn served_tenant(&self) -> Option<&str> {
        Some(&self.served)
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
    price: Value,
    quantity: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderInput {
    name: String,
    lines: Vec<LineInput>,
}

impl OrderInput {
    fn validate(self, id: String) -> Result<StoredOrder, AppError> {
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(AppError::BadRequest("name must be 1 to 200 characters without control characters".into()));
        }
        if self.lines.is_empty() || self.lines.len() > MAX_LINES {
            return Err(AppError::BadRequest(format!("an order has 1 to {MAX_LINES} lines")));
        }
        let mut lines = Vec::new();
        for (i, line) in self.lines.into_iter().enumerate() {
            let at = |m: String| AppError::BadRequest(format!("lines[{i}]: {m}"));
            let ok = !line.product_id.is_empty()
                && line.product_id.len() <= 64
                && line.product_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !ok {
                return Err(at("productId must be 1 to 64 letters, digits and '-'".into()));
            }
            if line.quantity < 1 || line.quantity as u64 > MAX_QUANTITY {
                return Err(at(format!("quantity must be from 1 to {MAX_QUANTITY}")));
            }
            let price_cents = parse_cents(&line.price).map_err(at)?;
            lines.push(LineItem { product_id: line.product_id, price_cents, quantity: line.quantity as u64 });
        }
        Ok(StoredOrder { id, name, lines })
    }
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
    _ctx: TenantContext,
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
    let (items, last) = state.orders.list(limit, after).await?;
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
    let order = input.validate(uuid::Uuid::new_v4().to_string())?;
    state.orders.put(&order).await?;
    tracing::info!(tenant = %ctx.tenant_id, order = %order.id, "order created");
    Ok((StatusCode::CREATED, Json(order.into())))
}

async fn read(
    State(state): State<Arc<AppState>>,
    _ctx: TenantContext,
    PathParams((_, id)): PathParams<(String, String)>,
) -> Result<Json<Order>, AppError> {
    let order = state.orders.get(order_id(&id)?).await?;
    order.map(|o| Json(o.into())).ok_or_else(|| AppError::NotFound("no such order".into()))
}

async fn health() -> &'static str {
    "ok"
}

async fn ready(State(state): State<Arc<AppState>>) -> Result<&'static str, AppError> {
    state.orders.ready().await?;
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
