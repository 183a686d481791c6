//! The ids of the plan's steps: `baseline/<part>` and `tenant/<id>/<part>`.

use crate::model::TenantId;
use crate::plan::StepId;

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
