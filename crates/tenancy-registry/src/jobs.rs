//! Starting the onboarding job: one CodeBuild build of the generated onboarding project
//! (`buildspecs/onboarding.yml`) per change of a tenant, with what it is to do in its
//! environment (`JOB`, `TENANT_ID`, and the registration for `onboard`). The job takes it from
//! there: a commit of the platform repository, the apply of that tenant, the transitions.

use std::sync::Mutex;

use async_trait::async_trait;
use aws_sdk_codebuild::types::{EnvironmentVariable, EnvironmentVariableType};

use crate::{Registration, RegistryError};

/// Every CodeBuild action [`CodeBuildJobs`] calls: what a role that starts jobs must grant, on
/// the onboarding project only. Declared in the core, where the compilers of the roles read it.
pub use tenancy::contract::calls::ONBOARDING_IAM_ACTIONS as IAM_ACTIONS;

/// The variables the onboarding buildspec and `tenancy job` read, in the order a job sets them.
pub const ENVIRONMENT: [&str; 5] = ["JOB", "TENANT_ID", "TENANT_NAME", "TENANT_TIER", "TENANT_ADMIN_EMAIL"];

/// One run of the onboarding job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// Add the registered tenant and apply it.
    Onboard(Registration),
    /// Remove the tenant and what it deployed.
    Offboard(String),
    /// Stop serving the tenant (its ingress answers 403).
    Suspend(String),
    /// Serve it again.
    Activate(String),
    /// Move it to another tier.
    ChangeTier {
        /// The tenant.
        tenant: String,
        /// The tier it moves to.
        tier: String,
    },
}

impl Job {
    /// The `JOB` value: the `tenancy job` subcommand.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Onboard(_) => "onboard",
            Self::Offboard(_) => "offboard",
            Self::Suspend(_) => "suspend",
            Self::Activate(_) => "activate",
            Self::ChangeTier { .. } => "set-tier",
        }
    }

    /// The tenant.
    pub fn tenant(&self) -> &str {
        match self {
            Self::Onboard(r) => &r.tenant_id,
            Self::Offboard(t) | Self::Suspend(t) | Self::Activate(t) => t,
            Self::ChangeTier { tenant, .. } => tenant,
        }
    }

    /// The build's environment. Every value was validated by the core's parsers before it
    /// reached the registry (the buildspec quotes them anyway).
    pub fn environment(&self) -> Vec<(&'static str, String)> {
        let [job, id, name, tier, email] = ENVIRONMENT;
        let mut environment = vec![(job, self.name().to_owned()), (id, self.tenant().to_owned())];
        match self {
            Self::Onboard(r) => {
                environment.extend([(name, r.name.clone()), (tier, r.tier.clone()), (email, r.email.clone())])
            }
            Self::ChangeTier { tier: to, .. } => environment.push((tier, to.clone())),
            _ => {}
        }
        environment
    }

    /// CodeBuild starts one build per token within five minutes: racing duplicate requests
    /// start one job. The record's version makes a later suspension after an activation a new
    /// job, not a repeat.
    pub fn token(&self, version: u64) -> String {
        match self {
            // Two admins asking for two tiers at once start two builds (the second one's
            // apply waits for the first's lock); the same tier twice starts one.
            Self::ChangeTier { tier, .. } => format!("{}-{}-{tier}-v{version}", self.name(), self.tenant()),
            _ => format!("{}-{}-v{version}", self.name(), self.tenant()),
        }
    }
}

/// Starts jobs; returns the build's id.
#[async_trait]
pub trait Jobs: Send + Sync {
    /// Starts `job` for a tenant whose record is at `version`.
    async fn start(&self, job: &Job, version: u64) -> Result<String, RegistryError>;
}

/// The generated onboarding project on CodeBuild.
pub struct CodeBuildJobs {
    client: aws_sdk_codebuild::Client,
    project: String,
}

impl CodeBuildJobs {
    /// Builds of `project`.
    pub fn new(client: aws_sdk_codebuild::Client, project: String) -> Self {
        Self { client, project }
    }
}

#[async_trait]
impl Jobs for CodeBuildJobs {
    async fn start(&self, job: &Job, version: u64) -> Result<String, RegistryError> {
        let variables = job
            .environment()
            .into_iter()
            .map(|(name, value)| {
                EnvironmentVariable::builder()
                    .name(name)
                    .value(value)
                    .r#type(EnvironmentVariableType::Plaintext)
                    .build()
                    .map_err(|e| RegistryError::Corrupt { what: "build environment".into(), message: e.to_string() })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = self
            .client
            .start_build()
            .project_name(&self.project)
            .set_environment_variables_override(Some(variables))
            .idempotency_token(job.token(version))
            .send()
            .await
            .map_err(|e| RegistryError::Unavailable {
                what: "start the onboarding build",
                message: aws_sdk_codebuild::error::DisplayErrorContext(e).to_string(),
            })?;
        out.build_value
            .as_ref()
            .and_then(|b| b.id())
            .map(str::to_owned)
            .ok_or_else(|| RegistryError::Corrupt { what: "StartBuild's answer".into(), message: "no build id".into() })
    }
}

/// Records what it was asked to start (`"<job> <tenant>"`), for tests.
#[derive(Default)]
pub struct RecordedJobs {
    /// The jobs, in the order they were started.
    pub started: Mutex<Vec<String>>,
}

#[async_trait]
impl Jobs for RecordedJobs {
    async fn start(&self, job: &Job, _version: u64) -> Result<String, RegistryError> {
        let mut started = self.started.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        started.push(format!("{} {}", job.name(), job.tenant()));
        Ok(format!("{}:{}-{}", job.name(), job.tenant(), started.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jobs_environment_is_what_the_buildspec_and_tenancy_job_read() {
        let registration = Registration {
            tenant_id: "hooli".into(),
            name: "Hooli Inc".into(),
            email: "ops@hooli.example".into(),
            tier: "standard".into(),
        };
        let onboard = Job::Onboard(registration).environment();
        assert_eq!(onboard.iter().map(|(n, _)| *n).collect::<Vec<_>>(), ENVIRONMENT);
        assert_eq!(
            onboard.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>(),
            ["onboard", "hooli", "Hooli Inc", "standard", "ops@hooli.example"]
        );
        assert_eq!(
            Job::Suspend("hooli".into()).environment(),
            [("JOB", "suspend".into()), ("TENANT_ID", "hooli".into())]
        );
        // The onboarding buildspec declares each variable it reads.
        let buildspec = include_str!("../../../buildspecs/onboarding.yml.hbs");
        for name in ENVIRONMENT {
            assert!(buildspec.contains(&format!("    {name}: ")), "onboarding.yml.hbs declares {name}");
        }
        assert_ne!(Job::Suspend("hooli".into()).token(4), Job::Suspend("hooli".into()).token(6));
    }
}
