//! Configuration from the environment, named as the generated Deployments set it.

use std::env;

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
        if !issuer.starts_with("https://") && !issuer.starts_with("http://127.0.0.1") {
            return Err(ConfigError { name: "TENANT_ISSUER", problem: format!("`{issuer}` is not an https URL") });
        }
        Ok(Self {
            region: var("AWS_REGION")?,
            port: port.parse().map_err(|_| ConfigError { name: "PORT", problem: format!("`{port}` is not a port") })?,
            storage,
            table: var("TABLE_NAME")?,
            tenant_id: var("TENANT_ID")?,
            issuer,
            client_id: var("TENANT_CLIENT_ID")?,
            endpoint_url: env::var("AWS_ENDPOINT_URL").ok().filter(|v| !v.is_empty()),
        })
    }
}
