//! The source bundle in S3: pushing a version, and finding the version that carries a plan.

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;

use super::{Configs, sdk_error};
use crate::provider::StepError;
use crate::source::{COMMIT_METADATA, PLAN_METADATA, SOURCE_KEY};

/// How many versions of the bundle a lookup reads, newest first, before it gives up: far
/// more than the pushes between a plan's synth and its apply.
pub const VERSIONS_SEARCHED: usize = 100;

/// Declared in the core, where `verify` reads it too.
pub use tenancy::contract::calls::SOURCE_IAM_ACTIONS as IAM_ACTIONS;

async fn client(configs: &Configs, region: &str) -> Client {
    let config = configs.get(region).await;
    Client::from_conf(aws_sdk_s3::config::Builder::from(&config).force_path_style(true).build())
}

/// Uploads `bytes` as a new version of the bundle; returns the version id.
pub async fn push(
    configs: &Configs,
    region: &str,
    bucket: &str,
    bytes: Vec<u8>,
    plan_sha256: &str,
    commit: &str,
) -> Result<String, StepError> {
    let out = client(configs, region)
        .await
        .put_object()
        .bucket(bucket)
        .key(SOURCE_KEY)
        .content_type("application/zip")
        .metadata(PLAN_METADATA, plan_sha256)
        .metadata(COMMIT_METADATA, commit)
        .body(ByteStream::from(bytes))
        .send()
        .await
        .map_err(|e| sdk_error(&format!("upload s3://{bucket}/{SOURCE_KEY}"), e))?;
    out.version_id().map(str::to_owned).ok_or_else(|| {
        StepError::fatal(format!("s3://{bucket} is not versioned: the pipeline's source needs versions"))
    })
}

/// The newest version of the bundle that carries the plan of digest `plan_sha256`.
pub async fn find(configs: &Configs, region: &str, bucket: &str, plan_sha256: &str) -> Result<String, StepError> {
    let s3 = client(configs, region).await;
    let listed = s3
        .list_object_versions()
        .bucket(bucket)
        .prefix(SOURCE_KEY)
        .max_keys(i32::try_from(VERSIONS_SEARCHED).unwrap_or(100))
        .send()
        .await
        .map_err(|e| sdk_error(&format!("list the versions of s3://{bucket}/{SOURCE_KEY}"), e))?;
    let mut versions: Vec<_> =
        listed.versions().iter().filter(|v| v.key() == Some(SOURCE_KEY) && v.version_id().is_some()).collect();
    versions.sort_by(|a, b| b.last_modified().cmp(&a.last_modified()));
    for version in versions.into_iter().take(VERSIONS_SEARCHED) {
        let id = version.version_id().expect("filtered");
        let head = s3
            .head_object()
            .bucket(bucket)
            .key(SOURCE_KEY)
            .version_id(id)
            .send()
            .await
            .map_err(|e| sdk_error(&format!("read s3://{bucket}/{SOURCE_KEY} version {id}"), e))?;
        if head.metadata().and_then(|m| m.get(PLAN_METADATA)).map(String::as_str) == Some(plan_sha256) {
            return Ok(id.to_owned());
        }
    }
    Err(StepError::fatal(format!(
        "no version of s3://{bucket}/{SOURCE_KEY} carries this plan (generated/plan.json sha256 {plan_sha256}); \
         run `tenancy source push` from the repository at the commit being applied"
    )))
}
