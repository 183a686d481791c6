//! Tenant management: what provider administrators do to a tenant, and what the tenant
//! application asks before its sign-in.
//!
//! - `GET /auth-info?tenantId=<id>` (or with no query, from the `Origin` of the tenant's app,
//!   `https://<id>.<app domain>`): public, and answers only what the app needs to start its
//!   sign-in: the issuer (whose discovery document names the hosted UI), the app client and
//!   the redirect URI. Only for an active tenant: a suspended one is 403, one not yet
//!   provisioned 409, an unknown or removed one 404.
//! - `GET /tenants?state=<state>&limit=<1..100>&after=<cursor>`: the tenants, a page at a time
//!   (`next` is the cursor of the following page), optionally those in one state.
//! - `GET /tenants/{id}`: the tenant's record and its audit trail.
//! - `POST /tenants/{id}/suspend`, `/activate`, `/offboard`: start the onboarding job that makes
//!   the change a commit and applies it. Suspension and activation are recorded by the job once
//!   applied; an offboarding is recorded here first (`offboard`, by the admin), so that the
//!   tenant stops being offered while the job removes it. An event the tenant's state does not
//!   allow is 409 with what to do instead; a repeat of what is so is 200 and starts nothing.
//!
//! The admin routes take an administrator's token only: the verifier trusts the admin pool,
//! and a token with a tenant claim is refused ([`tenant_context::AdminContext`]). This service
//! never edits the blueprint or deploys: the job does, so every change is a commit.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tenancy::contract::lifecycle::{Applied, Event, State as Lifecycle};
use tenancy::model::TenantId;
use tenancy_registry::{
    Caller, Change, Directory, Events, Job, Jobs, Record, Registry, offered_tier, publish_pending, transition,
};
use tenant_context::serve::RequestId;
use tenant_context::{AdminContext, AppError, HasAdminVerifier, JsonBody, PathParams, QueryParams, Verifier};

/// What the service holds.
pub struct AppState {
    /// The registry.
    pub registry: Arc<dyn Registry>,
    /// The lifecycle topic.
    pub events: Arc<dyn Events>,
    /// Starts the onboarding job.
    pub jobs: Arc<dyn Jobs>,
    /// The tenants' sign-in settings.
    pub directory: Arc<dyn Directory>,
    /// Verifies provider administrators' tokens (the admin pool and console client only).
    pub admins: Arc<Verifier>,
    /// `app.<domain>`: tenant `t`'s application is `https://t.app.<domain>`.
    pub app_domain: String,
    /// The platform's tiers, which a tenant can be moved to.
    pub tiers: Vec<String>,
}

impl HasAdminVerifier for AppState {
    fn admin_verifier(&self) -> &Verifier {
        &self.admins
    }
}

/// What the tenant application starts its sign-in with.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AuthInfo {
    /// The tenant.
    pub tenant_id: String,
    /// The token issuer; `<issuer>/.well-known/openid-configuration` names the endpoints.
    pub issuer: String,
    /// The tenant application's app client.
    pub client_id: String,
    /// Where the hosted UI sends the user back: the tenant's application.
    pub redirect_uri: String,
    /// The hosted UI the app sends its users to (`https://<domain>/oauth2/authorize`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AuthQuery {
    tenant_id: Option<String>,
}

fn tenant_id(field: &str, value: &str) -> Result<String, AppError> {
    TenantId::parse(value)
        .map(|t| t.as_str().to_owned())
        .map_err(|invalid| AppError::BadRequest(format!("{field}: {} ({})", invalid.message, invalid.help)))
}

/// The tenant an `Origin` of a tenant application names: `https://<tenant>.<app domain>`.
fn origin_tenant(origin: &str, app_domain: &str) -> Result<String, AppError> {
    let wrong = || {
        AppError::BadRequest(format!(
            "Origin: `{}` is not a tenant application's address (https://<tenant>.{app_domain})",
            origin.escape_debug()
        ))
    };
    let host = origin.strip_prefix("https://").ok_or_else(wrong)?;
    let label = host.strip_suffix(app_domain).and_then(|h| h.strip_suffix('.')).ok_or_else(wrong)?;
    tenant_id("Origin", label)
}

async fn auth_info(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    QueryParams(query): QueryParams<AuthQuery>,
) -> Result<Json<AuthInfo>, AppError> {
    let from_query = query.tenant_id.as_deref().map(|t| tenant_id("tenantId", t)).transpose()?;
    let from_origin = match headers.get("origin") {
        Some(origin) => {
            let origin = origin.to_str().map_err(|_| AppError::BadRequest("Origin: not ASCII".into()))?;
            Some(origin_tenant(origin, &state.app_domain)?)
        }
        None => None,
    };
    let tenant = match (from_query, from_origin) {
        (Some(query), Some(origin)) if query != origin => {
            return Err(AppError::BadRequest(format!(
                "tenantId: `{query}` is not the tenant of the Origin (`{origin}`); send one or the other"
            )));
        }
        (Some(tenant), _) | (None, Some(tenant)) => tenant,
        (None, None) => {
            return Err(AppError::BadRequest(
                "tenantId: missing; send ?tenantId=<id>, or call from the tenant's application (Origin)".into(),
            ));
        }
    };
    let unknown = || AppError::NotFound(format!("tenantId: no tenant `{tenant}`"));
    let record = state.registry.record(&tenant).await?.ok_or_else(unknown)?;
    match &record.state {
        Lifecycle::Active => {}
        Lifecycle::Suspended => return Err(AppError::Forbidden(format!("tenantId: tenant `{tenant}` is suspended"))),
        Lifecycle::Removed | Lifecycle::Offboarding => return Err(unknown()),
        other => return Err(AppError::Conflict(format!("tenantId: tenant `{tenant}` is not ready yet ({other})"))),
    }
    let sign_in = state.directory.sign_in(&tenant).await?.ok_or_else(|| {
        AppError::Conflict(format!("tenantId: tenant `{tenant}` has no sign-in settings yet; retry shortly"))
    })?;
    Ok(Json(AuthInfo {
        redirect_uri: format!("https://{tenant}.{}/", state.app_domain),
        tenant_id: tenant,
        issuer: sign_in.issuer,
        client_id: sign_in.client_id,
        domain: sign_in.domain,
    }))
}

/// A tenant as administrators see it.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TenantView {
    pub tenant_id: String,
    pub name: String,
    pub tier: String,
    pub admin_email: String,
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    pub version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_id: Option<String>,
    /// `"<version> <event> <from>-><to> by <actor> (<request id>)"`, oldest first.
    #[serde(default)]
    pub audit: Vec<String>,
}

fn view(record: &Record) -> TenantView {
    let r = &record.registration;
    TenantView {
        tenant_id: r.tenant_id.clone(),
        name: r.name.clone(),
        tier: r.tier.clone(),
        admin_email: r.email.clone(),
        state: record.state.name().to_owned(),
        cause: match &record.state {
            Lifecycle::Failed { cause, .. } => Some(cause.clone()),
            _ => None,
        },
        version: record.version,
        build_id: record.build_id.clone(),
        audit: Vec::new(),
    }
}

#[derive(Debug, Deserialize)]
struct TenantPath {
    id: String,
}

async fn found(state: &AppState, id: &str) -> Result<Record, AppError> {
    let id = tenant_id("tenantId", id)?;
    state.registry.record(&id).await?.ok_or_else(|| AppError::NotFound(format!("tenantId: no tenant `{id}`")))
}

/// The states a listing can filter by.
const STATES: [&str; 7] = ["requested", "provisioning", "active", "suspended", "failed", "offboarding", "removed"];

/// The largest page of a listing.
pub const MAX_PAGE: usize = 100;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    state: Option<String>,
    limit: Option<String>,
    after: Option<String>,
}

/// A page of tenants.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct TenantPage {
    pub tenants: Vec<TenantView>,
    /// Pass as `after` for the next page; absent after the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

async fn list_tenants(
    State(state): State<Arc<AppState>>,
    _admin: AdminContext,
    QueryParams(query): QueryParams<ListQuery>,
) -> Result<Json<TenantPage>, AppError> {
    let wanted = match query.state.as_deref() {
        Some(name) if !STATES.contains(&name) => {
            return Err(AppError::BadRequest(format!(
                "state: `{}` is not a state (one of {})",
                name.escape_debug(),
                STATES.join(", ")
            )));
        }
        other => other,
    };
    let limit = match query.limit.as_deref() {
        None => 25,
        Some(text) => text.parse::<usize>().ok().filter(|n| (1..=MAX_PAGE).contains(n)).ok_or_else(|| {
            AppError::BadRequest(format!("limit: `{}` is not a whole number from 1 to {MAX_PAGE}", text.escape_debug()))
        })?,
    };
    // The cursor is the last tenant of the page before: a tenant id.
    let after = query.after.as_deref().map(|a| tenant_id("after", a)).transpose()?;
    let page = state.registry.list(after.as_deref(), limit).await?;
    let tenants = page.records.iter().filter(|r| wanted.is_none_or(|w| r.state.name() == w)).map(view).collect();
    Ok(Json(TenantPage { tenants, next: page.next }))
}

async fn get_tenant(
    State(state): State<Arc<AppState>>,
    _admin: AdminContext,
    PathParams(path): PathParams<TenantPath>,
) -> Result<Json<TenantView>, AppError> {
    let record = found(&state, &path.id).await?;
    let mut view = view(&record);
    view.audit = state
        .registry
        .audit(&record.registration.tenant_id)
        .await?
        .iter()
        .map(|e| {
            format!(
                "{} {} {}->{} by {} ({})",
                e.version,
                e.event,
                e.from.as_deref().unwrap_or("-"),
                e.to,
                e.caller.actor,
                e.caller.request_id
            )
        })
        .collect();
    Ok(Json(view))
}

/// What an admin action did.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Started {
    pub tenant_id: String,
    /// The tenant's state now (a suspension is recorded once the job applied it).
    pub state: String,
    /// The job started, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_id: Option<String>,
}

async fn act(
    state: &AppState,
    admin: &AdminContext,
    request_id: String,
    id: &str,
    event: Event,
) -> Result<(StatusCode, Json<Started>), AppError> {
    let mut record = found(state, id).await?;
    let tenant = record.registration.tenant_id.clone();
    let answer = |record: &Record, job: Option<&Job>, build_id: Option<String>| Started {
        tenant_id: tenant.clone(),
        state: record.state.name().to_owned(),
        job: job.map(|j| j.name().to_owned()),
        build_id,
    };
    let job = match &event {
        Event::Suspend => Job::Suspend(tenant.clone()),
        Event::Activate => Job::Activate(tenant.clone()),
        Event::ChangeTier { tier } => Job::ChangeTier { tenant: tenant.clone(), tier: tier.clone() },
        _ => Job::Offboard(tenant.clone()),
    };
    if matches!(event, Event::Offboard) {
        // Recorded first, by the admin: from here the tenant is no longer offered.
        let caller = Caller::now(format!("admin:{}", admin.subject), request_id);
        if let Change::Moved(moved) = transition(state.registry.as_ref(), &tenant, &event, &caller).await? {
            record = moved;
        }
        if let Err(err) = publish_pending(state.registry.as_ref(), state.events.as_ref(), &tenant).await {
            tracing::warn!(tenant = %tenant, error = %err, "lifecycle event left pending");
        }
    } else if let Applied::Already = record.state.apply(&event).map_err(|e| AppError::Conflict(e.to_string()))? {
        return Ok((StatusCode::OK, Json(answer(&record, None, None))));
    }
    // A tier is not a state: asking for the tier the tenant is on is a repeat.
    if tenancy_registry::new_tier(&event) == Some(record.registration.tier.as_str()) {
        return Ok((StatusCode::OK, Json(answer(&record, None, None))));
    }
    let build = state.jobs.start(&job, record.version).await?;
    tracing::info!(tenant = %tenant, job = job.name(), build = %build, admin = %admin.subject, "job started");
    Ok((StatusCode::ACCEPTED, Json(answer(&record, Some(&job), Some(build)))))
}

async fn suspend(
    State(state): State<Arc<AppState>>,
    admin: AdminContext,
    RequestId(request_id): RequestId,
    PathParams(path): PathParams<TenantPath>,
) -> Result<(StatusCode, Json<Started>), AppError> {
    act(&state, &admin, request_id, &path.id, Event::Suspend).await
}

async fn activate(
    State(state): State<Arc<AppState>>,
    admin: AdminContext,
    RequestId(request_id): RequestId,
    PathParams(path): PathParams<TenantPath>,
) -> Result<(StatusCode, Json<Started>), AppError> {
    act(&state, &admin, request_id, &path.id, Event::Activate).await
}

async fn offboard(
    State(state): State<Arc<AppState>>,
    admin: AdminContext,
    RequestId(request_id): RequestId,
    PathParams(path): PathParams<TenantPath>,
) -> Result<(StatusCode, Json<Started>), AppError> {
    act(&state, &admin, request_id, &path.id, Event::Offboard).await
}

/// The body of a tier change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TierChange {
    tier: String,
}

async fn change_tier(
    State(state): State<Arc<AppState>>,
    admin: AdminContext,
    RequestId(request_id): RequestId,
    PathParams(path): PathParams<TenantPath>,
    JsonBody(change): JsonBody<TierChange>,
) -> Result<(StatusCode, Json<Started>), AppError> {
    let tier =
        offered_tier(&change.tier, &state.tiers).map_err(|problem| AppError::BadRequest(format!("tier: {problem}")))?;
    act(&state, &admin, request_id, &path.id, Event::ChangeTier { tier }).await
}

async fn health() -> &'static str {
    "ok"
}

async fn ready(State(state): State<Arc<AppState>>) -> Result<&'static str, AppError> {
    state.registry.ready().await?;
    Ok("ready")
}

/// The service's routes, ready for `serve::run` or for tests (`oneshot`).
pub fn router(state: Arc<AppState>) -> Router {
    let api = Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/auth-info", get(auth_info))
        .route("/tenants", get(list_tenants))
        .route("/tenants/{id}", get(get_tenant))
        .route("/tenants/{id}/suspend", post(suspend))
        .route("/tenants/{id}/activate", post(activate))
        .route("/tenants/{id}/offboard", post(offboard))
        .route("/tenants/{id}/tier", post(change_tier))
        .with_state(state);
    tenant_context::serve::layers(api)
}
