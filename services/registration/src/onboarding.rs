//! Starting the onboarding job: one CodeBuild build of the generated onboarding project per
//! registration, with the registration in its environment. The job takes it from there (it
//! commits the tenant's file, applies it and reports each transition to the registry).

use std::sync::Mutex;

use async_trait::async_trait;
use aws_sdk_codebuild::types::{EnvironmentVariable, EnvironmentVariableType};
use tenant_context::AppError;

use tenancy_registry::Registration;

/// The environment the onboarding buildspec reads, in this order.
pub const JOB_ENVIRONMENT: [&str; 4] = ["TENANT_ID", "TENANT_NAME", "TENANT_TIER", "TENANT_ADMIN_EMAIL"];

/// Every CodeBuild action [`CodeBuildOnboarding`] calls: what the service's role must grant, on
/// the onboarding project only. Declared in the core, where the compilers of the roles read it.
pub use tenancy::contract::calls::ONBOARDING_IAM_ACTIONS as IAM_ACTIONS;

/// Starts the job for a registration; returns the build's id.
#[async_trait]
pub trait Onboarding: Send + Sync {
    /// Starts one build for `registration`.
    async fn start(&self, registration: &Registration) -> Result<String, AppError>;
}

/// The generated onboarding project on CodeBuild.
pub struct CodeBuildOnboarding {
    client: aws_sdk_codebuild::Client,
    project: String,
}

impl CodeBuildOnboarding {
    /// Builds of `project`.
    pub fn new(client: aws_sdk_codebuild::Client, project: String) -> Self {
        Self { client, project }
    }
}

/// The registration as the job's environment, every value already validated by the core's
/// parsers (no shell metacharacter reaches the buildspec, which quotes them anyway).
pub fn job_environment(registration: &Registration) -> [(&'static str, String); 4] {
    let [id, name, tier, email] = JOB_ENVIRONMENT;
    [
        (id, registration.tenant_id.clone()),
        (name, registration.name.clone()),
        (tier, registration.tier.clone()),
        (email, registration.email.clone()),
    ]
}

#[async_trait]
impl Onboarding for CodeBuildOnboarding {
    async fn start(&self, registration: &Registration) -> Result<String, AppError> {
        let variables = job_environment(registration)
            .into_iter()
            .map(|(name, value)| {
                EnvironmentVariable::builder()
                    .name(name)
                    .value(value)
                    .r#type(EnvironmentVariableType::Plaintext)
                    .build()
                    .map_err(|e| AppError::Internal(format!("build environment: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = self
            .client
            .start_build()
            .project_name(&self.project)
            .set_environment_variables_override(Some(variables))
            // CodeBuild starts one build per token within five minutes: two racing duplicate
            // sign-ups start one job.
            .idempotency_token(format!("register-{}", registration.tenant_id))
            .send()
            .await
            .map_err(|e| {
                AppError::Unavailable(format!(
                    "start the onboarding build: {}",
                    aws_sdk_codebuild::error::DisplayErrorContext(e)
                ))
            })?;
        out.build_value
            .as_ref()
            .and_then(|b| b.id())
            .map(str::to_owned)
            .ok_or_else(|| AppError::Internal("StartBuild answered without a build id".into()))
    }
}

/// Records what it was asked to start, for tests.
#[derive(Default)]
pub struct RecordedOnboarding {
    /// The tenant ids, in the order their builds were started.
    pub started: Mutex<Vec<String>>,
}

#[async_trait]
impl Onboarding for RecordedOnboarding {
    async fn start(&self, registration: &Registration) -> Result<String, AppError> {
        let mut started = self.started.lock().expect("lock");
        started.push(registration.tenant_id.clone());
        Ok(format!("onboarding:{}-{}", registration.tenant_id, started.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_job_environment_is_the_registration_named_as_the_buildspec_reads_it() {
        let registration = Registration {
            tenant_id: "hooli".into(),
            name: "Hooli Inc".into(),
            email: "ops@hooli.example".into(),
            tier: "standard".into(),
        };
        let environment = job_environment(&registration);
        assert_eq!(environment.clone().map(|(name, _)| name), JOB_ENVIRONMENT);
        assert_eq!(
            environment.map(|(_, value)| value),
            ["hooli", "Hooli Inc", "standard", "ops@hooli.example"].map(String::from)
        );
    }
}
