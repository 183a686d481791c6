//! The ids of the plan's steps: `baseline/<part>` and `tenant/<id>/<part>`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::TenantId;

/// A step's id: `baseline/stack`, `tenant/acme/k8s`, ...
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StepId(String);

impl StepId {
    /// The id `id`, taken as given (the ids the plan uses are `contract::steps`').
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The id as text, as `plan.json` writes it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The tenant this step belongs to, if it is a tenant step (`tenant/<id>/...`).
    pub fn tenant(&self) -> Option<&str> {
        self.0.strip_prefix("tenant/").and_then(|rest| rest.split('/').next())
    }
}

impl fmt::Display for StepId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

/// How every platform-wide step's id begins (tenant steps begin `tenant/`).
pub const PLATFORM_PREFIX: &str = "baseline/";
/// Deploys the edge stack in us-east-1; a step only when the platform runs in another region.
pub const EDGE: &str = "baseline/edge";
/// Deploys the baseline stack.
pub const BASELINE: &str = "baseline/stack";
/// Deploys the delivery stack: deploy roles, build projects, the pipeline.
pub const DELIVERY: &str = "baseline/delivery";
/// Runs the cluster project: creates or upgrades the cluster with eksctl.
pub const CLUSTER: &str = "baseline/cluster";
/// Runs the images project: builds the service images and pushes them to ECR.
pub const IMAGES: &str = "baseline/images";
/// Deploys the cluster-access stack (add-ons, Pod Identity associations) once the cluster exists.
pub const ACCESS: &str = "baseline/access";
/// Runs the addons project: installs the cluster add-ons and the baseline Kubernetes bundle.
pub const ADDONS: &str = "baseline/addons";
/// Applies the control plane's bundle: its namespace, services and routes.
pub const CONTROL_PLANE: &str = "baseline/control-plane";

/// `baseline/site-<site>`: builds one static site's app and publishes it to its bucket.
pub fn site(site: crate::model::Site) -> StepId {
    StepId::new(format!("{PLATFORM_PREFIX}site-{site}"))
}

/// How the steps of a pooled tier's pool begin: `pool/<tier>/...`.
pub const POOL_PREFIX: &str = "pool/";

/// The steps of a pooled tier's pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PoolPart {
    /// The pool stack (the shared pods' role).
    Stack,
    /// The pool bundle (namespace and shared Deployments).
    Bundle,
    /// A cell stack.
    Cell(u32),
}

/// `pool/<tier>/stack`, `pool/<tier>/k8s` or `pool/<tier>/cell-<nnn>`.
pub fn pool(tier: &crate::model::TierName, part: PoolPart) -> StepId {
    StepId::new(match part {
        PoolPart::Stack => format!("{POOL_PREFIX}{tier}/stack"),
        PoolPart::Bundle => format!("{POOL_PREFIX}{tier}/k8s"),
        PoolPart::Cell(index) => format!("{POOL_PREFIX}{tier}/cell-{index:03}"),
    })
}

/// The steps of one tenant, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TenantPart {
    /// Its CloudFormation stack.
    Stack,
    /// Its Kubernetes bundle.
    Bundle,
    /// Its record in the tenant table.
    Register,
}

impl TenantPart {
    /// The part's segment of the step id: `stack`, `k8s` or `register`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stack => "stack",
            Self::Bundle => "k8s",
            Self::Register => "register",
        }
    }
}

/// `tenant/<id>/<part>`.
pub fn tenant(id: &TenantId, part: TenantPart) -> StepId {
    StepId::new(format!("tenant/{id}/{}", part.as_str()))
}
