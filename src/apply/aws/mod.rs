//! Providers that reach AWS through the official SDK: CloudFormation, CodeBuild, and the tenant
//! registry in DynamoDB, plus the journal and lock in DynamoDB. Every client honours
//! `--endpoint-url` (and `AWS_ENDPOINT_URL`), so the whole engine runs against an emulator.

pub mod bootstrap;
pub mod cloudformation;
pub mod codebuild;
pub mod register;
pub mod registry;
pub mod source;
pub mod state;

pub use cloudformation::CloudFormation;
pub use codebuild::CodeBuild;
pub use register::Register;
pub use registry::Ecr;
pub use state::{DynamoState, LEASE, Lease, RENEW_EVERY};

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};
use tokio::sync::Mutex;

use super::provider::StepError;

/// How providers reach AWS and how patiently they wait.
#[derive(Debug, Clone)]
pub struct AwsOptions {
    /// An endpoint for every service (a local emulator); `None`: AWS, or `AWS_ENDPOINT_URL`.
    pub endpoint_url: Option<String>,
    /// The first wait between polls of a long operation; it grows to `max_poll`.
    pub poll: Duration,
    pub max_poll: Duration,
    /// Give up on one operation (a stack update, a build) after this long.
    pub timeout: Duration,
}

impl Default for AwsOptions {
    fn default() -> Self {
        Self {
            endpoint_url: None,
            poll: Duration::from_secs(2),
            max_poll: Duration::from_secs(20),
            timeout: Duration::from_secs(3 * 3600),
        }
    }
}

/// SDK configurations by region, loaded once each.
#[derive(Clone)]
pub struct Configs {
    options: AwsOptions,
    loaded: Arc<Mutex<BTreeMap<String, SdkConfig>>>,
}

impl Configs {
    pub fn new(options: AwsOptions) -> Self {
        Self { options, loaded: Arc::new(Mutex::new(BTreeMap::new())) }
    }

    pub fn options(&self) -> &AwsOptions {
        &self.options
    }

    pub async fn get(&self, region: &str) -> SdkConfig {
        let mut loaded = self.loaded.lock().await;
        if let Some(config) = loaded.get(region) {
            return config.clone();
        }
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).region(Region::new(region.to_owned()));
        if let Some(url) = &self.options.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let config = loader.load().await;
        loaded.insert(region.to_owned(), config.clone());
        config
    }

    /// Waits before the next poll: doubling from `poll` up to `max_poll`.
    pub async fn pause(&self, round: u32) {
        let wait = self.options.poll.saturating_mul(1 << round.min(8)).min(self.options.max_poll);
        tokio::time::sleep(wait).await;
    }

    /// How many poll rounds fit in the timeout (a bound on every wait loop).
    pub fn max_rounds(&self) -> u32 {
        let per_round = self.options.poll.max(Duration::from_millis(1));
        u32::try_from(self.options.timeout.as_millis() / per_round.as_millis()).unwrap_or(u32::MAX).max(1)
    }
}

/// Turns an SDK error into a step error: throttling, timeouts and dispatch failures are
/// transient; the service's own message is kept.
pub fn sdk_error<E, R>(what: &str, err: SdkError<E, R>) -> StepError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: Debug,
{
    let transient_codes = ["Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"];
    match &err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            StepError::transient(format!("{what}: {}", aws_smithy_error_text(&err)))
        }
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("Error");
            let message = service.err().message().unwrap_or("no message");
            let text = format!("{what}: {code}: {message}");
            if transient_codes.contains(&code) { StepError::transient(text) } else { StepError::fatal(text) }
        }
        _ => StepError::fatal(format!("{what}: {}", aws_smithy_error_text(&err))),
    }
}

fn aws_smithy_error_text<E: std::error::Error + 'static, R: Debug>(err: &SdkError<E, R>) -> String {
    use std::error::Error;
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
