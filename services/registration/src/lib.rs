//! The registration service: the platform's public sign-up, `POST /register`.
//!
//! A sign-up is validated field by field with the core's own parsers (the id as a `TenantId`,
//! the email as an `EmailAddress`, ...), so that what the registry accepts is what the blueprint
//! will accept, and any field at fault is named in a 400. It is rate limited per client address.
//! It is idempotent twice over: by the `Idempotency-Key` header, and by email and id (the same
//! sign-up sent again gets the same registration, 200 instead of 202). It is recorded as
//! `requested` with its audit entry in one conditional transaction (the shared
//! [`tenancy_registry`]), its event is published to the lifecycle topic, and then the
//! onboarding build is started (`tenancy_registry::jobs`) unless one was started for it already, so a
//! client that retries after a crash between the two starts the build it missed.
//!
//! It never deploys anything itself: the onboarding job turns the registration into a reviewed
//! commit of one tenant file, and applies that.

pub mod limit;

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tenancy::model::{DisplayName, EmailAddress, TenantId};
use tenant_context::serve::RequestId;
use tenant_context::{AppError, JsonBody};

pub use limit::RateLimiter;
pub use tenancy_registry::{
    Caller, CodeBuildJobs, DynamoRegistry, Events, Job, Jobs, MemoryRegistry, Outcome, RecordedEvents, RecordedJobs,
    Registration, Registry, RegistryError, SnsEvents,
};

/// What the service holds.
pub struct AppState {
    /// The registry.
    pub store: Arc<dyn Registry>,
    /// The lifecycle topic.
    pub events: Arc<dyn Events>,
    /// Starts the onboarding job.
    pub onboarding: Arc<dyn Jobs>,
    /// The platform's tiers a sign-up may choose.
    pub tiers: Vec<String>,
    /// Sign-ups per client address.
    pub limiter: RateLimiter,
}

/// A sign-up as clients send it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SignUp {
    tenant_id: String,
    name: String,
    email: String,
    tier: String,
}

/// The answer: the registration's id, state and onboarding build.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Registered {
    /// The tenant id.
    pub tenant_id: String,
    /// The lifecycle state (`requested` for a new sign-up).
    pub state: String,
    /// The onboarding build, once started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_id: Option<String>,
}

impl SignUp {
    /// Every field checked by the core's parsers; every problem named with its field.
    fn validate(self, tiers: &[String]) -> Result<Registration, AppError> {
        let mut problems = Vec::new();
        let mut field = |name: &str, result: Result<String, tenancy::model::Invalid>| match result {
            Ok(value) => value,
            Err(invalid) => {
                problems.push(format!("{name}: {} ({})", invalid.message, invalid.help));
                String::new()
            }
        };
        let tenant_id = field("tenantId", TenantId::parse(&self.tenant_id).map(|v| v.as_str().to_owned()));
        let name = field("name", DisplayName::parse(&self.name).map(|v| v.as_str().to_owned()));
        let email =
            field("email", EmailAddress::parse(&self.email.to_ascii_lowercase()).map(|v| v.as_str().to_owned()));
        let tier = tenancy_registry::offered_tier(&self.tier, tiers).unwrap_or_else(|problem| {
            problems.push(format!("tier: {problem}"));
            String::new()
        });
        if problems.is_empty() {
            Ok(Registration { tenant_id, name, email, tier })
        } else {
            Err(AppError::BadRequest(problems.join("; ")))
        }
    }
}

/// The header that makes a sign-up idempotent across retries.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, AppError> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY) else { return Ok(None) };
    value
        .to_str()
        .ok()
        .filter(|v| {
            (1..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(|v| Some(v.to_owned()))
        .ok_or_else(|| AppError::BadRequest("Idempotency-Key: use 1 to 64 ASCII letters, digits, '-' and '_'".into()))
}

/// The client's address as the ingress saw it: the last hop of `X-Forwarded-For`, which
/// ingress-nginx appends (earlier hops are the client's own claim and are ignored).
fn client(headers: &HeaderMap) -> String {
    headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "direct".to_owned())
}

async fn register(
    State(state): State<Arc<AppState>>,
    RequestId(request_id): RequestId,
    headers: HeaderMap,
    JsonBody(sign_up): JsonBody<SignUp>,
) -> Result<(StatusCode, Json<Registered>), AppError> {
    state
        .limiter
        .take(&client(&headers))
        .map_err(|wait| AppError::TooManyRequests(format!("too many sign-ups from this address; retry in {wait} s")))?;
    let key = idempotency_key(&headers)?;
    let registration = sign_up.validate(&state.tiers)?;
    let caller = Caller::now("registration", request_id);
    let (status, mut record) = match state.store.register(&registration, key.as_deref(), &caller).await? {
        Outcome::Created(record) => (StatusCode::ACCEPTED, record),
        Outcome::Existing(record) => (StatusCode::OK, record),
    };
    // The sign-up is recorded whatever the topic does: an event it did not take stays pending
    // on the audit trail, and the job's first transition publishes it.
    if let Err(err) =
        tenancy_registry::publish_pending(state.store.as_ref(), state.events.as_ref(), &registration.tenant_id).await
    {
        tracing::warn!(tenant = %registration.tenant_id, error = %err, "lifecycle event left pending");
    }
    // Also for an existing record without a build: the first attempt crashed before starting it.
    if record.build_id.is_none() && record.state == tenancy::contract::lifecycle::State::Requested {
        let job = Job::Onboard(record.registration.clone());
        let build = state.onboarding.start(&job, record.version).await?;
        record = state.store.set_build(&registration.tenant_id, &build).await?;
    }
    tracing::info!(tenant = %record.registration.tenant_id, state = %record.state, created = status == StatusCode::ACCEPTED, "registration");
    Ok((
        status,
        Json(Registered {
            tenant_id: record.registration.tenant_id,
            state: record.state.name().to_owned(),
            build_id: record.build_id,
        }),
    ))
}

async fn health() -> &'static str {
    "ok"
}

async fn ready(State(state): State<Arc<AppState>>) -> Result<&'static str, AppError> {
    state.store.ready().await?;
    Ok("ready")
}

/// The service's routes, ready for `serve::run` or for tests (`oneshot`).
pub fn router(state: Arc<AppState>) -> Router {
    let api = Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/register", post(register))
        .with_state(state);
    tenant_context::serve::layers(api)
}
