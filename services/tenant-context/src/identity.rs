//! Tenant identity: a bearer JWT verified against its issuer's keys (JWKS, cached, refreshed on
//! an unknown key id at most once per interval), checked for issuer (an allow-list), algorithm
//! (RS256 only: never `none`, never HMAC), expiry and not-before (small leeway), token use and
//! client, and carrying `custom:tenant-id`. The tenant in the path must be the token's tenant.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;
use tokio::sync::watch;
// The tokio clock, so that tests can pause it and step through the throttle.
use tokio::time::Instant;

use crate::error::AppError;

/// Who is calling, verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantContext {
    pub tenant_id: String,
    pub subject: String,
    pub issuer: String,
    /// The user's groups (`cognito:groups`), which only the pool's administrators can change.
    pub groups: Vec<String>,
}

impl TenantContext {
    /// Whether the user is in `group`.
    pub fn is_member(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }
}

/// Where one tenant's users sign in, as the tenant directory records it: the issuer of their
/// tokens and the tenant application's app client. A service shared by every tenant trusts,
/// for each request, the issuer and client of the tenant in its path, and no other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantIssuer {
    pub issuer: String,
    pub client_id: String,
}

/// A provider administrator, verified: a token of the admin pool (the only issuer an admin
/// verifier trusts) that carries no tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminContext {
    pub subject: String,
    pub issuer: String,
}

/// Where signing keys come from.
#[async_trait]
pub trait JwksFetcher: Send + Sync {
    async fn fetch(&self, issuer: &str) -> Result<JwkSet, String>;
}

/// Keys from `<issuer>/.well-known/jwks.json`, as Cognito publishes them.
pub struct HttpJwks {
    client: reqwest::Client,
}

impl HttpJwks {
    pub fn new() -> Self {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("an HTTP client");
        Self { client }
    }
}

impl Default for HttpJwks {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl JwksFetcher for HttpJwks {
    async fn fetch(&self, issuer: &str) -> Result<JwkSet, String> {
        let url = format!("{}/.well-known/jwks.json", issuer.trim_end_matches('/'));
        let response = self.client.get(&url).send().await.map_err(|e| format!("fetch {url}: {e}"))?;
        let response = response.error_for_status().map_err(|e| format!("fetch {url}: {e}"))?;
        response.json().await.map_err(|e| format!("read {url}: {e}"))
    }
}

#[derive(Debug, Clone)]
pub struct VerifierConfig {
    /// Issuers whose tokens are accepted; keys are only ever fetched from these.
    pub issuers: Vec<String>,
    /// App clients tokens must be for (`aud` of id tokens, `client_id` of access tokens).
    pub client_ids: Vec<String>,
    pub leeway: Duration,
    /// An issuer's keys are fetched at most this often, whether the last fetch worked or not:
    /// an unknown key id cannot make this service call the issuer more often, even in an outage.
    pub min_refresh: Duration,
    /// A fetch that has not finished by then counts as failed (the fetcher may have its own).
    pub fetch_timeout: Duration,
}

/// One issuer's keys and the state of their refresh. The mutex is held only to read or swap
/// this state, never across an await, so a slow issuer cannot stall a request whose key is
/// cached (B2 of the 2026-12 services review).
#[derive(Default)]
struct IssuerKeys {
    state: std::sync::Mutex<KeyState>,
}

#[derive(Default)]
struct KeyState {
    keys: Option<Arc<JwkSet>>,
    /// When the last fetch started, successful or not: the refresh throttle.
    attempted: Option<Instant>,
    /// The fetch under way, if any (single flight): it sends `true` when it is over.
    flight: Option<watch::Receiver<bool>>,
}

/// What a request does about its key, decided under the lock and done after it.
enum Next {
    Found(Box<jsonwebtoken::jwk::Jwk>),
    /// A fetch is under way (maybe just started by this request): wait for it, then look again.
    Wait(watch::Receiver<bool>),
    /// No key, and no fetch allowed before the throttle lapses.
    Refused {
        have_keys: bool,
    },
}

impl IssuerKeys {
    fn lock(&self) -> std::sync::MutexGuard<'_, KeyState> {
        // The state is swapped whole, so a panic elsewhere cannot leave it half-written.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn found(&self, kid: &str) -> Result<jsonwebtoken::jwk::Jwk, AppError> {
        let state = self.lock();
        match &state.keys {
            Some(keys) => keys.find(kid).cloned().ok_or_else(unknown_key),
            None => Err(AppError::KeysUnavailable),
        }
    }
}

/// Clears the flight when the fetch task ends, however it ends (a panicking fetcher
/// included), so a later refresh can start.
struct Flight {
    slot: Arc<IssuerKeys>,
    done: watch::Sender<bool>,
}

impl Drop for Flight {
    fn drop(&mut self) {
        self.slot.lock().flight = None;
        let _ = self.done.send(true);
    }
}

pub struct Verifier {
    config: VerifierConfig,
    fetcher: Arc<dyn JwksFetcher>,
    /// One slot per allow-listed issuer, made up front.
    issuers: HashMap<String, Arc<IssuerKeys>>,
    /// Slots of the issuers the tenant directory named ([`Verifier::verify_for`]), made on first
    /// use: as many as the platform has tenant pools, since only the directory adds to it.
    directory_issuers: std::sync::Mutex<HashMap<String, Arc<IssuerKeys>>>,
}

#[derive(Debug, Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    token_use: Option<String>,
    #[serde(default)]
    aud: Option<serde_json::Value>,
    client_id: Option<String>,
    #[serde(rename = "custom:tenant-id")]
    tenant_id: Option<String>,
    #[serde(rename = "cognito:groups", default)]
    groups: Vec<String>,
}

/// Which issuers and clients a verification trusts.
#[derive(Clone, Copy)]
enum Trust<'a> {
    /// The verifier's configured allow-lists.
    Configured,
    /// One tenant's, from the tenant directory.
    Tenant(&'a TenantIssuer),
}

/// Only the issuer, read before the signature is checked, to pick (allow-listed) keys.
#[derive(Deserialize)]
struct Unverified {
    iss: Option<String>,
}

fn unauthorized(message: impl Into<String>) -> AppError {
    AppError::Unauthorized(message.into())
}

fn unknown_key() -> AppError {
    unauthorized("the token is signed with an unknown key")
}

impl Verifier {
    pub fn new(config: VerifierConfig, fetcher: Arc<dyn JwksFetcher>) -> Self {
        let issuers = config.issuers.iter().map(|i| (i.clone(), Arc::default())).collect();
        Self { config, fetcher, issuers, directory_issuers: Default::default() }
    }

    /// The key slot of `issuer`: an allow-listed one, or one the tenant directory named.
    fn slot(&self, issuer: &str, trust: Trust<'_>) -> Option<Arc<IssuerKeys>> {
        match trust {
            Trust::Configured => self.issuers.get(issuer).cloned(),
            Trust::Tenant(_) => {
                let mut slots = self.directory_issuers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                Some(slots.entry(issuer.to_owned()).or_default().clone())
            }
        }
    }

    /// The key with `kid` for `issuer`. An unknown `kid` starts one fetch of the issuer's keys
    /// if none is under way and none started within `min_refresh`; requests that need it wait
    /// for that fetch (bounded by `fetch_timeout`). Otherwise an unknown `kid` is refused at
    /// once, without a fetch: it cannot yield a key before the next allowed refresh.
    async fn key(&self, issuer: &str, kid: &str, trust: Trust<'_>) -> Result<DecodingKey, AppError> {
        let slot = self.slot(issuer, trust).ok_or_else(|| unauthorized("the token's issuer is not trusted"))?;
        let next = {
            let mut state = slot.lock();
            if let Some(jwk) = state.keys.as_ref().and_then(|keys| keys.find(kid)) {
                Next::Found(Box::new(jwk.clone()))
            } else if let Some(flight) = &state.flight {
                Next::Wait(flight.clone())
            } else if state.attempted.is_some_and(|at| at.elapsed() < self.config.min_refresh) {
                Next::Refused { have_keys: state.keys.is_some() }
            } else {
                state.attempted = Some(Instant::now());
                let (done, waiting) = watch::channel(false);
                state.flight = Some(waiting.clone());
                // Its own task: the fetch finishes (and is recorded) even if every request
                // that waits for it is dropped, for instance when their clients hang up.
                let flight = Flight { slot: slot.clone(), done };
                tokio::spawn(refresh(flight, self.fetcher.clone(), issuer.to_owned(), self.config.fetch_timeout));
                Next::Wait(waiting)
            }
        };
        let jwk = match next {
            Next::Found(jwk) => *jwk,
            Next::Refused { have_keys: true } => return Err(unknown_key()),
            Next::Refused { have_keys: false } => return Err(AppError::KeysUnavailable),
            Next::Wait(mut flight) => {
                // Closed only when the task is gone, which also ends the flight.
                let _ = flight.wait_for(|done| *done).await;
                slot.found(kid)?
            }
        };
        DecodingKey::from_jwk(&jwk).map_err(|_| unauthorized("the token's signing key is unusable"))
    }

    /// Verifies a tenant user's token: what [`Self::verify_admin`] checks, and a tenant claim.
    pub async fn verify(&self, token: &str) -> Result<TenantContext, AppError> {
        tenant_context(self.verified(token, Trust::Configured).await?)
    }

    /// Verifies a token of a user of `tenant`, whose users sign in at `sign_in`: signed by that
    /// issuer's keys, for that app client, and claiming `tenant` (403 otherwise). The
    /// verifier's own allow-lists play no part: this is how a service shared by every tenant
    /// verifies, with what the tenant directory holds for the tenant in the request's path. In a
    /// pool shared by tenants the issuer is theirs in common, and the claim tells them apart.
    pub async fn verify_for(
        &self,
        token: &str,
        tenant: &str,
        sign_in: &TenantIssuer,
    ) -> Result<TenantContext, AppError> {
        let context = tenant_context(self.verified(token, Trust::Tenant(sign_in)).await?)?;
        if context.tenant_id != tenant {
            return Err(AppError::Forbidden("this token is not for this tenant".into()));
        }
        Ok(context)
    }

    /// Verifies a provider administrator's token. Configure the verifier with the admin pool's
    /// issuer and the admin console's client only. A token with a tenant claim is refused even
    /// so: no tenant user is an administrator.
    pub async fn verify_admin(&self, token: &str) -> Result<AdminContext, AppError> {
        let claims = self.verified(token, Trust::Configured).await?;
        if claims.tenant_id.is_some_and(|t| !t.is_empty()) {
            return Err(AppError::Forbidden("a tenant user's token is not an administrator's".into()));
        }
        Ok(AdminContext { subject: claims.sub, issuer: claims.iss })
    }

    /// Signature, algorithm, issuer, lifetime and app client: what every token must pass.
    async fn verified(&self, token: &str, trust: Trust<'_>) -> Result<Claims, AppError> {
        let header = decode_header(token).map_err(|_| unauthorized("the bearer token is not a JWT"))?;
        if header.alg != Algorithm::RS256 {
            return Err(unauthorized("the token must be signed with RS256"));
        }
        let kid = header.kid.ok_or_else(|| unauthorized("the token names no signing key"))?;
        let claimed: Unverified = jsonwebtoken::dangerous::insecure_decode_claims(token)
            .map_err(|_| unauthorized("the token's claims are unreadable"))?;
        let issuer = claimed
            .iss
            .filter(|iss| match trust {
                Trust::Configured => self.config.issuers.contains(iss),
                Trust::Tenant(tenant) => *iss == tenant.issuer,
            })
            .ok_or_else(|| unauthorized("the token's issuer is not trusted"))?;
        let key = self.key(&issuer, &kid, trust).await?;

        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&issuer]);
        validation.leeway = self.config.leeway.as_secs();
        validation.validate_nbf = true;
        validation.validate_aud = false; // checked below: id tokens carry aud, access tokens client_id
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        let claims = decode::<Claims>(token, &key, &validation)
            .map_err(|err| unauthorized(format!("the token is not valid: {}", describe(&err))))?
            .claims;

        let client = match claims.token_use.as_deref() {
            Some("id") => match &claims.aud {
                Some(serde_json::Value::String(aud)) => Some(aud.clone()),
                Some(serde_json::Value::Array(auds)) if auds.len() == 1 => auds[0].as_str().map(str::to_owned),
                _ => None,
            },
            Some("access") => claims.client_id.clone(),
            _ => return Err(unauthorized("the token is neither an id nor an access token")),
        };
        let trusted = |c: &String| match trust {
            Trust::Configured => self.config.client_ids.contains(c),
            Trust::Tenant(tenant) => *c == tenant.client_id,
        };
        if !client.as_ref().is_some_and(trusted) {
            return Err(unauthorized("the token is for another app client"));
        }
        Ok(claims)
    }
}

fn tenant_context(claims: Claims) -> Result<TenantContext, AppError> {
    let tenant_id =
        claims.tenant_id.filter(|t| !t.is_empty()).ok_or_else(|| unauthorized("the token carries no tenant"))?;
    Ok(TenantContext { tenant_id, subject: claims.sub, issuer: claims.iss, groups: claims.groups })
}

/// One fetch of `issuer`'s keys. Its outcome is logged here, once per attempt, not once per
/// request that waited for it or was refused because of it.
async fn refresh(flight: Flight, fetcher: Arc<dyn JwksFetcher>, issuer: String, timeout: Duration) {
    let outcome = match tokio::time::timeout(timeout, fetcher.fetch(&issuer)).await {
        Ok(outcome) => outcome,
        Err(_) => Err(format!("no answer within {timeout:?}")),
    };
    match outcome {
        Ok(keys) => {
            tracing::info!(issuer, keys = keys.keys.len(), "signing keys fetched");
            flight.slot.lock().keys = Some(Arc::new(keys));
        }
        Err(error) => tracing::warn!(issuer, error, "signing keys not fetched; the next attempt is throttled"),
    }
    drop(flight);
}

fn describe(err: &jsonwebtoken::errors::Error) -> &'static str {
    use jsonwebtoken::errors::ErrorKind;
    match err.kind() {
        ErrorKind::ExpiredSignature => "it has expired",
        ErrorKind::ImmatureSignature => "it is not valid yet",
        ErrorKind::InvalidSignature => "its signature does not match",
        ErrorKind::InvalidIssuer => "its issuer is not trusted",
        ErrorKind::MissingRequiredClaim(_) => "a required claim is missing",
        _ => "it could not be verified",
    }
}

/// State that can verify tokens, and that knows which tenant this deployment serves.
pub trait HasVerifier {
    fn verifier(&self) -> &Verifier;
    /// The one tenant a dedicated deployment serves; `None` for a pooled one.
    fn served_tenant(&self) -> Option<&str>;
    /// The tenants a pooled deployment serves, if it is one: tokens are then verified against
    /// the issuer and client the tenant directory names for the path's tenant, and only for
    /// tenants of the pool's tier ([`crate::pooled::Tenants::admit`]).
    #[cfg(feature = "pooled")]
    fn pooled(&self) -> Option<&crate::pooled::Tenants> {
        None
    }
}

impl<T: HasVerifier> HasVerifier for Arc<T> {
    fn verifier(&self) -> &Verifier {
        (**self).verifier()
    }
    fn served_tenant(&self) -> Option<&str> {
        (**self).served_tenant()
    }
    #[cfg(feature = "pooled")]
    fn pooled(&self) -> Option<&crate::pooled::Tenants> {
        (**self).pooled()
    }
}

impl<S: HasVerifier + Send + Sync> FromRequestParts<S> for TenantContext {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        #[cfg(feature = "pooled")]
        if let Some(tenants) = state.pooled() {
            let context = tenants.admit(parts, state.verifier()).await?;
            if state.served_tenant().is_some_and(|served| served != context.tenant_id) {
                return Err(AppError::Forbidden("this service does not serve this tenant".into()));
            }
            return Ok(context);
        }
        let context = state.verifier().verify(bearer(parts)?).await?;
        if path_tenant(parts.uri.path()) != context.tenant_id {
            return Err(AppError::Forbidden("this token is not for this tenant".into()));
        }
        if state.served_tenant().is_some_and(|served| served != context.tenant_id) {
            return Err(AppError::Forbidden("this service does not serve this tenant".into()));
        }
        Ok(context)
    }
}

/// State that verifies administrators' tokens.
pub trait HasAdminVerifier {
    fn admin_verifier(&self) -> &Verifier;
}

impl<T: HasAdminVerifier> HasAdminVerifier for Arc<T> {
    fn admin_verifier(&self) -> &Verifier {
        (**self).admin_verifier()
    }
}

/// The tenant a path names: every tenant route starts with `/{tenant}/`.
pub fn path_tenant(path: &str) -> &str {
    path.trim_start_matches('/').split('/').next().unwrap_or_default()
}

/// The bearer token of a request (401 without one).
pub fn bearer(parts: &Parts) -> Result<&str, AppError> {
    parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unauthorized("a bearer token is required"))
}

impl<S: HasAdminVerifier + Send + Sync> FromRequestParts<S> for AdminContext {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        state.admin_verifier().verify_admin(bearer(parts)?).await
    }
}
