//! The product service: a tenant's products in the pooled table (partition key = tenant id).
//! Every read is a Query or Get on the caller's own partition, never a Scan, and the tenant
//! comes from the verified token, checked against the path.
//!
//! Two compute modes, one router. Dedicated (a Deployment per tenant, `served`): tokens of the
//! issuer the environment names, the pod's own role for the data. Pooled (one Deployment per
//! tier, `pooled`, see `tenant_context::pooled`): the path's tenant must be in the tenant
//! directory with the pool's tier, its token is verified against the issuer its record names, and
//! every store call uses credentials vended for that tenant (its access role, session tag
//! `TenantId`), never the pod's. The handlers and the store are the same in both.

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
use tenant_context::pooled::Tenants;
use tenant_context::{AppError, HasVerifier, JsonBody, PathParams, QueryParams, TenantContext, Verifier};

pub use store::{DynamoProducts, MemoryProducts, Products, StoredProduct};

pub const DEFAULT_PAGE: usize = 25;
pub const MAX_PAGE: usize = 100;

pub struct AppState {
    pub verifier: Arc<Verifier>,
    pub products: Arc<dyn Products>,
    /// The tenant this deployment serves (dedicated compute), if it serves one.
    pub served: Option<String>,
    /// The tenants this deployment serves (pooled compute), if it is pooled: admission by the
    /// tenant directory and the pool's tier. The store's `TenantData` must be the same `Tenants`.
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

/// A product as clients see it.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    pub id: String,
    pub name: String,
    /// Decimal with two places, e.g. "12.50".
    pub price: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub picture_url: Option<String>,
}

impl From<StoredProduct> for Product {
    fn from(p: StoredProduct) -> Self {
        Self { id: p.id, name: p.name, price: format_cents(p.price_cents), picture_url: p.picture_url }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProductInput {
    name: String,
    price: Value,
    #[serde(default)]
    picture_url: Option<String>,
}

impl ProductInput {
    fn validate(self, id: String) -> Result<StoredProduct, AppError> {
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(AppError::BadRequest("name must be 1 to 200 characters without control characters".into()));
        }
        let price_cents = parse_cents(&self.price).map_err(AppError::BadRequest)?;
        if let Some(url) = &self.picture_url {
            let ok = url.len() <= 2048
                && url.starts_with("https://")
                && url.len() > 8
                && !url.chars().any(|c| c.is_whitespace() || c.is_control());
            if !ok {
                return Err(AppError::BadRequest("pictureUrl must be an https URL of at most 2048 characters".into()));
            }
        }
        Ok(StoredProduct { id, name, price_cents, picture_url: self.picture_url })
    }
}

/// Product ids are UUIDs (what this service generates); anything else cannot exist.
pub fn is_product_id(id: &str) -> bool {
    id.len() == 36 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

fn product_id(id: &str) -> Result<&str, AppError> {
    if is_product_id(id) { Ok(id) } else { Err(AppError::NotFound("no such product".into())) }
}

#[derive(Debug, Deserialize)]
struct Page {
    limit: Option<usize>,
    cursor: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct CursorData {
    tenant: String,
    after: String,
}

/// An opaque cursor: which tenant and which key the page ended at. A cursor is only good for
/// the tenant it was given to.
fn encode_cursor(tenant: &str, after: &str) -> String {
    URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&CursorData { tenant: tenant.into(), after: after.into() }).expect("serializes"))
}

fn decode_cursor(tenant: &str, cursor: &str) -> Result<String, AppError> {
    let bad = || AppError::BadRequest("the cursor is not valid; start again without one".into());
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let data: CursorData = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if data.tenant != tenant {
        return Err(bad());
    }
    product_id(&data.after).map_err(|_| bad())?;
    Ok(data.after)
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductPage {
    pub items: Vec<Product>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

async fn list(
    State(state): State<Arc<AppState>>,
    ctx: TenantContext,
    QueryParams(page): QueryParams<Page>,
) -> Result<Json<ProductPage>, AppError> {
    let limit = page.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(AppError::BadRequest(format!("limit must be from 1 to {MAX_PAGE}")));
    }
    let after = page.cursor.map(|c| decode_cursor(&ctx.tenant_id, &c)).transpose()?;
    let (items, last) = state.products.list(&ctx.tenant_id, limit, after).await?;
    Ok(Json(ProductPage {
        items: items.into_iter().map(Product::from).collect(),
        next_cursor: last.map(|id| encode_cursor(&ctx.tenant_id, &id)),
    }))
}

async fn create(
    State(state): State<Arc<AppState>>,
    ctx: TenantContext,
    JsonBody(input): JsonBody<ProductInput>,
) -> Result<(StatusCode, Json<Product>), AppError> {
    let product = input.validate(uuid::Uuid::new_v4().to_string())?;
    state.products.put(&ctx.tenant_id, &product).await?;
    tracing::info!(tenant = %ctx.tenant_id, product = %product.id, "product created");
    Ok((StatusCode::CREATED, Json(product.into())))
}

async fn read(
    State(state): State<Arc<AppState>>,
    ctx: TenantContext,
    PathParams((_, id)): PathParams<(String, String)>,
) -> Result<Json<Product>, AppError> {
    let product = state.products.get(&ctx.tenant_id, product_id(&id)?).await?;
    product.map(|p| Json(p.into())).ok_or_else(|| AppError::NotFound("no such product".into()))
}

async fn update(
    State(state): State<Arc<AppState>>,
    ctx: TenantContext,
    PathParams((_, id)): PathParams<(String, String)>,
    JsonBody(input): JsonBody<ProductInput>,
) -> Result<Json<Product>, AppError> {
    let id = product_id(&id)?.to_owned();
    if state.products.get(&ctx.tenant_id, &id).await?.is_none() {
        return Err(AppError::NotFound("no such product".into()));
    }
    let product = input.validate(id)?;
    state.products.put(&ctx.tenant_id, &product).await?;
    Ok(Json(product.into()))
}

async fn remove(
    State(state): State<Arc<AppState>>,
    ctx: TenantContext,
    PathParams((_, id)): PathParams<(String, String)>,
) -> Result<StatusCode, AppError> {
    if state.products.delete(&ctx.tenant_id, product_id(&id)?).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound("no such product".into()))
    }
}

async fn health() -> &'static str {
    "ok"
}

/// The store's table (DescribeTable) and, in pooled mode, the tenant directory, both with the
/// pod's own credentials: readiness vends nothing and reads no tenant's items.
async fn ready(State(state): State<Arc<AppState>>) -> Result<&'static str, AppError> {
    state.products.ready().await.map_err(|e| AppError::Unavailable(e.to_string()))?;
    if let Some(tenants) = &state.pooled {
        tenants.ready().await?;
    }
    Ok("ready")
}

/// The service's routes, ready for `serve::run` or for tests (`oneshot`).
pub fn router(state: Arc<AppState>) -> Router {
    let api = Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/{tenant}/products", get(list).post(create))
        .route("/{tenant}/products/{id}", get(read).put(update).delete(remove))
        .with_state(state);
    tenant_context::serve::layers(api)
}
