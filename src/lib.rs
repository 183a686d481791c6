//! # tenancy
//!
//! Infrastructure as code for multi-tenant SaaS platforms on Amazon EKS. A platform team
//! describes its platform once — baseline, tiers, services, tenants — and `tenancy` compiles
//! it into reviewed, committed artifacts.
//!
//! ## The data flow
//!
//! ```text
//! blueprint YAML ──blueprint::load──▶ model::Platform ──compile──▶ artifacts ──plan──▶ plan::DeployPlan
//! Rust API ──PlatformBuilder::build──▲          (templates, manifests,   │
//!                                                buildspecs, as YAML)    └──synth::synthesize──▶ generated/
//!                                                                                 └─synth::check_platform─▶ stale?
//! ```
//!
//! 1. [`model`] holds the domain: a [`model::Platform`] is only ever built validated, with
//!    every problem collected ([`model::Problems`]). Every AWS and Kubernetes name is derived
//!    in one place ([`model::TenantNames`], [`model::BaselineNames`]).
//! 2. [`blueprint`] reads YAML into the model and places each problem at `file:line:column`.
//! 3. [`cfn`] is a typed CloudFormation model: references and limits are checked when a
//!    template is built, not when it is deployed. [`k8s`] and [`buildspec`] do the same for
//!    manifests and buildspecs; [`yaml`] writes them all.
//! 4. [`compile`] turns a platform into artifacts. It is pure: same platform, same bytes.
//! 5. [`plan`] orders every deploy step in one graph over the artifacts' digests.
//! 6. [`synth`] streams a platform to disk, writing only what changed, and checks a tree for
//!    staleness; [`apply`] runs the committed plan; [`cli`] wires it up.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let platform = tenancy::blueprint::load_str("reference.yaml", tenancy::blueprint::REFERENCE)?;
//! let artifacts = tenancy::compile::compile(&platform)?;
//! let acme = artifacts.files.iter().find(|a| a.path == "tenants/acme/stack.cfn.yaml").unwrap();
//! assert!(acme.contents.contains("dynamodb:LeadingKeys"));
//!
//! let dir = tempfile::tempdir()?;
//! let synthesis = tenancy::synth::synthesize(&platform, &dir.path().join("generated"))?;
//! assert_eq!(synthesis.compiled_tenants, platform.tenants().len());
//! assert!(synthesis.report.written.contains(&"plan.json".to_owned()));
//! # Ok(()) }
//! ```
//!
//! Only [`synth`], [`apply`] and [`cli`] touch the file system; everything else returns values.

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
