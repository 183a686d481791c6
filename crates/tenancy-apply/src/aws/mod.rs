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
use std::sync::Arc;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudformation::config::http::HttpResponse;
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

    /// Polls `probe` until it yields a value (`Ok(Some)`), doubling the wait from `poll` up to
    /// `max_poll`. The wait is bounded by `timeout` in time, not in rounds (rounds of growing
    /// length made a three-hour timeout about thirty hours). A transient error while polling
    /// (a throttled describe call) is polled through, up to [`POLL_ERRORS`] in a row, instead
    /// of sending the engine back to the start of the step.
    pub async fn poll<T, F, Fut>(&self, what: &str, mut probe: F) -> Result<T, StepError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Option<T>, StepError>>,
    {
        let started = tokio::time::Instant::now();
        let deadline = started + self.options.timeout;
        let mut wait = self.options.poll.max(Duration::from_millis(1));
        let mut errors = 0;
        loop {
            match probe().await {
                Ok(Some(value)) => return Ok(value),
                Ok(None) => errors = 0,
                Err(err) if err.transient && errors < POLL_ERRORS => errors += 1,
                Err(err) => return Err(err),
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Err(StepError::fatal(format!(
                    "{what} did not finish within {}s (--timeout)",
                    self.options.timeout.as_secs()
                )));
            }
            tokio::time::sleep(wait.min(deadline - now)).await;
            wait = wait.saturating_mul(2).min(self.options.max_poll.max(self.options.poll));
        }
    }
}

/// Transient errors in a row that a poll rides out before it gives up on the attempt.
pub const POLL_ERRORS: u32 = 5;

/// The error and its causes, one after another: what `DisplayErrorContext` prints, without
/// the `Debug` dump of the whole response it appends.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Error codes that mean "try again later" whatever the HTTP status says.
const TRANSIENT_CODES: [&str; 8] = [
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestTimeout",
    "ServiceUnavailable",
    "InternalFailure",
];

/// Turns an SDK error into a step error. Transient: throttling, every 5xx and 429 (a
/// 503 or an empty 500 has no error code, and outlasting the SDK's own three attempts does not
/// make it permanent), timeouts and dispatch failures. The message carries the HTTP status,
/// the request id (what AWS support asks for) and the SDK's whole error chain.
pub fn sdk_error<E>(what: &str, err: SdkError<E, HttpResponse>) -> StepError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    let request_id = err
        .raw_response()
        .and_then(|r| {
            ["x-amzn-requestid", "x-amz-request-id"]
                .iter()
                .find_map(|h| r.headers().get(*h).filter(|id| !id.is_empty()).map(str::to_owned))
        })
        .or_else(|| err.as_service_error().and_then(|e| e.meta().extra("aws_request_id")).map(str::to_owned));
    let context = format!(
        "{}{}",
        status.map(|s| format!("HTTP {s}")).unwrap_or_else(|| "no HTTP response".into()),
        request_id.map(|id| format!(", request id {id}")).unwrap_or_default(),
    );
    let chain = error_chain(&err);
    let transient_status = status.is_some_and(|s| s >= 500 || s == 429);
    match &err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            StepError::transient(format!("{what}: {chain} ({context})"))
        }
        SdkError::ServiceError(service) => {
            let code = service.err().code();
            let text = match (code, service.err().message()) {
                (Some(code), Some(message)) => format!("{what}: {code}: {message} ({context}; {chain})"),
                (Some(code), None) => format!("{what}: {code} ({context}; {chain})"),
                (None, _) => format!("{what}: {context} ({chain})"),
            };
            if transient_status || code.is_some_and(|c| TRANSIENT_CODES.contains(&c)) {
                StepError::transient(text)
            } else {
                StepError::fatal(text)
            }
        }
        _ => StepError::fatal(format!("{what}: {chain} ({context})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksError;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    fn service_error(status: u16, code: Option<&str>, message: Option<&str>) -> StepError {
        let mut meta = ErrorMetadata::builder();
        if let Some(code) = code {
            meta = meta.code(code);
        }
        if let Some(message) = message {
            meta = meta.message(message);
        }
        let mut raw = HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::empty());
        raw.headers_mut().insert("x-amzn-RequestId", "req-1234");
        sdk_error(
            "describe stack saas-delivery",
            SdkError::service_error(DescribeStacksError::generic(meta.build()), raw),
        )
    }

    #[test]
    fn five_hundreds_and_throttling_are_transient_and_every_message_names_status_request_and_chain() {
        for (status, code, message, transient) in [
            // A bare 503 and an empty 500 carry no error code: the case that was fatal as
            // "Error: no message".
            (503, None, None, true),
            (500, None, None, true),
            (502, Some("InternalFailure"), Some("try again"), true),
            (429, None, None, true),
            (400, Some("Throttling"), Some("Rate exceeded"), true),
            (400, Some("ThrottlingException"), None, true),
            (400, Some("ValidationError"), Some("Template format error"), false),
            (403, Some("AccessDenied"), Some("not authorized"), false),
        ] {
            let err = service_error(status, code, message);
            assert_eq!(err.transient, transient, "{status} {code:?}: {err}");
            let text = &err.message;
            assert!(text.starts_with("describe stack saas-delivery: "), "{text}");
            assert!(text.contains(&format!("HTTP {status}")), "{text}");
            assert!(text.contains("request id req-1234"), "{text}");
            assert!(text.contains("service error"), "the SDK's chain: {text}");
            assert!(!text.contains("no message"), "{text}");
            if let Some(message) = message {
                assert!(text.contains(message), "{text}");
            }
        }
    }
}
