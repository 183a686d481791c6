//! Pooled compute: one Deployment of a service serves every tenant of a tier ([`Tenants`]).
//!
//! Per request, for the tenant the path names:
//!
//! 1. its record in the tenant directory, through a bounded cache with a short lifetime (so a
//!    tenant onboarded later is served once its record exists, without a restart): none (or
//!    deleted) is a 404 naming the tenant; another tier is a 403 (a token of another tier's
//!    tenant is refused however well signed);
//! 2. the bearer token, verified against the issuer and client that record names
//!    ([`crate::Verifier::verify_for`]: the claim must be the path's tenant);
//! 3. a DynamoDB client with credentials vended for that tenant alone ([`vending`]: STS
//!    AssumeRole on the record's `AccessRoleArn` with the session tag `TenantId`), cached with the
//!    credentials until [`Settings::session_margin`] before they expire. A record without an
//!    access role (not provisioned yet) and a failed vend are 503s; never the pod's own
//!    credentials instead.
//!
//! The stores receive the client through [`crate::TenantData`] and do not know the mode.
//!
//! What it does not do: decide what a tenant may do (the access role's policy does, keyed to
//! the session tag), write the directory (the plan's register step does), or serve a tenant of
//! another tier. The pod's own role is used for the directory read, STS, and readiness
//! (DescribeTable: a table's metadata, never its items) only: [`POD_IAM_ACTIONS`].

mod cache;
pub mod vending;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::http::request::Parts;
use tenancy_registry::{Directory, SignIn};

use crate::data::TenantData;
use crate::error::AppError;
use crate::identity::{TenantContext, TenantIssuer, Verifier, bearer, path_tenant};
pub use cache::Cache;
pub use vending::{SESSION_SECONDS, StsVending, TENANT_TAG, VENDING_IAM_ACTIONS, Vended, Vending};

/// What the pooled pod reads of the tenant table (GetItem of the path's tenant, and of a probe
/// key for readiness), with its own credentials: the tenant directory's actions.
pub use tenancy_registry::directory::IAM_ACTIONS as DIRECTORY_IAM_ACTIONS;

/// Everything a pooled pod's own role calls through this module: the directory read and the
/// vending. The stores' readiness adds DescribeTable on their shared tables (their
/// `READY_IAM_ACTIONS`); nothing here touches tenant data.
pub const POD_IAM_ACTIONS: [&str; 3] = ["dynamodb:GetItem", "sts:AssumeRole", "sts:TagSession"];

/// The key readiness reads in the tenant table: no tenant id has a dot, so it is nobody's.
pub const READY_PROBE: &str = ".ready";

/// The caches' sizes and lifetimes. Defaults: [`Settings::default`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Directory records held at once. Default 4096.
    pub directory_entries: usize,
    /// How long a record is reused: how long a tier change or an offboarding takes to reach
    /// this pod. Default 30 s.
    pub directory_ttl: Duration,
    /// How long "no such tenant" is reused: how long a new tenant waits after its record is
    /// written. Shorter than a record's, and it bounds the directory reads unknown tenants can
    /// cause to one per tenant id per lifetime. Default 5 s.
    pub absent_ttl: Duration,
    /// Vended sessions (and their clients) held at once. Default 1024.
    pub session_entries: usize,
    /// A session is vended again when less than this is left of it, so no request starts with
    /// credentials about to expire. Default 120 s (of STS's 900 s).
    pub session_margin: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            directory_entries: 4096,
            directory_ttl: Duration::from_secs(30),
            absent_ttl: Duration::from_secs(5),
            session_entries: 1024,
            session_margin: Duration::from_secs(120),
        }
    }
}

/// The tenants a pooled Deployment serves: those of `tier` in the tenant directory.
pub struct Tenants {
    tier: String,
    directory: Arc<dyn Directory>,
    vending: Arc<dyn Vending>,
    /// What every tenant's client is built from (region, endpoint, the shared HTTPS client).
    sdk: aws_config::SdkConfig,
    /// The pod's own client: readiness only.
    pod: aws_sdk_dynamodb::Client,
    settings: Settings,
    records: Cache<String, Result<Option<SignIn>, String>>,
    sessions: Cache<(String, String), Result<aws_sdk_dynamodb::Client, String>>,
}

impl Tenants {
    /// The tenants of `tier`, found in `directory`, whose data is reached with credentials from
    /// `vending`; clients are built from `sdk` (whose own credentials are the pod's).
    pub fn new(
        tier: &str,
        directory: Arc<dyn Directory>,
        vending: Arc<dyn Vending>,
        sdk: aws_config::SdkConfig,
        settings: Settings,
    ) -> Self {
        Self {
            tier: tier.to_owned(),
            directory,
            vending,
            pod: aws_sdk_dynamodb::Client::new(&sdk),
            sdk,
            records: Cache::new(settings.directory_entries),
            sessions: Cache::new(settings.session_entries),
            settings,
        }
    }

    /// The tier this pool serves.
    pub fn tier(&self) -> &str {
        &self.tier
    }

    /// How many sessions are cached (for tests and benchmarks).
    pub fn cached_sessions(&self) -> usize {
        self.sessions.len()
    }

    /// The directory record of `tenant`, if this pool serves it: 404 for an id no tenant can
    /// have or none has, 403 for a tenant of another tier, 503 when the directory is unreachable.
    pub async fn record(&self, tenant: &str) -> Result<SignIn, AppError> {
        let absent = || AppError::NotFound(format!("no tenant `{}`", shown(tenant)));
        // A path segment is anything a client sends: only a tenant id is looked up.
        tenancy::model::TenantId::parse(tenant).map_err(|_| absent())?;
        let found = self
            .records
            .get(&tenant.to_owned(), || async {
                match self.directory.sign_in(tenant).await {
                    Ok(Some(record)) => (Ok(Some(record)), self.settings.directory_ttl),
                    Ok(None) => (Ok(None), self.settings.absent_ttl),
                    Err(err) => (Err(err.to_string()), Duration::ZERO),
                }
            })
            .await;
        let record = found.map_err(AppError::Unavailable)?.ok_or_else(absent)?;
        if record.tier.as_deref() != Some(self.tier.as_str()) {
            return Err(AppError::Forbidden(format!(
                "tenant `{tenant}` is not served by this pool (tier `{}`)",
                self.tier
            )));
        }
        Ok(record)
    }

    /// Admits a request: the path's tenant is one of this pool's (see [`Tenants::record`]),
    /// and the bearer token is a user's of that tenant, verified against the issuer and client
    /// its record names. A request without a token is a 401 before anything is looked up.
    pub async fn admit(&self, parts: &Parts, verifier: &Verifier) -> Result<TenantContext, AppError> {
        let token = bearer(parts)?;
        let tenant = path_tenant(parts.uri.path());
        let record = self.record(tenant).await?;
        let sign_in = TenantIssuer { issuer: record.issuer.clone(), client_id: record.client_id.clone() };
        let context = verifier.verify_for(token, tenant, &sign_in).await?;
        access_role(tenant, &record)?;
        Ok(context)
    }

    /// Whether the tenant directory answers, read with the pod's own credentials.
    pub async fn ready(&self) -> Result<(), AppError> {
        self.directory
            .sign_in(READY_PROBE)
            .await
            .map(|_| ())
            .map_err(|err| AppError::Unavailable(format!("the tenant directory: {err}")))
    }

    /// A client with credentials for `tenant` from `role`: a cached one while more than the
    /// margin is left, else vended now (one vend for every request waiting on the same tenant).
    async fn session(&self, tenant: &str, role: &str) -> Result<aws_sdk_dynamodb::Client, AppError> {
        let key = (tenant.to_owned(), role.to_owned());
        self.sessions
            .get(&key, || async {
                match self.vending.vend(tenant, role).await {
                    Ok(vended) => {
                        let config = aws_sdk_dynamodb::config::Builder::from(&self.sdk)
                            .credentials_provider(vended.credentials)
                            .build();
                        tracing::debug!(tenant, role, valid_for = ?vended.valid_for, "credentials vended");
                        let reuse = vended.valid_for.saturating_sub(self.settings.session_margin);
                        (Ok(aws_sdk_dynamodb::Client::from_conf(config)), reuse)
                    }
                    Err(problem) => (Err(problem), Duration::ZERO),
                }
            })
            .await
            .map_err(|problem| AppError::Unavailable(format!("credentials for tenant {tenant}: {problem}")))
    }
}

/// The access role of `tenant`'s record: a 503 until the plan's register step has written it.
fn access_role<'a>(tenant: &str, record: &'a SignIn) -> Result<&'a str, AppError> {
    record.access_role_arn.as_deref().filter(|arn| !arn.is_empty()).ok_or_else(|| {
        AppError::Unavailable(format!("tenant {tenant} has no AccessRoleArn in the tenant table: not provisioned yet"))
    })
}

#[async_trait]
impl TenantData for Tenants {
    async fn dynamodb(&self, tenant: &str) -> Result<aws_sdk_dynamodb::Client, AppError> {
        // Asked again (a cache hit after admission), so a store can never reach a tenant this
        // pool does not serve, nor use a role the directory no longer names.
        let record = self.record(tenant).await?;
        let role = access_role(tenant, &record)?;
        self.session(tenant, role).await
    }

    fn pod_dynamodb(&self) -> &aws_sdk_dynamodb::Client {
        &self.pod
    }
}

/// At most 64 characters of a path segment, control characters escaped, for an error message.
fn shown(text: &str) -> String {
    text.chars().take(64).flat_map(char::escape_debug).collect()
}
