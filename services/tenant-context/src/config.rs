//! Configuration from the environment, named as the generated Deployments set it, plus
//! optional settings with defaults (so the generated Deployments need not set them).
//!
//! Two modes, chosen by POOL_TIER. Unset: dedicated compute ([`Config`], [`ENVIRONMENT`]), one
//! tenant per Deployment, named by TENANT_ID with its issuer and client. Set: pooled compute
//! ([`PooledConfig`], [`POOLED_ENVIRONMENT`]), one Deployment for every tenant of the tier, which
//! learns each tenant's issuer, client and access role from the tenant table per request, so
//! neither TENANT_ID, TENANT_ISSUER nor TENANT_CLIENT_ID may be set.

use std::env;
use std::net::IpAddr;
use std::time::Duration;

use reqwest::Url;

use crate::serve::Limits;

/// Optional settings, each with a default ([`Limits::default`]); unset in the generated
/// Deployments. AWS_ENDPOINT_URL (a local DynamoDB) is optional too, and the order service
/// reads PRODUCT_TABLE_NAME (default derived from TABLE_NAME, see `order::product_table`).
pub const OPTIONAL_ENVIRONMENT: [&str; 4] =
    ["HEADER_READ_TIMEOUT_SECS", "IDLE_TIMEOUT_SECS", "MAX_CONNECTIONS", "REQUEST_TIMEOUT_SECS"];

/// The environment a service reads: exactly what the generated Deployments set.
pub const ENVIRONMENT: [&str; 7] =
    ["AWS_REGION", "PORT", "STORAGE_MODEL", "TABLE_NAME", "TENANT_CLIENT_ID", "TENANT_ID", "TENANT_ISSUER"];

/// The environment a pooled service reads (POOL_TIER set), exactly what a generated pooled
/// Deployment sets; the order service also reads PRODUCT_TABLE_NAME (`order::POOLED_ENVIRONMENT`).
/// AWS_ENDPOINT_URL and [`OPTIONAL_ENVIRONMENT`] are optional, as in dedicated mode.
pub const POOLED_ENVIRONMENT: [&str; 6] =
    ["AWS_REGION", "PORT", "POOL_TIER", "STORAGE_MODEL", "TABLE_NAME", "TENANT_TABLE_NAME"];

/// What selects pooled mode.
pub const POOL_TIER: &str = "POOL_TIER";

/// What a silo TABLE_NAME holds in pooled mode, for the request's tenant id to fill.
pub const TENANT_PLACEHOLDER: &str = "{tenant}";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageModel {
    Silo,
    Pool,
}

impl StorageModel {
    fn parse(name: &'static str, value: &str) -> Result<Self, ConfigError> {
        match value {
            "silo" => Ok(StorageModel::Silo),
            "pool" => Ok(StorageModel::Pool),
            other => Err(ConfigError { name, problem: format!("`{other}` is not silo or pool") }),
        }
    }
}

/// A service's table: one table whatever the tenant (the pool layout, keyed by TenantId, or a
/// dedicated Deployment's own silo table), or one per tenant named by a pattern (the silo layout
/// in pooled mode, `saas-order-{tenant}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableName {
    Fixed(String),
    PerTenant(String),
}

impl TableName {
    /// The table `tenant`'s items are in.
    pub fn of(&self, tenant: &str) -> String {
        match self {
            TableName::Fixed(table) => table.clone(),
            TableName::PerTenant(pattern) => pattern.replace(TENANT_PLACEHOLDER, tenant),
        }
    }

    /// The table itself, if it is one table (not a table per tenant).
    pub fn single(&self) -> Option<&str> {
        match self {
            TableName::Fixed(table) => Some(table),
            TableName::PerTenant(_) => None,
        }
    }

    /// TABLE_NAME of a pooled Deployment for `storage`: a silo pattern must hold `{tenant}`
    /// (once), a pool table must not.
    pub fn pooled(name: &'static str, storage: StorageModel, value: &str) -> Result<Self, ConfigError> {
        let holes = value.matches(TENANT_PLACEHOLDER).count();
        match (storage, holes) {
            (StorageModel::Silo, 1) => Ok(TableName::PerTenant(value.to_owned())),
            (StorageModel::Silo, _) => Err(ConfigError {
                name,
                problem: format!(
                    "`{value}` must hold {TENANT_PLACEHOLDER} exactly once for STORAGE_MODEL silo in pooled mode \
                     (a table per tenant, e.g. `saas-order-{TENANT_PLACEHOLDER}`)"
                ),
            }),
            (StorageModel::Pool, 0) => Ok(TableName::Fixed(value.to_owned())),
            (StorageModel::Pool, _) => Err(ConfigError {
                name,
                problem: format!(
                    "`{value}` holds {TENANT_PLACEHOLDER}, but STORAGE_MODEL pool is one table shared by the tier's tenants"
                ),
            }),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub region: String,
    pub port: u16,
    pub storage: StorageModel,
    pub table: String,
    /// The tenant this deployment serves (dedicated compute: one tenant per namespace).
    pub tenant_id: String,
    /// The token issuer of that tenant, and the app client tokens must be for.
    pub issuer: String,
    pub client_id: String,
    /// An endpoint for DynamoDB (a local emulator); unset on AWS.
    pub endpoint_url: Option<String>,
    /// Connection timeouts and cap.
    pub limits: Limits,
}

#[derive(Debug, thiserror::Error)]
#[error("environment variable {name}: {problem}")]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
}

fn var(name: &'static str) -> Result<String, ConfigError> {
    match env::var(name) {
        Ok(value) if !value.trim().is_empty() => Ok(value),
        _ => Err(ConfigError { name, problem: "is not set".into() }),
    }
}

impl Config {
    /// Reads AWS_REGION, PORT, STORAGE_MODEL, TABLE_NAME, TENANT_ID, TENANT_ISSUER,
    /// TENANT_CLIENT_ID and, optionally, AWS_ENDPOINT_URL.
    pub fn from_env() -> Result<Self, ConfigError> {
        let storage = StorageModel::parse("STORAGE_MODEL", &var("STORAGE_MODEL")?)?;
        let issuer = var("TENANT_ISSUER")?;
        check_issuer(&issuer).map_err(|problem| ConfigError { name: "TENANT_ISSUER", problem })?;
        Ok(Self {
            region: var("AWS_REGION")?,
            port: port()?,
            storage,
            table: var("TABLE_NAME")?,
            tenant_id: var("TENANT_ID")?,
            issuer,
            client_id: var("TENANT_CLIENT_ID")?,
            endpoint_url: env::var("AWS_ENDPOINT_URL").ok().filter(|v| !v.is_empty()),
            limits: limits()?,
        })
    }
}

fn port() -> Result<u16, ConfigError> {
    let port = var("PORT")?;
    port.parse().map_err(|_| ConfigError { name: "PORT", problem: format!("`{port}` is not a port") })
}

/// Whether the environment selects pooled mode (POOL_TIER is set and not blank).
pub fn pooled() -> bool {
    env::var(POOL_TIER).is_ok_and(|v| !v.trim().is_empty())
}

/// A pooled Deployment's configuration ([`POOLED_ENVIRONMENT`]).
#[derive(Debug, Clone)]
pub struct PooledConfig {
    pub region: String,
    pub port: u16,
    /// The tier this pool serves: a tenant whose record names another tier is refused.
    pub tier: String,
    /// The layout this tier keeps this service's data in.
    pub storage: StorageModel,
    /// The shared table (pool), or the per-tenant pattern (silo).
    pub table: TableName,
    /// The tenant table (the tenant directory), read with the pod's own credentials.
    pub tenant_table: String,
    pub endpoint_url: Option<String>,
    pub limits: Limits,
}

impl PooledConfig {
    /// Reads [`POOLED_ENVIRONMENT`] and, optionally, AWS_ENDPOINT_URL and the limits. Refuses
    /// the dedicated variables (TENANT_ID, TENANT_ISSUER, TENANT_CLIENT_ID): a pooled Deployment
    /// that also names one tenant is a mistake in whatever generated it, not a setting to guess.
    pub fn from_env() -> Result<Self, ConfigError> {
        for name in ["TENANT_ID", "TENANT_ISSUER", "TENANT_CLIENT_ID"] {
            if env::var(name).is_ok_and(|v| !v.trim().is_empty()) {
                return Err(ConfigError {
                    name,
                    problem: "is set, but POOL_TIER selects pooled mode, which serves every tenant of its tier".into(),
                });
            }
        }
        let tier = var(POOL_TIER)?.trim().to_owned();
        let tier_ok = tier.len() <= 30
            && tier.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !tier.starts_with('-')
            && !tier.ends_with('-');
        if !tier_ok {
            return Err(ConfigError {
                name: POOL_TIER,
                problem: format!("`{tier}` is not a tier name (a DNS label of at most 30 characters)"),
            });
        }
        let storage = StorageModel::parse("STORAGE_MODEL", &var("STORAGE_MODEL")?)?;
        Ok(Self {
            region: var("AWS_REGION")?,
            port: port()?,
            tier,
            storage,
            table: TableName::pooled("TABLE_NAME", storage, &var("TABLE_NAME")?)?,
            tenant_table: var("TENANT_TABLE_NAME")?,
            endpoint_url: env::var("AWS_ENDPOINT_URL").ok().filter(|v| !v.is_empty()),
            limits: limits()?,
        })
    }
}

/// The issuer URL as a URL, not as a prefix: https, or plain http only to a loopback IP literal
/// (a local stand-in issuer in tests), never with userinfo. A prefix check let
/// `http://127.0.0.1@localhost/...` (userinfo `127.0.0.1`, host `localhost`) and
/// `http://127.0.0.1.nip.io/...` through (D3 of the 2026-12 services review).
pub fn check_issuer(issuer: &str) -> Result<(), String> {
    let url = Url::parse(issuer).map_err(|err| format!("`{issuer}` is not a URL: {err}"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("`{issuer}` carries userinfo (`user@`): name the host alone"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("`{issuer}` has a query or fragment; an issuer has neither"));
    }
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(_)) | None => false,
    };
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if loopback => Ok(()),
        "http" => Err(format!("`{issuer}` is plain http to a host that is not a loopback IP address; use https")),
        _ => Err(format!("`{issuer}` is not an https URL")),
    }
}

fn limits() -> Result<Limits, ConfigError> {
    let defaults = Limits::default();
    let number = |name: &'static str| -> Result<Option<u64>, ConfigError> {
        match env::var(name) {
            Ok(value) if !value.trim().is_empty() => match value.trim().parse::<u64>() {
                Ok(n) if n > 0 => Ok(Some(n)),
                _ => Err(ConfigError { name, problem: format!("`{value}` is not a positive whole number") }),
            },
            _ => Ok(None),
        }
    };
    let seconds = |name, default| Ok::<_, ConfigError>(number(name)?.map_or(default, Duration::from_secs));
    Ok(Limits {
        header_read_timeout: seconds("HEADER_READ_TIMEOUT_SECS", defaults.header_read_timeout)?,
        idle_timeout: seconds("IDLE_TIMEOUT_SECS", defaults.idle_timeout)?,
        request_timeout: seconds("REQUEST_TIMEOUT_SECS", defaults.request_timeout)?,
        max_connections: match number("MAX_CONNECTIONS")? {
            Some(n) => usize::try_from(n)
                .ok()
                .filter(|n| *n <= tokio::sync::Semaphore::MAX_PERMITS)
                .ok_or(ConfigError { name: "MAX_CONNECTIONS", problem: format!("{n} is too large") })?,
            None => defaults.max_connections,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::{StorageModel, TableName, check_issuer};

    #[test]
    fn a_pooled_table_name_is_a_pattern_for_silo_and_a_table_for_pool() {
        use StorageModel::{Pool, Silo};
        for (storage, value, expect) in [
            (Silo, "saas-order-{tenant}", Ok(TableName::PerTenant("saas-order-{tenant}".into()))),
            (Pool, "saas-order", Ok(TableName::Fixed("saas-order".into()))),
            (Silo, "saas-order", Err("must hold {tenant}")),
            (Silo, "saas-{tenant}-{tenant}", Err("must hold {tenant}")),
            (Pool, "saas-order-{tenant}", Err("holds {tenant}")),
        ] {
            match (TableName::pooled("TABLE_NAME", storage, value), expect) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{value}"),
                (Err(err), Err(part)) => {
                    assert_eq!(err.name, "TABLE_NAME");
                    assert!(err.to_string().contains(part), "{value}: {err}");
                }
                (got, want) => panic!("{storage:?} {value}: got {got:?}, want {want:?}"),
            }
        }
        let silo = TableName::PerTenant("saas-order-{tenant}".into());
        assert_eq!((silo.of("acme"), silo.single()), ("saas-order-acme".to_owned(), None));
        let pool = TableName::Fixed("saas-product".into());
        assert_eq!((pool.of("acme"), pool.single()), ("saas-product".to_owned(), Some("saas-product")));
    }

    fn check(issuer: &str, expect: Result<(), &str>) {
        match (check_issuer(issuer), expect) {
            (Ok(()), Ok(())) => {}
            (Err(problem), Err(part)) => assert!(problem.contains(part), "{issuer}: {problem}"),
            (got, want) => panic!("{issuer}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn issuers_are_https_or_plain_http_to_a_loopback_ip_only() {
        check("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123", Ok(()));
        check("https://issuer.example:8443/acme", Ok(()));
        check("http://127.0.0.1:5701/acme", Ok(()));
        check("http://127.3.4.5/acme", Ok(()));
        check("http://[::1]:5701/acme", Ok(()));
        // D3 of the 2026-12 services review: the prefix check accepted these two.
        check("http://127.0.0.1@localhost:5701/acme", Err("userinfo"));
        check("http://127.0.0.1.nip.io.invalid/acme", Err("not a loopback"));
        check("http://localhost:5701/acme", Err("not a loopback"));
        check("http://10.0.0.1/acme", Err("not a loopback"));
        check("http://[::ffff:8.8.8.8]/acme", Err("not a loopback"));
        check("https://user:secret@issuer.example/acme", Err("userinfo"));
        check("https://issuer.example/acme?x=1", Err("query"));
        check("ftp://127.0.0.1/acme", Err("not an https URL"));
        check("127.0.0.1:5701/acme", Err("not"));
        check("", Err("not a URL"));
    }
}
