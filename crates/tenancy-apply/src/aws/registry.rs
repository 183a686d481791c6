//! The images a bundle runs, checked in ECR before the bundle is applied: a Deployment never
//! reaches the cluster naming an image the registry does not hold (its pods would sit in
//! ImagePullBackOff and the rollout would time out).

use async_trait::async_trait;
use aws_sdk_ecr::Client;
use aws_sdk_ecr::types::ImageIdentifier;

use super::{Configs, sdk_error};
use crate::kubernetes::Images;
use crate::provider::StepError;

/// Declared in the core, where `verify` reads it too.
pub use tenancy::contract::calls::REGISTRY_IAM_ACTIONS as IAM_ACTIONS;

pub struct Ecr {
    configs: Configs,
    region: String,
    /// The registry host of the platform's account and region.
    registry: String,
}

impl Ecr {
    pub fn new(configs: Configs, region: String, registry: String) -> Self {
        Self { configs, region, registry }
    }
}

#[async_trait]
impl Images for Ecr {
    async fn missing(&self, images: &[String]) -> Result<Vec<String>, StepError> {
        let client = Client::new(&self.configs.get(&self.region).await);
        let mut missing = Vec::new();
        for image in images {
            let Some((repository, digest)) = image
                .strip_prefix(&format!("{}/", self.registry))
                .and_then(|rest| rest.split_once("@"))
                .filter(|(_, digest)| digest.starts_with("sha256:"))
            else {
                missing.push(format!("{image} (not pinned by digest in {})", self.registry));
                continue;
            };
            let found = client
                .describe_images()
                .repository_name(repository)
                .image_ids(ImageIdentifier::builder().image_digest(digest).build())
                .send()
                .await;
            match found {
                Ok(out) if !out.image_details().is_empty() => {}
                Ok(_) => missing.push(image.clone()),
                Err(err)
                    if err
                        .as_service_error()
                        .is_some_and(|e| e.is_image_not_found_exception() || e.is_repository_not_found_exception()) =>
                {
                    missing.push(image.clone())
                }
                Err(err) => return Err(sdk_error(&format!("look up {image} in ECR"), err)),
            }
        }
        Ok(missing)
    }
}
