//! # tenancy
//!
//! Infrastructure as code for multi-tenant SaaS platforms on Amazon EKS. A platform team
//! describes its platform once (baseline, tiers, services, tenants) and `tenancy` compiles it
//! into reviewed, committed artifacts: CloudFormation templates, Kubernetes manifests and
//! CodeBuild buildspecs, ordered in one deploy plan. This crate is the pure core: it does no
//! network IO, needs no async runtime and never links the AWS SDK. Applying a plan is
//! `tenancy-apply`'s; the `tenancy` command is `tenancy-cli`'s.
//!
//! ## From a blueprint to a role ARN
//!
//! ```
//! use tenancy::prelude::*;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // 1. A platform: from a YAML blueprint (every problem reported at file:line:column), or built
//! //    in Rust with `Platform::builder` (every problem at once). It can only exist valid.
//! let platform = tenancy::blueprint::load_reference()?;
//! let acme = platform.tenant(&TenantId::parse("acme")?).expect("the reference has acme");
//!
//! // 2. Every derived name comes from one place: the role acme's pods run as, known before deploy.
//! let names = platform.tenant_names(acme);
//! assert_eq!(tenancy::compile::role_arn(&platform, &names), "arn:aws:iam::123456789012:role/saas-tenant-acme");
//!
//! // 3. Compile: pure, typed values out (checked templates, manifest bundles), rendered at the edge.
//! let typed = tenancy::compile::tenant_artifacts(&platform, acme, &Customizations::new())?;
//! assert!(typed.stack.as_ref().unwrap().resources().contains_key(&tenancy::cfn::LogicalId::fixed("ServiceRole")));
//!
//! // 4. Plan and write: `generated/`, with the plan over the artifacts' digests.
//! let dir = tempfile::tempdir()?;
//! let synthesis = synthesize(&platform, &dir.path().join("generated"))?;
//! assert!(synthesis.report.written.contains(&"plan.json".to_owned()));
//! assert!(synthesis.plan.step(&StepId::new("tenant/acme/stack")).is_some());
//!
//! // 5. Prove it on the files: no tenant reaches another's data, network or identity.
//! let mut files = std::collections::BTreeMap::new();
//! for artifact in tenancy::compile::compile(&platform)?.files {
//!     files.insert(artifact.path, artifact.contents);
//! }
//! files.insert("plan.json".into(), std::fs::read_to_string(dir.path().join("generated/plan.json"))?);
//! let report = tenancy::verify::verify(&files, None);
//! use tenancy::verify::Property;
//! assert!(report.checked[&Property::Isolation] > 0);
//! assert!(report.findings.iter().all(|f| f.property != Property::Isolation));
//! # Ok(()) }
//! ```
//!
//! ## The data flow
//!
//! ```text
//! blueprint YAML ──blueprint::load──▶ model::Platform ──compile──▶ typed artifacts ──plan──▶ plan::DeployPlan
//! Rust API ──PlatformBuilder::build──▲        (cfn::Template, k8s::Bundle,  │
//!                                     Customizations ─┘ buildspecs)          ├─synth::synthesize─▶ generated/
//!                                                                            └─verify::verify────▶ proofs
//! ```
//!
//! 1. [`model`] holds the domain: a [`Platform`] is only ever built validated, with every
//!    problem collected ([`model::Problems`]). Every AWS and Kubernetes name is derived in one
//!    place ([`model::naming`]).
//! 2. [`blueprint`] reads YAML into the model and places each problem at `file:line:column`.
//! 3. [`cfn`] is a typed CloudFormation model: references and limits are checked when a
//!    template is built, not when it is deployed. [`k8s`] and [`buildspec`] do the same for
//!    manifests and buildspecs; [`yaml`] writes them all.
//! 4. [`compile`](mod@compile) turns a platform into artifacts, with the platform team's
//!    [`Customizations`] (a resource, a label, a sidecar, a policy statement) run over the
//!    typed values before they are checked. It is pure: same platform, same bytes.
//! 5. [`plan`] orders every deploy step in one graph over the artifacts' digests; [`contract`]
//!    is the vocabulary plan and apply share (paths, outputs, step ids, binding targets).
//! 6. [`synth`] streams a platform to disk, writing only what changed, and checks a tree for
//!    staleness; [`verify`] proves isolation and sufficiency on the files.
//!
//! Only [`synth`] (and `blueprint::load_file`) touch the file system; everything else returns
//! values.

#![warn(missing_docs)]

pub mod blueprint;
pub mod buildspec;
pub mod cfn;
pub mod compile;
pub mod contract;
pub mod k8s;
pub mod model;
pub mod plan;
pub mod synth;
pub mod verify;
pub mod yaml;

pub use compile::{CompileError, Customizations, compile, compile_with};
pub use model::{Platform, PlatformBuilder, Problems, Service, Tenant, Tier};
pub use plan::{DeployPlan, PlanError};
pub use synth::{SynthError, synthesize, synthesize_with};

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// What most users of the crate name: `use tenancy::prelude::*;`.
pub mod prelude {
    pub use crate::blueprint::BlueprintError;
    pub use crate::compile::{
        CompileError, Customizations, PlatformArtifacts, TenantArtifacts, TenantCx, TypedTenant, compile, compile_with,
    };
    pub use crate::model::{
        AccountId, Autoscaling, Cluster, ClusterName, DisplayName, DomainName, EmailAddress, Identity,
        KubernetesVersion, NodeGroup, Platform, PlatformBuilder, PlatformName, Problems, Region, RoutePath, Service,
        ServiceName, Storage, TableKeys, Tenant, TenantId, Tier, TierName,
    };
    pub use crate::plan::{DeployPlan, PlanError, StepId};
    pub use crate::synth::{SynthError, synthesize, synthesize_with};
}
