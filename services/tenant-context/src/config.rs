//! Configuration from the environment, named as the generated Deployments set it, plus
//! optional settings with defaults (so the generated Deployments need not set them).

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageModel {
    Silo,
    Pool,
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
        let port = var("PORT")?;
        let storage = match var("STORAGE_MODEL")?.as_str() {
            "silo" => StorageModel::Silo,
            "pool" => StorageModel::Pool,
            other => {
                return Err(ConfigError { name: "STORAGE_MODEL", problem: format!("`{other}` is not silo or pool") });
            }
        };
        let issuer = var("TENANT_ISSUER")?;
        check_issuer(&issuer).map_err(|problem| ConfigError { name: "TENANT_ISSUER", problem })?;
        Ok(Self {
            region: var("AWS_REGION")?,
            port: port.parse().map_err(|_| ConfigError { name: "PORT", problem: format!("`{port}` is not a port") })?,
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
    use super::check_issuer;

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
